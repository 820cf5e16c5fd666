#include "tiles/cluster_near.h"

#include "tiles/cluster_grid.h"
#include "tiles/cluster_pool.h"

#include <math.h>
#include <stdlib.h>

/* Why the passes skip most searches: at high zooms almost every within(r) finds only
 * the point itself, and costs a full tree descent. Each search therefore reaches
 * further than r (see `reach`); its result filtered to r is exactly within(r) (same test, same
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
static double search_near(const struct kdbush *tree, const struct cluster_level *cur, uint32_t i, double r, double drift,
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

static void bound_by_grid(struct cluster_level *cur, double r, double need, double drift, uint8_t *flags)
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
#define SECOND_HALF 0x80000000u /* in start: the answer is in the second half's vector */
struct near_table {
    uint32_t *start, *len; /* per data item */
    struct u32vec all;
    const struct u32vec *second; /* the second half's answers (SECOND_HALF starts) */
};

/* One range of tree positions searched ahead into its own vectors: the two halves of
 * a level run on two threads (tiles/cluster_pool.h). Each half writes only its own
 * items' table entries and bounds and reads the tree and positions, which no one
 * writes during the pass. */
struct ahead_half {
    const struct kdbush *tree;
    struct cluster_level *cur;
    struct near_table *nt;
    double r, need, drift;
    uint32_t from, to;
    size_t budget;
    struct reach reach;
    struct u32vec all, nb;
    bool ok;
};

static void search_ahead_range(void *arg)
{
    struct ahead_half *h = arg;
    const struct kdbush *tree = h->tree;
    struct cluster_level *cur = h->cur;
    struct near_table *nt = h->nt;
    h->all.len = 0;
    h->ok = true;
    for (uint32_t p = h->from; p < h->to; p++) {
        uint32_t i = tree->ids[p];
        if (h->all.len > h->budget) {
            nt->len[i] = NEAR_LATER;
            continue;
        }
        if (cur->alone[i] > h->need) {
            nt->len[i] = NEAR_ALONE;
            continue;
        }
        bool ok;
        cur->alone[i] = search_near(tree, cur, i, h->r, h->drift, &h->reach, &h->nb, &ok);
        nt->start[i] = (uint32_t)h->all.len | (h->from ? SECOND_HALF : 0); /* lengths stay below 2^30 */
        nt->len[i] = (uint32_t)h->nb.len;
        for (size_t j = 0; ok && j < h->nb.len; j++)
            ok = u32vec_push(&h->all, h->nb.items[j]);
        if (!ok) {
            h->ok = false;
            for (p++; p < h->to; p++) /* the rest: searched by the pass if it gets there */
                nt->len[tree->ids[p]] = NEAR_LATER;
            return;
        }
    }
}

#define AHEAD_PARALLEL_MIN 16384 /* smaller levels are searched on one thread */

static bool search_ahead(const struct kdbush *tree, struct cluster_level *cur, double r, double need, double drift,
                         struct reach *reach, struct near_table *nt, struct ahead_half halves[2])
{
    size_t budget = 8 * (size_t)cur->n + 65536;
    uint32_t mid = tree->n >= AHEAD_PARALLEL_MIN ? tree->n / 2 : tree->n;
    for (int k = 0; k < 2; k++) {
        struct ahead_half *h = &halves[k];
        h->tree = tree;
        h->cur = cur;
        h->nt = nt;
        h->r = r;
        h->need = need;
        h->drift = drift;
        h->from = k ? mid : 0;
        h->to = k ? tree->n : mid;
        h->budget = mid < tree->n ? budget / 2 : budget;
        h->reach = *reach;
        h->reach.searches = h->reach.others = 0;
    }
    if (mid < tree->n)
        cluster_pool_both(search_ahead_range, &halves[0], search_ahead_range, &halves[1]);
    else
        search_ahead_range(&halves[0]);
    if (!halves[0].ok || (mid < tree->n && !halves[1].ok))
        return false;
    for (int k = 0; k < 2; k++) {
        reach->searches += halves[k].reach.searches;
        reach->others += halves[k].reach.others;
    }
    /* One table: the first half's vector becomes the table's (no copy), the second's
     * is read where it is (no copy, no fix-up of its items' starts). */
    struct u32vec first = nt->all;
    nt->all = halves[0].all;
    halves[0].all = first;
    nt->second = &halves[1].all;
    return true;
}

struct cluster_near {
    struct reach reach;
    double drift, r, need;
    struct near_table table;
    struct u32vec nb;
    struct ahead_half halves[2];
};

struct cluster_near *cluster_near_new(uint32_t n)
{
    struct cluster_near *cn = calloc(1, sizeof(*cn));
    if (!cn)
        return NULL;
    cn->reach.factor = MAX_REACH;
    cn->table.start = malloc((n ? n : 1) * sizeof(uint32_t));
    cn->table.len = malloc((n ? n : 1) * sizeof(uint32_t));
    if (!cn->table.start || !cn->table.len) {
        cluster_near_free(cn);
        return NULL;
    }
    return cn;
}

void cluster_near_free(struct cluster_near *cn)
{
    if (!cn)
        return;
    free(cn->table.start);
    free(cn->table.len);
    free(cn->table.all.items);
    free(cn->nb.items);
    for (int k = 0; k < 2; k++) {
        free(cn->halves[k].all.items);
        free(cn->halves[k].nb.items);
    }
    free(cn);
}

bool cluster_near_prepare(struct cluster_near *cn, const struct kdbush *tree, struct cluster_level *cur, double r,
                          uint8_t *scratch)
{
    cn->r = r;
    cn->need = r * (1 + 1e-9) + COORD_SLACK + cn->drift;
    bound_by_grid(cur, r, cn->need, cn->drift, scratch);
    return search_ahead(tree, cur, r, cn->need, cn->drift, &cn->reach, &cn->table, cn->halves);
}

bool cluster_near_get(struct cluster_near *cn, const struct kdbush *tree, struct cluster_level *cur, uint32_t i,
                      const uint32_t **items, size_t *n)
{
    uint32_t known = cn->table.len[i];
    *n = 0;
    *items = NULL;
    if (known == NEAR_ALONE || (known == NEAR_LATER && cur->alone[i] > cn->need))
        return true; /* within(r) = this item alone */
    if (known != NEAR_LATER) {
        uint32_t start = cn->table.start[i];
        *items = start & SECOND_HALF ? cn->table.second->items + (start & ~SECOND_HALF) : cn->table.all.items + start;
        *n = known;
        return true;
    }
    bool ok;
    cur->alone[i] = search_near(tree, cur, i, cn->r, cn->drift, &cn->reach, &cn->nb, &ok);
    *items = cn->nb.items;
    *n = cn->nb.len;
    return ok;
}

void cluster_near_finish(struct cluster_near *cn, uint32_t level_items, bool clustered)
{
    struct reach *reach = &cn->reach;
    double r = cn->r;
    if (clustered)
        cn->drift += r + COORD_SLACK;
    /* Only a pass that searched around most items says how crowded the level is
     * (the others searched only points known to have neighbours). At the next r, a
     * reach of f radii meets met * (f * r / reach)^2 others: aim at one. */
    if (reach->searches * 4 >= level_items) {
        reach->met = reach->searches ? (double)reach->others / (double)reach->searches : 0;
        reach->measured_at = reach->factor * r;
    }
    double factor = reach->met > 0 ? reach->measured_at / (2 * r * sqrt(reach->met)) : MAX_REACH;
    reach->factor = factor < 1 ? 1 : factor > MAX_REACH ? MAX_REACH : factor;
    reach->searches = reach->others = 0;
}
