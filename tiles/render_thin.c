/* Thinning index (tiles/render_thin.h). Sites are stored in Morton order of their
 * position (32 bits per axis of the Web Mercator square), under a packed tree of 16
 * children per node; every node keeps, per zoom, the smallest thinning key of its
 * subtree, key = rank << 32 | priority position. A walk is a best-first search on that
 * key: a heap of nodes and sites, popping the smallest key, so sites come out in key
 * order and the walk stops after the sites it needs.
 *
 * Ranks: the cell of a site at zoom z is its Morton code without its last 2 * (21 - z)
 * bits (a THIN_CELL_PX-unit cell at zoom z is 2^(z+11) cells across the world). Sorted by
 * (code >> 10, priority), sites are grouped by zoom-16 cell, each group in priority
 * order; merging the two halves of every group one bit at a time (a bottom-up merge
 * sort on the Morton prefix) gives every coarser cell's sites in priority order, and a
 * site's rank is its place in its group. */
#include "tiles/render_thin.h"

#include "tiles/layer_catalog.h"
#include "tiles/render_snapcache.h"
#include "tiles/tile_math.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ZOOMS (THIN_MAX_ZOOM + 1)
#define FANOUT 16
#define RANK_MAX 65535u

struct thin_node {
    struct rtree_box box;
    uint32_t first, count; /* children: sites (leaf) or nodes */
    bool leaf;
};

struct thin_index {
    /* When shared through thin_index_acquire: its cache entry, for the release (every
     * acquirer stores the same pointer). */
    _Atomic(const struct snapcache_entry *) entry;
    size_t n;
    uint32_t *site;     /* tree position -> index in snap->sites */
    double *xy;         /* tree position -> lon, lat */
    uint32_t *prio;     /* tree position -> priority position */
    uint16_t *rank;     /* [z * n + position] */
    struct thin_node *nodes;
    uint64_t *node_min; /* [node * ZOOMS + z] */
    size_t nnodes;
    uint32_t root;
    int sites_minzoom; /* thin_index_sites_minzoom */
};

/* Open first, most populated, lowest id: the sites a map must not lose come first.
 * Population -1 (unknown) sorts after 0, as a smaller number. */
static uint64_t priority_key(const struct site *s)
{
    uint64_t closed = s->status != SITE_OPEN;
    uint64_t pop = (uint64_t)((int64_t)INT32_MAX - s->population); /* <= 2^31 */
    return closed << 63 | pop << 31 | ((uint32_t)s->id & 0x7fffffffu);
}

struct keyed {
    uint64_t key;
    uint32_t a, b;
};

static int compare_keyed(const void *pa, const void *pb)
{
    const struct keyed *x = pa, *y = pb;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->a > y->a) - (x->a < y->a);
}

static uint64_t spread(uint32_t v)
{
    uint64_t x = v;
    x = (x | x << 16) & 0x0000ffff0000ffffull;
    x = (x | x << 8) & 0x00ff00ff00ff00ffull;
    x = (x | x << 4) & 0x0f0f0f0f0f0f0f0full;
    x = (x | x << 2) & 0x3333333333333333ull;
    x = (x | x << 1) & 0x5555555555555555ull;
    return x;
}

static uint32_t unit_to_u32(double f)
{
    if (!(f > 0))
        return 0;
    if (f >= 1)
        return UINT32_MAX;
    return (uint32_t)(f * 4294967296.0);
}

static uint64_t morton_of(const struct site *s)
{
    double fx, fy;
    if (!tile_lonlat_to_fraction(0, s->lon, s->lat, &fx, &fy))
        return 0;
    return spread(unit_to_u32(fx)) << 1 | spread(unit_to_u32(fy));
}

/* The lowest zoom at which no tile holds more than TILE_SITES_FEATURE_BUDGET sites: w is
 * sorted by Morton code, whose top 2z bits are the site's tile at zoom z, so a tile's
 * sites are one run of w. */
static int dense_minzoom(const struct keyed *w, size_t n)
{
    if (n <= TILE_SITES_FEATURE_BUDGET)
        return 0;
    for (int z = 1; z < THIN_SITES_MINZOOM_MAX; z++) {
        unsigned shift = 64u - 2u * (unsigned)z;
        size_t run = 1, longest = 1;
        for (size_t i = 1; i < n && longest <= TILE_SITES_FEATURE_BUDGET; i++) {
            run = (w[i].key >> shift) == (w[i - 1].key >> shift) ? run + 1 : 1;
            longest = run > longest ? run : longest;
        }
        if (longest <= TILE_SITES_FEATURE_BUDGET)
            return z;
    }
    return THIN_SITES_MINZOOM_MAX;
}

/* w holds (Morton code, priority, tree position) sorted by (code >> 10, priority). */
static void compute_ranks(struct thin_index *ix, struct keyed *w, struct keyed *tmp)
{
    size_t n = ix->n;
    for (unsigned s = 10; s <= 42; s++) {
        if (s > 10) { /* merge the halves (bit s - 1) of every group of code >> s */
            for (size_t i = 0; i < n;) {
                uint64_t g = w[i].key >> s;
                size_t k = i, j = i;
                while (k < n && (w[k].key >> s) == g && !((w[k].key >> (s - 1)) & 1))
                    k++;
                j = k;
                while (j < n && (w[j].key >> s) == g)
                    j++;
                size_t a = i, b = k, o = i;
                while (a < k && b < j)
                    tmp[o++] = w[a].a <= w[b].a ? w[a++] : w[b++];
                while (a < k)
                    tmp[o++] = w[a++];
                while (b < j)
                    tmp[o++] = w[b++];
                i = j;
            }
            struct keyed *t = w;
            w = tmp;
            tmp = t;
        }
        if (s % 2)
            continue;
        int z = 21 - (int)s / 2;
        uint16_t *rank = ix->rank + (size_t)z * n;
        size_t start = 0;
        for (size_t i = 0; i < n; i++) {
            if (i && (w[i].key >> s) != (w[i - 1].key >> s))
                start = i;
            size_t r = i - start;
            rank[w[i].b] = (uint16_t)(r > RANK_MAX ? RANK_MAX : r);
        }
    }
}

static uint64_t site_key(const struct thin_index *ix, int z, size_t pos)
{
    return (uint64_t)ix->rank[(size_t)z * ix->n + pos] << 32 | ix->prio[pos];
}

static void box_add(struct rtree_box *b, const struct rtree_box *o)
{
    if (o->minx < b->minx) b->minx = o->minx;
    if (o->miny < b->miny) b->miny = o->miny;
    if (o->maxx > b->maxx) b->maxx = o->maxx;
    if (o->maxy > b->maxy) b->maxy = o->maxy;
}

static bool build_tree(struct thin_index *ix)
{
    size_t n = ix->n, total = 0;
    for (size_t level = n; level > 1 || total == 0;) {
        level = (level + FANOUT - 1) / FANOUT;
        total += level;
    }
    ix->nodes = malloc(total * sizeof *ix->nodes);
    ix->node_min = malloc(total * ZOOMS * sizeof *ix->node_min);
    if (!ix->nodes || !ix->node_min)
        return false;
    size_t made = 0, below_first = 0, below = n;
    bool leaf = true;
    do {
        size_t first = made;
        for (size_t c = 0; c < below; c += FANOUT) {
            struct thin_node *nd = &ix->nodes[made];
            uint64_t *mins = &ix->node_min[made * ZOOMS];
            *nd = (struct thin_node){{INFINITY, INFINITY, -INFINITY, -INFINITY}, (uint32_t)(below_first + c),
                                     (uint32_t)(below - c < FANOUT ? below - c : FANOUT), leaf};
            for (int z = 0; z < ZOOMS; z++)
                mins[z] = UINT64_MAX;
            for (uint32_t k = 0; k < nd->count; k++) {
                size_t child = nd->first + k;
                if (leaf) {
                    const double *p = &ix->xy[2 * child];
                    if (p[0] == p[0] && p[1] == p[1])
                        box_add(&nd->box, &(struct rtree_box){p[0], p[1], p[0], p[1]});
                    for (int z = 0; z < ZOOMS; z++) {
                        uint64_t key = site_key(ix, z, child);
                        if (key < mins[z])
                            mins[z] = key;
                    }
                } else {
                    box_add(&nd->box, &ix->nodes[child].box);
                    for (int z = 0; z < ZOOMS; z++)
                        if (ix->node_min[child * ZOOMS + z] < mins[z])
                            mins[z] = ix->node_min[child * ZOOMS + z];
                }
            }
            made++;
        }
        below_first = first;
        below = made - first;
        leaf = false;
    } while (below > 1);
    ix->nnodes = made;
    ix->root = (uint32_t)(made - 1);
    return true;
}

struct thin_index *thin_index_build(const struct site_snapshot *snap)
{
    struct thin_index *ix = calloc(1, sizeof *ix);
    size_t n = snap->count;
    if (!ix || n > UINT32_MAX / 2) {
        free(ix);
        return NULL;
    }
    ix->n = n;
    if (n == 0)
        return ix;
    struct keyed *w = malloc(n * sizeof *w), *tmp = malloc(n * sizeof *tmp);
    uint32_t *prio_of_site = malloc(n * sizeof *prio_of_site);
    ix->site = malloc(n * sizeof *ix->site);
    ix->xy = malloc(2 * n * sizeof *ix->xy);
    ix->prio = malloc(n * sizeof *ix->prio);
    ix->rank = malloc((size_t)ZOOMS * n * sizeof *ix->rank);
    bool ok = w && tmp && prio_of_site && ix->site && ix->xy && ix->prio && ix->rank;
    if (ok) {
        for (size_t i = 0; i < n; i++)
            w[i] = (struct keyed){priority_key(snap->sites[i]), (uint32_t)i, 0};
        qsort(w, n, sizeof *w, compare_keyed);
        for (size_t i = 0; i < n; i++)
            prio_of_site[w[i].a] = (uint32_t)i;
        /* Tree order: (code without its 10 lowest bits, priority); the lowest bits never
         * matter, cells of zoom 16 being 2^5 units of 32 bits across. */
        for (size_t i = 0; i < n; i++)
            w[i] = (struct keyed){morton_of(snap->sites[i]) & ~(uint64_t)1023, prio_of_site[i], (uint32_t)i};
        qsort(w, n, sizeof *w, compare_keyed);
        for (size_t i = 0; i < n; i++) {
            const struct site *s = snap->sites[w[i].b];
            ix->site[i] = w[i].b;
            ix->xy[2 * i] = s->lon;
            ix->xy[2 * i + 1] = s->lat;
            ix->prio[i] = w[i].a;
            w[i].b = (uint32_t)i;
        }
        ix->sites_minzoom = dense_minzoom(w, n);
        compute_ranks(ix, w, tmp);
        ok = build_tree(ix);
    }
    free(w);
    free(tmp);
    free(prio_of_site);
    if (!ok) {
        thin_index_free(ix);
        return NULL;
    }
    return ix;
}

int thin_index_sites_minzoom(const struct thin_index *ix)
{
    return ix->sites_minzoom;
}

void thin_index_free(struct thin_index *ix)
{
    if (!ix)
        return;
    free(ix->site);
    free(ix->xy);
    free(ix->prio);
    free(ix->rank);
    free(ix->nodes);
    free(ix->node_min);
    free(ix);
}

bool thin_index_site_order(const struct thin_index *ix, int z, uint32_t site_index, uint32_t *rank,
                           uint32_t *priority)
{
    if (z < 0 || z > THIN_MAX_ZOOM)
        return false;
    for (size_t pos = 0; pos < ix->n; pos++)
        if (ix->site[pos] == site_index) {
            *rank = ix->rank[(size_t)z * ix->n + pos];
            *priority = ix->prio[pos];
            return true;
        }
    return false;
}

/* --- walk --- */

struct heap_item {
    uint64_t key;
    uint32_t ref;  /* node index, or tree position of a site */
    uint32_t node; /* 1: ref is a node */
};

struct heap {
    struct heap_item *v;
    size_t n, cap;
};

static bool heap_push(struct heap *h, struct heap_item it)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        struct heap_item *grown = realloc(h->v, cap * sizeof *grown);
        if (!grown)
            return false;
        h->v = grown;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i) {
        size_t parent = (i - 1) / 2;
        if (h->v[parent].key <= it.key)
            break;
        h->v[i] = h->v[parent];
        i = parent;
    }
    h->v[i] = it;
    return true;
}

static struct heap_item heap_pop(struct heap *h)
{
    struct heap_item top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->v[c + 1].key < h->v[c].key)
            c++;
        if (last.key <= h->v[c].key)
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

static bool box_meets(const struct rtree_box *a, const struct rtree_box *b)
{
    return a->minx <= b->maxx && a->maxx >= b->minx && a->miny <= b->maxy && a->maxy >= b->miny;
}

size_t thin_index_walk(const struct thin_index *ix, int z, const struct rtree_box *box, thin_visit_fn visit,
                       void *ctx)
{
    if (!ix->n || z < 0 || z > THIN_MAX_ZOOM || !box_meets(&ix->nodes[ix->root].box, box))
        return 0;
    struct heap h = {0};
    size_t visited = 0;
    bool ok = heap_push(&h, (struct heap_item){ix->node_min[(size_t)ix->root * ZOOMS + z], ix->root, 1});
    while (ok && h.n) {
        struct heap_item it = heap_pop(&h);
        if (!it.node) {
            visited++;
            if (!visit(ix->site[it.ref], ctx))
                break;
            continue;
        }
        const struct thin_node *nd = &ix->nodes[it.ref];
        for (uint32_t k = 0; ok && k < nd->count; k++) {
            uint32_t c = nd->first + k;
            if (nd->leaf) {
                double x = ix->xy[2 * (size_t)c], y = ix->xy[2 * (size_t)c + 1];
                if (x >= box->minx && x <= box->maxx && y >= box->miny && y <= box->maxy)
                    ok = heap_push(&h, (struct heap_item){site_key(ix, z, c), c, 0});
            } else if (box_meets(&ix->nodes[c].box, box)) {
                ok = heap_push(&h, (struct heap_item){ix->node_min[(size_t)c * ZOOMS + z], c, 1});
            }
        }
    }
    free(h.v);
    return ok ? visited : SIZE_MAX;
}

/* --- one shared index, for the newest snapshot --- */

static void *build_value(const struct site_snapshot *snap) { return thin_index_build(snap); }
static void free_value(void *ix) { thin_index_free(ix); }
static struct snapcache shared = SNAPCACHE_INIT(build_value, free_value);

const struct thin_index *thin_index_acquire(const struct site_snapshot *snap)
{
    const struct snapcache_entry *e = snapcache_acquire(&shared, snap);
    if (!e)
        return NULL;
    struct thin_index *ix = e->value;
    atomic_store_explicit(&ix->entry, e, memory_order_relaxed);
    return ix;
}

void thin_index_release(const struct thin_index *ix)
{
    if (ix)
        snapcache_release(&shared, atomic_load_explicit(&((struct thin_index *)(uintptr_t)ix)->entry,
                                                        memory_order_relaxed));
}

void thin_index_cache_clear(void) { snapcache_clear(&shared); }
