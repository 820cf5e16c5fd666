/* supercluster's load() and queries over flat arrays. The comments name the JavaScript
 * they mirror (supercluster 8.0.1 index.js) where the order of operations matters. */
#include "tiles/cluster_index.h"
#include "tiles/cluster_index_impl.h"
#include "tiles/cluster_near.h"
#include "tiles/cluster_pool.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double cluster_lng_x(double lng) { return lng / 360 + 0.5; }

double cluster_lat_y(double lat)
{
    double s = sin(lat * M_PI / 180);
    double y = (0.5 - 0.25 * log((1 + s) / (1 - s)) / M_PI);
    return y < 0 ? 0 : y > 1 ? 1 : y;
}

double cluster_x_lng(double x) { return (x - 0.5) * 360; }

double cluster_y_lat(double y)
{
    double y2 = (180 - y * 360) * M_PI / 180;
    return 360 * atan(exp(y2)) / M_PI - 90;
}

bool cluster_abbreviate(uint32_t count, char out[16])
{
    /* JS Math.round: halves go up. */
    if (count >= 10000)
        snprintf(out, 16, "%.0fk", floor(count / 1000.0 + 0.5));
    else if (count >= 1000)
        snprintf(out, 16, "%gk", floor(count / 100.0 + 0.5) / 10);
    else {
        out[0] = 0;
        return false;
    }
    return true;
}

void cluster_options_default(struct cluster_options *o, uint32_t n_counters)
{
    *o = (struct cluster_options){CLUSTER_MIN_ZOOM, CLUSTER_MAX_ZOOM, CLUSTER_MIN_POINTS, CLUSTER_RADIUS,
                                  CLUSTER_EXTENT, CLUSTER_NODE_SIZE, n_counters};
}

static inline uint32_t ref_count(const struct cluster_index *idx, uint32_t ref)
{
    return ref < idx->n ? 1 : idx->cnum[ref - idx->n];
}

/* Room for cap clusters (cap >= nc): doubling while building, the exact size after. */
static bool resize_clusters(struct cluster_index *idx, size_t cap)
{
    size_t k = idx->opt.n_counters;
#define GROW(field, per)                                                                   \
    do {                                                                                   \
        void *p_ = realloc(idx->field, (cap * (per) + 1) * sizeof(*idx->field));           \
        if (!p_)                                                                           \
            return false;                                                                  \
        idx->field = p_;                                                                   \
    } while (0)
    GROW(cx, 1);
    GROW(cy, 1);
    GROW(cid, 1);
    GROW(cnum, 1);
    GROW(nweighted, 1);
    GROW(wsum, 1);
    GROW(child_off, 1);
    GROW(counters, k);
#undef GROW
    idx->cap = cap;
    return true;
}

static bool grow_clusters(struct cluster_index *idx)
{
    return idx->nc < idx->cap || resize_clusters(idx, idx->cap ? idx->cap * 2 : 1024);
}

/* Gives back what doubling reserved beyond the final sizes (a failed shrink keeps the
 * larger blocks, which stay valid). */
static void shrink_to_fit(struct cluster_index *idx)
{
    resize_clusters(idx, idx->nc);
    uint32_t *p = idx->nchildren ? realloc(idx->children, idx->nchildren * sizeof(*p)) : NULL;
    if (p) {
        idx->children = p;
        idx->children_cap = idx->nchildren;
    }
}

static bool push_child(struct cluster_index *idx, uint32_t ref)
{
    if (idx->nchildren == idx->children_cap) {
        size_t cap = idx->children_cap ? idx->children_cap * 2 : 4096;
        uint32_t *p = realloc(idx->children, cap * sizeof(*p));
        if (!p)
            return false;
        idx->children = p;
        idx->children_cap = cap;
    }
    idx->children[idx->nchildren++] = ref;
    return true;
}

/* Sums the children's aggregates into cluster c. */
static void aggregate(struct cluster_index *idx, size_t c, const struct cluster_input *pts)
{
    size_t k = idx->opt.n_counters;
    uint32_t *acc = idx->counters + c * k;
    memset(acc, 0, k * sizeof(*acc));
    int64_t w = 0;
    uint32_t nw = 0;
    for (uint32_t j = idx->child_off[c]; j < idx->child_off[c + 1]; j++) {
        uint32_t ref = idx->children[j];
        if (ref < idx->n) {
            const struct cluster_input *p = &pts[ref];
            if (p->weight >= 0) {
                w += p->weight;
                nw++;
            }
            for (int a = 0; a < CLUSTER_CATS; a++)
                if (p->cats[a] < k)
                    acc[p->cats[a]]++;
        } else {
            size_t o = ref - idx->n;
            w += idx->wsum[o];
            nw += idx->nweighted[o];
            for (size_t a = 0; a < k; a++)
                acc[a] += idx->counters[o * k + a];
        }
    }
    idx->wsum[c] = w;
    idx->nweighted[c] = nw;
}

/* The aggregates of clusters [from, to) of one zoom: each reads only its children,
 * made at zooms above, so the clusters of a zoom are summed in any order, here in two
 * halves on two threads once the zoom's pass is over (reading the points' inputs in
 * children order waits on memory, and the greedy pass itself is serial). */
struct aggregate_job {
    struct cluster_index *idx;
    const struct cluster_input *pts;
    size_t from, to;
};

static void aggregate_range(void *arg)
{
    struct aggregate_job *j = arg;
    for (size_t c = j->from; c < j->to; c++)
        aggregate(j->idx, c, j->pts);
}

#define AGGREGATE_PARALLEL_MIN 4096

static void aggregate_zoom(struct cluster_index *idx, size_t first, size_t end, const struct cluster_input *pts)
{
    size_t mid = first + (end - first) / 2;
    struct aggregate_job a = {idx, pts, first, mid}, b = {idx, pts, mid, end};
    if (end - first >= AGGREGATE_PARALLEL_MIN) {
        cluster_pool_both(aggregate_range, &a, aggregate_range, &b);
    } else {
        a.to = end;
        aggregate_range(&a);
    }
}

static void level_free(struct cluster_level *l)
{
    free(l->ref);
    free(l->x);
    free(l->y);
    free(l->alone);
    memset(l, 0, sizeof(*l));
}

static bool level_alloc(struct cluster_level *l, uint32_t n)
{
    size_t m = n ? n : 1;
    l->ref = malloc(m * sizeof(*l->ref));
    l->x = malloc(m * sizeof(*l->x));
    l->y = malloc(m * sizeof(*l->y));
    l->alone = malloc(m * sizeof(*l->alone));
    l->n = 0;
    return l->ref && l->x && l->y && l->alone;
}

static inline void level_push(struct cluster_level *l, uint32_t ref, double x, double y, double alone)
{
    l->ref[l->n] = ref;
    l->x[l->n] = x;
    l->y[l->n] = y;
    l->alone[l->n++] = alone;
}

static struct kdbush *tree_for(const struct cluster_level *l, uint32_t node_size)
{
    struct kdbush *t = calloc(1, sizeof(*t));
    uint32_t *ids = malloc((l->n ? l->n : 1) * sizeof(*ids));
    float *coords = malloc((l->n ? l->n : 1) * 2 * sizeof(*coords));
    if (!t || !ids || !coords) {
        free(t);
        free(ids);
        free(coords);
        return NULL;
    }
    for (uint32_t i = 0; i < l->n; i++) {
        ids[i] = i;
        coords[2 * i] = (float)l->x[i]; /* Float32Array in KDBush */
        coords[2 * i + 1] = (float)l->y[i];
    }
    kdbush_init(t, ids, coords, l->n, node_size);
    return t;
}

/* Tree ids are data indices while the level is clustered, refs afterwards: a gather
 * across the level, in two halves on two threads when large. */
struct refs_job {
    struct kdbush *t;
    const struct cluster_level *l;
    uint32_t from, to;
};

static void ids_to_refs_range(void *arg)
{
    struct refs_job *j = arg;
    for (uint32_t i = j->from; i < j->to; i++)
        j->t->ids[i] = j->l->ref[j->t->ids[i]];
}

#define REFS_PARALLEL_MIN 65536

static void ids_to_refs(struct kdbush *t, const struct cluster_level *l)
{
    struct refs_job a = {t, l, 0, t->n / 2}, b = {t, l, t->n / 2, t->n};
    if (t->n >= REFS_PARALLEL_MIN) {
        cluster_pool_both(ids_to_refs_range, &a, ids_to_refs_range, &b);
    } else {
        a.to = t->n;
        ids_to_refs_range(&a);
    }
}

/* _cluster(tree, zoom): one pass over the level above, in data order. */
/* The pass's visited flags, one bit per item: the greedy pass tests them in its
 * neighbours' data order, which jumps across the level, and bits keep them in cache. */
static inline bool is_visited(const uint64_t *visited, uint32_t i)
{
    return visited[i >> 6] >> (i & 63) & 1;
}

static inline void set_visited(uint64_t *visited, uint32_t i)
{
    visited[i >> 6] |= (uint64_t)1 << (i & 63);
}

static int cluster_pass(struct cluster_index *idx, const struct kdbush *tree, struct cluster_level *cur, int zoom,
                        const struct cluster_input *pts, struct cluster_level *next, uint64_t *visited,
                        uint8_t *scratch, struct cluster_near *cn)
{
    const struct cluster_options *o = &idx->opt;
    size_t clusters_before = idx->nc;
    if (!cluster_near_prepare(cn, tree, cur, o->radius / (o->extent * pow(2, zoom)), scratch))
        return -1;
    memset(visited, 0, ((size_t)cur->n + 63) / 64 * sizeof(*visited));
    for (uint32_t i = 0; i < cur->n; i++) {
        if (is_visited(visited, i))
            continue;
        set_visited(visited, i);
        double x = cur->x[i], y = cur->y[i];
        const uint32_t *near;
        size_t n_near;
        if (!cluster_near_get(cn, tree, cur, i, &near, &n_near))
            return -1;
        uint32_t num_origin = ref_count(idx, cur->ref[i]);
        uint64_t num = num_origin;
        for (size_t j = 0; j < n_near; j++)
            if (!is_visited(visited, near[j]))
                num += ref_count(idx, cur->ref[near[j]]);
        if (num > num_origin && num >= (uint64_t)o->min_points) {
            if (!grow_clusters(idx))
                return -1;
            size_t c = idx->nc;
            double wx = x * num_origin, wy = y * num_origin;
            idx->child_off[c] = (uint32_t)idx->nchildren;
            for (size_t j = 0; j < n_near; j++) {
                uint32_t k = near[j];
                if (k != i) {
                    if (is_visited(visited, k))
                        continue;
                    set_visited(visited, k);
                    uint32_t n2 = ref_count(idx, cur->ref[k]);
                    wx += cur->x[k] * n2;
                    wy += cur->y[k] * n2;
                }
                if (!push_child(idx, cur->ref[k])) /* getChildren: parent === id, in within order */
                    return -1;
            }
            idx->cid[c] = (i << 5) + (uint32_t)(zoom + 1) + idx->n;
            idx->cnum[c] = (uint32_t)num;
            idx->cx[c] = wx / (double)num;
            idx->cy[c] = wy / (double)num;
            idx->nc++;
            idx->child_off[idx->nc] = (uint32_t)idx->nchildren;
            level_push(next, idx->n + (uint32_t)c, idx->cx[c], idx->cy[c], -INFINITY);
        } else {
            level_push(next, cur->ref[i], x, y, cur->alone[i]);
            if (num > 1)
                for (size_t j = 0; j < n_near; j++) {
                    uint32_t k = near[j];
                    if (is_visited(visited, k))
                        continue;
                    set_visited(visited, k);
                    level_push(next, cur->ref[k], cur->x[k], cur->y[k], cur->alone[k]);
                }
        }
    }
    aggregate_zoom(idx, clusters_before, idx->nc, pts);
    cluster_near_finish(cn, cur->n, idx->nc > clusters_before);
    return 0;
}

static int build_levels(struct cluster_index *idx, const struct cluster_input *pts, struct cluster_level *cur)
{
    const struct cluster_options *o = &idx->opt;
    struct cluster_level next = {0};
    uint8_t *scratch = malloc(cur->n ? cur->n : 1);
    uint64_t *visited = malloc(((size_t)cur->n + 63) / 64 * sizeof(*visited) + sizeof(*visited));
    struct kdbush *tree = tree_for(cur, o->node_size);
    struct cluster_near *cn = cluster_near_new(cur->n);
    int rc = -1;
    idx->trees[o->max_zoom + 1] = tree;
    if (!scratch || !visited || !tree || !cn)
        goto out;
    idx->distinct = 1;
    for (int z = o->max_zoom; z >= o->min_zoom; z--) {
        idx->zoom_first[z] = idx->nc;
        if (!level_alloc(&next, cur->n) || cluster_pass(idx, tree, cur, z, pts, &next, visited, scratch, cn) < 0)
            goto out;
        idx->zoom_end[z] = idx->nc;
        if (idx->nc == idx->zoom_first[z] && next.n == cur->n &&
            !memcmp(next.ref, cur->ref, (size_t)cur->n * sizeof(*cur->ref))) {
            idx->trees[z] = tree; /* the same data in the same order: the same KDBush */
            level_free(&next);
            continue;
        }
        struct kdbush *t = tree_for(&next, o->node_size);
        if (!t)
            goto out;
        ids_to_refs(tree, cur);
        level_free(cur);
        *cur = next;
        memset(&next, 0, sizeof(next));
        tree = idx->trees[z] = t;
        idx->distinct++;
    }
    ids_to_refs(tree, cur);
    shrink_to_fit(idx);
    rc = 0;
out: /* on failure cluster_index_free drops the trees made so far */
    level_free(&next);
    free(scratch);
    free(visited);
    cluster_near_free(cn);
    return rc;
}

struct cluster_index *cluster_index_build(const struct cluster_input *points, uint32_t n,
                                          const struct cluster_options *o, char *err, size_t errlen)
{
    if (n > CLUSTER_MAX_POINTS || o->min_zoom < 0 || o->max_zoom > CLUSTER_ZOOM_LIMIT - 1 ||
        o->min_zoom > o->max_zoom + 1 || !(o->radius > 0) || !(o->extent > 0) || o->min_points < 1) {
        snprintf(err, errlen, "cluster options out of range or more than %u points", CLUSTER_MAX_POINTS);
        return NULL;
    }
    struct cluster_index *idx = calloc(1, sizeof(*idx));
    struct cluster_level cur = {0};
    if (!idx || !level_alloc(&cur, n))
        goto fail;
    idx->opt = *o;
    idx->n = n;
    for (uint32_t i = 0; i < n; i++) {
        if (!isfinite(points[i].lon) || !isfinite(points[i].lat))
            continue; /* load(): `if (!p.geometry) continue;` keeps the index i */
        level_push(&cur, i, (float)cluster_lng_x(points[i].lon), (float)cluster_lat_y(points[i].lat), /* fround */
                   -INFINITY);
    }
    if (!grow_clusters(idx))
        goto fail;
    idx->child_off[0] = 0;
    if (build_levels(idx, points, &cur) < 0)
        goto fail;
    level_free(&cur);
    return idx;
fail:
    level_free(&cur);
    cluster_index_free(idx);
    snprintf(err, errlen, "out of memory building the cluster index");
    return NULL;
}

void cluster_index_free(struct cluster_index *idx)
{
    if (!idx)
        return;
    const struct cluster_options *o = &idx->opt;
    for (int z = o->min_zoom; z <= o->max_zoom + 1; z++)
        if (idx->trees[z] && (z == o->max_zoom + 1 || idx->trees[z] != idx->trees[z + 1])) {
            kdbush_free(idx->trees[z]);
            free(idx->trees[z]);
        }
    free(idx->cx);
    free(idx->cy);
    free(idx->cid);
    free(idx->cnum);
    free(idx->nweighted);
    free(idx->counters);
    free(idx->wsum);
    free(idx->child_off);
    free(idx->children);
    free(idx);
}
