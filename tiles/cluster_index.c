/* supercluster's load() and queries over flat arrays. The comments name the JavaScript
 * they mirror (supercluster 8.0.1 index.js) where the order of operations matters. */
#include "tiles/cluster_index.h"
#include "tiles/cluster_grid.h"
#include "tiles/cluster_index_impl.h"

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
    for (uint32_t j = idx->child_off[c]; j < idx->nchildren; j++) {
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

/* One level's data in supercluster's data order. alone[i] - drift (see cluster_pass) is
 * a lower bound of the distance from item i to any other item of the level. */
struct level {
    uint32_t *ref;
    double *x, *y, *alone;
    uint32_t n;
};

static void level_free(struct level *l)
{
    free(l->ref);
    free(l->x);
    free(l->y);
    free(l->alone);
    memset(l, 0, sizeof(*l));
}

static bool level_alloc(struct level *l, uint32_t n)
{
    size_t m = n ? n : 1;
    l->ref = malloc(m * sizeof(*l->ref));
    l->x = malloc(m * sizeof(*l->x));
    l->y = malloc(m * sizeof(*l->y));
    l->alone = malloc(m * sizeof(*l->alone));
    l->n = 0;
    return l->ref && l->x && l->y && l->alone;
}

static inline void level_push(struct level *l, uint32_t ref, double x, double y, double alone)
{
    l->ref[l->n] = ref;
    l->x[l->n] = x;
    l->y[l->n] = y;
    l->alone[l->n++] = alone;
}

static struct kdbush *tree_for(const struct level *l, uint32_t node_size)
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

/* Tree ids are data indices while the level is clustered, refs afterwards. */
static void ids_to_refs(struct kdbush *t, const struct level *l)
{
    for (uint32_t i = 0; i < t->n; i++)
        t->ids[i] = l->ref[t->ids[i]];
}

/* Why the passes skip most searches: at high zooms almost every within(r) finds only
 * the point itself, and costs a full tree descent. Each search therefore reaches
 * ISOLATION_REACH radii; its result filtered to r is exactly within(r) (same test, same
 * KDBush order), and the nearest other item it saw bounds how alone the point is. The
 * bound stays valid while the point survives: removing items only moves neighbours
 * away, and a new cluster's centroid lies within r (+ float slack) of its origin, so
 * each pass that clusters lowers every bound by that much (`drift`). A point whose
 * bound exceeds this pass's r would find only itself: the pass treats it as such
 * without searching, which is what supercluster does with that answer. The reach
 * (1 to MAX_REACH radii) adapts so that a search meets about one other item: further,
 * searches get dearer than the ones they save. */
#define MAX_REACH 16.0
/* Before searching, a pass where many items have no bound yet gets them all from one
 * grid sort (tiles/cluster_grid.h) with cells of GRID_REACH radii: a bound that holds
 * this pass and the next. Searches are left for items with a neighbour nearby. */
#define GRID_REACH 4.0
#define GRID_MIN_ITEMS 4096
#define COORD_SLACK 1e-7 /* > distance between a coordinate in [0, 1] and its float */

struct reach {
    double factor;             /* reach / r */
    uint64_t searches, others; /* this pass: searches made, other items they met */
    double met, measured_at;   /* others met per search at that reach, last time most items were searched */
};

/* within(r) of item i into nb, searching further; returns the new bound for item i. */
static double search_near(const struct kdbush *tree, const struct level *cur, uint32_t i, double r, double drift,
                          struct reach *rc, struct u32vec *nb, bool *ok)
{
    double x = cur->x[i], y = cur->y[i], reach = r * rc->factor;
    double r2 = r * r, nearest2 = reach * reach;
    nb->len = 0;
    *ok = kdbush_within_positions(tree, x, y, reach, nb);
    size_t kept = 0;
    for (size_t j = 0; j < nb->len; j++) {
        uint32_t pos = nb->items[j], k = tree->ids[pos];
        double dx = (double)tree->coords[2 * pos] - x, dy = (double)tree->coords[2 * pos + 1] - y; /* as within() */
        double d2 = dx * dx + dy * dy;
        if (k != i && d2 < nearest2)
            nearest2 = d2;
        if (d2 <= r2)
            nb->items[kept++] = k;
    }
    rc->searches++;
    rc->others += nb->len - (kept > 0);
    nb->len = kept;
    return sqrt(nearest2) * (1 - 1e-12) - COORD_SLACK + drift;
}

static void bound_by_grid(struct level *cur, double r, double need, double drift, uint8_t *flags)
{
    uint32_t unknown = 0;
    for (uint32_t i = 0; i < cur->n; i++)
        unknown += cur->alone[i] <= need;
    if (cur->n < GRID_MIN_ITEMS || unknown * 8 < cur->n)
        return;
    double g = r * GRID_REACH, bound = g * (1 - 1e-9) - 2 * COORD_SLACK + drift;
    if (!cluster_grid_alone(cur->x, cur->y, cur->n, g, flags))
        return; /* no memory for the sort: every item is searched */
    for (uint32_t i = 0; i < cur->n; i++)
        if (flags[i] && bound > cur->alone[i])
            cur->alone[i] = bound;
}

/* within(r) answers made ahead of a pass. Why: the pass visits items in data order,
 * which jumps across the map, so each search would wait on memory; searching in the
 * tree's order walks neighbouring items one after the other. A within() answer does
 * not depend on what the pass has visited, so it can be made early; the pass only
 * skips the answers of items consumed before their turn. A level where the answers
 * would be too many (a dense low zoom) keeps the rest for the pass to search. */
#define NEAR_ALONE UINT32_MAX     /* item alone: no search needed */
#define NEAR_LATER (UINT32_MAX - 1) /* not searched ahead */
struct near_table {
    uint32_t *start, *len; /* per data item */
    struct u32vec all;
};

static bool search_ahead(const struct kdbush *tree, struct level *cur, double r, double need, double drift,
                         struct reach *reach, struct near_table *nt, struct u32vec *nb)
{
    size_t budget = 8 * (size_t)cur->n + 65536;
    nt->all.len = 0;
    for (uint32_t p = 0; p < tree->n; p++) {
        uint32_t i = tree->ids[p];
        if (nt->all.len > budget) {
            nt->len[i] = NEAR_LATER;
            continue;
        }
        if (cur->alone[i] > need) {
            nt->len[i] = NEAR_ALONE;
            continue;
        }
        bool ok;
        cur->alone[i] = search_near(tree, cur, i, r, drift, reach, nb, &ok);
        nt->start[i] = (uint32_t)nt->all.len;
        nt->len[i] = (uint32_t)nb->len;
        for (size_t j = 0; ok && j < nb->len; j++)
            ok = u32vec_push(&nt->all, nb->items[j]);
        if (!ok)
            return false;
    }
    return true;
}

/* _cluster(tree, zoom): one pass over the level above, in data order. */
static int cluster_pass(struct cluster_index *idx, const struct kdbush *tree, struct level *cur, int zoom,
                        const struct cluster_input *pts, struct level *next, uint8_t *visited, struct u32vec *nb,
                        double *drift, struct reach *reach, struct near_table *nt)
{
    const struct cluster_options *o = &idx->opt;
    double r = o->radius / (o->extent * pow(2, zoom));
    double need = r * (1 + 1e-9) + COORD_SLACK + *drift;
    size_t clusters_before = idx->nc;
    bound_by_grid(cur, r, need, *drift, visited);
    if (!search_ahead(tree, cur, r, need, *drift, reach, nt, nb))
        return -1;
    memset(visited, 0, cur->n);
    for (uint32_t i = 0; i < cur->n; i++) {
        if (visited[i])
            continue;
        visited[i] = 1;
        double x = cur->x[i], y = cur->y[i];
        uint32_t known = nt->len[i];
        if (known == NEAR_ALONE || (known == NEAR_LATER && cur->alone[i] > need)) { /* within(r) = this point alone */
            level_push(next, cur->ref[i], x, y, cur->alone[i]);
            continue;
        }
        double alone = cur->alone[i];
        if (known == NEAR_LATER) {
            bool ok;
            alone = search_near(tree, cur, i, r, *drift, reach, nb, &ok);
            if (!ok)
                return -1;
        } else {
            nb->len = 0;
            for (uint32_t j = 0; j < known; j++)
                if (!u32vec_push(nb, nt->all.items[nt->start[i] + j]))
                    return -1;
        }
        uint32_t num_origin = ref_count(idx, cur->ref[i]);
        uint64_t num = num_origin;
        for (size_t j = 0; j < nb->len; j++)
            if (!visited[nb->items[j]])
                num += ref_count(idx, cur->ref[nb->items[j]]);
        if (num > num_origin && num >= (uint64_t)o->min_points) {
            if (!grow_clusters(idx))
                return -1;
            size_t c = idx->nc;
            double wx = x * num_origin, wy = y * num_origin;
            idx->child_off[c] = (uint32_t)idx->nchildren;
            for (size_t j = 0; j < nb->len; j++) {
                uint32_t k = nb->items[j];
                if (k != i) {
                    if (visited[k])
                        continue;
                    visited[k] = 1;
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
            aggregate(idx, c, pts);
            idx->nc++;
            idx->child_off[idx->nc] = (uint32_t)idx->nchildren;
            level_push(next, idx->n + (uint32_t)c, idx->cx[c], idx->cy[c], -INFINITY);
        } else {
            level_push(next, cur->ref[i], x, y, alone);
            if (num > 1)
                for (size_t j = 0; j < nb->len; j++) {
                    uint32_t k = nb->items[j];
                    if (visited[k])
                        continue;
                    visited[k] = 1;
                    level_push(next, cur->ref[k], cur->x[k], cur->y[k], cur->alone[k]);
                }
        }
    }
    if (idx->nc > clusters_before)
        *drift += r + COORD_SLACK;
    /* Only a pass that searched around most items says how crowded the level is
     * (the others searched only points known to have neighbours). At the next r, a
     * reach of f radii meets met * (f * r / reach)^2 others: aim at one. */
    if (reach->searches * 4 >= cur->n) {
        reach->met = reach->searches ? (double)reach->others / (double)reach->searches : 0;
        reach->measured_at = reach->factor * r;
    }
    double factor = reach->met > 0 ? reach->measured_at / (2 * r * sqrt(reach->met)) : MAX_REACH;
    reach->factor = factor < 1 ? 1 : factor > MAX_REACH ? MAX_REACH : factor;
    reach->searches = reach->others = 0;
    return 0;
}

static int build_levels(struct cluster_index *idx, const struct cluster_input *pts, struct level *cur)
{
    const struct cluster_options *o = &idx->opt;
    struct level next = {0};
    uint8_t *visited = malloc(cur->n ? cur->n : 1);
    struct u32vec nb = {0};
    struct kdbush *tree = tree_for(cur, o->node_size);
    double drift = 0;
    struct reach reach = {MAX_REACH, 0, 0, 0, 0};
    struct near_table nt = {malloc((cur->n ? cur->n : 1) * sizeof(uint32_t)), malloc((cur->n ? cur->n : 1) * sizeof(uint32_t)),
                            {0}};
    int rc = -1;
    idx->trees[o->max_zoom + 1] = tree;
    if (!visited || !tree || !nt.start || !nt.len)
        goto out;
    idx->distinct = 1;
    for (int z = o->max_zoom; z >= o->min_zoom; z--) {
        idx->zoom_first[z] = idx->nc;
        if (!level_alloc(&next, cur->n) || cluster_pass(idx, tree, cur, z, pts, &next, visited, &nb, &drift, &reach, &nt) < 0)
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
    free(visited);
    free(nb.items);
    free(nt.start);
    free(nt.len);
    free(nt.all.items);
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
    struct level cur = {0};
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
