#include "tiles/render.h"

#include "db/feature_props.h"

#include "geo/rtree.h"
#include "tiles/boundaries.h"
#include "tiles/cluster_render.h"
#include "tiles/mvt.h"
#include "tiles/render_props.h"
#include "tiles/render_thin.h"
#include "tiles/territory_bubbles.h"
#include "tiles/tile_math.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One encoder per worker thread, reset between tiles, so a warm thread encodes without
 * allocating. Freed when the thread ends. */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *tile) { mvt_tile_destroy(tile); }
static void scratch_init(void) { pthread_key_create(&scratch_key, scratch_free); }

static struct mvt_tile *scratch_tile(void)
{
    pthread_once(&scratch_once, scratch_init);
    struct mvt_tile *t = pthread_getspecific(scratch_key);
    if (!t) {
        t = mvt_tile_new();
        if (t)
            pthread_setspecific(scratch_key, t);
    } else {
        mvt_tile_reset(t);
    }
    return t;
}

/* A site that passed filters and scope, with its place in the tile. */
struct candidate {
    const struct site *site;
    double px, py;
    int status; /* as of the filter date */
    int32_t id; /* site->id, kept here so that sorting does not touch the sites */
    uint32_t index; /* in snapshot->sites */
};

/* Properties go into the feature through the shared writer (db/feature_props.h);
 * non-negative integers as uint values, as MVT readers expect of ids and counts. */
static void mvt_sink_string(void *ctx, const char *key, const char *value)
{
    mvt_feature_add_string(ctx, key, value);
}

static void mvt_sink_int(void *ctx, const char *key, int64_t value)
{
    if (value >= 0)
        mvt_feature_add_uint(ctx, key, (uint64_t)value);
    else
        mvt_feature_add_sint(ctx, key, value);
}

static void mvt_sink_bool(void *ctx, const char *key, bool value)
{
    mvt_feature_add_bool(ctx, key, value);
}

static struct prop_sink mvt_sink(struct mvt_feature *f)
{
    return (struct prop_sink){f, mvt_sink_string, mvt_sink_int, mvt_sink_bool};
}

static void encode_site(struct mvt_layer *layer, const struct site_snapshot *snap, const struct candidate *c,
                        bool justice, int32_t day)
{
    const struct site *s = c->site;
    struct mvt_feature *f = mvt_layer_begin_feature(layer, MVT_POINT);
    if (!f)
        return;
    mvt_feature_set_id(f, (uint64_t)s->id);
    mvt_feature_add_point(f, c->px, c->py);
    struct prop_sink sink = mvt_sink(f);
    site_props_emit(&sink, snap, s, c->status, day, justice);
    mvt_feature_end(f);
}

/* c is the k-th site given to the writer. */
static void encode_site_interned(struct mvt_layer *layer, struct site_prop_writer *writer, const struct candidate *c,
                                 size_t k)
{
    struct mvt_feature *f = mvt_layer_begin_feature(layer, MVT_POINT);
    if (!f)
        return;
    mvt_feature_set_id(f, (uint64_t)c->id);
    mvt_feature_add_point(f, c->px, c->py);
    site_prop_writer_add(writer, f, k);
    mvt_feature_end(f);
}

void render_site_feature(struct mvt_layer *layer, const struct site_snapshot *snap, const struct site *s, double px,
                         double py, const struct tile_request *rq)
{
    bool justice = rq->scope->kind != SCOPE_PUBLIC && (rq->scope->flags & SCOPE_FLAG_JUSTICE);
    struct candidate c = {s, px, py, site_status_on(s, rq->filter->day), s->id, 0};
    encode_site(layer, snap, &c, justice, rq->filter->day);
}

/* Open sites first, then the most populated, then the oldest id: the sites a map must
 * not lose are the last ones thinned away. */
static int compare_priority(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;
    int xo = x->status == SITE_OPEN, yo = y->status == SITE_OPEN;
    if (xo != yo)
        return yo - xo;
    if (x->site->population != y->site->population)
        return x->site->population < y->site->population ? 1 : -1;
    return (x->site->id > y->site->id) - (x->site->id < y->site->id);
}

static int compare_id(const void *a, const void *b)
{
    int32_t x = ((const struct candidate *)a)->id, y = ((const struct candidate *)b)->id;
    return (x > y) - (x < y);
}

/* Keeps at most `budget` candidates, dropping the densest first (as tippecanoe's
 * drop-densest-as-needed): each site is ranked within its cell of a fine grid (2 tile
 * units) by priority, then sites are kept by rank, then priority. A site alone in its
 * cell has rank 0 and always stays; a cell with many sites gives up its
 * lowest-priority ones first. */
#define THIN_CELL 2.0

struct ranked {
    uint64_t cell;
    uint32_t rank;
    uint32_t order; /* position in priority order */
};

static int compare_cell_then_order(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->cell != y->cell)
        return x->cell < y->cell ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

static int compare_rank_then_order(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

static size_t thin_candidates(struct candidate *c, size_t n, size_t budget)
{
    qsort(c, n, sizeof(*c), compare_priority);
    struct ranked *r = malloc(n * sizeof(*r));
    struct candidate *kept = malloc(budget * sizeof(*kept));
    if (!r || !kept) {
        free(r);
        free(kept);
        return budget; /* the highest-priority sites, unthinned */
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t cx = (uint64_t)(int64_t)((c[i].px + TILE_POINT_BUFFER) / THIN_CELL);
        uint64_t cy = (uint64_t)(int64_t)((c[i].py + TILE_POINT_BUFFER) / THIN_CELL);
        r[i] = (struct ranked){(cx << 32) | (cy & 0xffffffffu), 0, (uint32_t)i};
    }
    qsort(r, n, sizeof(*r), compare_cell_then_order);
    for (size_t i = 1; i < n; i++)
        if (r[i].cell == r[i - 1].cell)
            r[i].rank = r[i - 1].rank + 1;
    qsort(r, n, sizeof(*r), compare_rank_then_order);
    for (size_t i = 0; i < budget; i++)
        kept[i] = c[r[i].order];
    memcpy(c, kept, budget * sizeof(*kept));
    free(r);
    free(kept);
    return budget;
}

struct site_query_ctx {
    const struct tile_request *rq;
    const struct site_snapshot *snap;
    struct candidate *items;
    size_t n, cap;
    size_t limit; /* stop once this many are collected (0: no limit) */
    bool failed;
};

static bool collect_site(uint32_t index, void *arg)
{
    struct site_query_ctx *q = arg;
    const struct site *s = q->snap->sites[index];
    if (!scope_allows_site(q->rq->scope, s) || !site_filter_match(q->rq->filter, s))
        return true;
    double px, py;
    if (!tile_lonlat_to_pixel(q->rq->z, q->rq->x, q->rq->y, TILE_EXTENT, s->lon, s->lat, &px, &py))
        return true;
    if (px < -TILE_POINT_BUFFER || px > TILE_EXTENT + TILE_POINT_BUFFER || py < -TILE_POINT_BUFFER ||
        py > TILE_EXTENT + TILE_POINT_BUFFER)
        return true;
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 256;
        struct candidate *grown = realloc(q->items, cap * sizeof(*grown));
        if (!grown) {
            q->failed = true;
            return false;
        }
        q->items = grown;
        q->cap = cap;
    }
    q->items[q->n++] = (struct candidate){s, px, py, site_status_on(s, q->rq->filter->day), s->id, index};
    return !q->limit || q->n < q->limit;
}

/* Collects the tile's first `limit` visible sites in thinning order (tiles/render_thin.h)
 * instead of every site of the tile: 1 when done, 0 when there is no index for this
 * zoom or snapshot, -1 when memory ran out. */
static int collect_in_thinning_order(struct site_query_ctx *q, const struct rtree_box *box, size_t limit)
{
    if (q->rq->z > THIN_MAX_ZOOM)
        return 0;
    const struct thin_index *ix = thin_index_acquire(q->snap);
    if (!ix)
        return 0;
    q->n = 0;
    q->limit = limit;
    size_t visited = thin_index_walk(ix, q->rq->z, box, collect_site, q);
    thin_index_release(ix);
    return visited == SIZE_MAX || q->failed ? -1 : 1;
}

static int render_sites(const struct tile_request *rq, const struct site_snapshot *snap, struct mvt_tile *tile,
                        struct tile_render_stats *stats)
{
    if (rq->scope->kind == SCOPE_PUBLIC)
        return 0; /* the public scope sees aggregates, never site positions */
    if (rq->z < tile_layer_minzoom(LAYER_SITES, snap))
        return 0; /* below it, the clusters layer shows the sites */
    struct tile_bbox box;
    if (!tile_query_bbox(rq->z, rq->x, rq->y, TILE_EXTENT, TILE_POINT_BUFFER, &box))
        return 0;
    /* One site over budget at most: a tile holding that many is thinned. In thinning
     * order, the first `budget` are the ones to keep; a tile that fits gets every site
     * either way. Deeper than the index goes, every site is collected and sorted. */
    struct site_query_ctx q = {.rq = rq, .snap = snap};
    struct rtree_box query = {box.minx, box.miny, box.maxx, box.maxy};
    int indexed = collect_in_thinning_order(&q, &query, TILE_SITES_FEATURE_BUDGET + 1);
    if (indexed == 0) {
        q.n = 0;
        q.limit = 0;
        rtree_search(snap->index, &query, collect_site, &q);
    }
    if (q.failed || indexed < 0) {
        free(q.items);
        return -1;
    }
    size_t n = q.n;
    if (n > TILE_SITES_FEATURE_BUDGET) {
        stats->sites_thinned = true;
        n = indexed ? TILE_SITES_FEATURE_BUDGET : thin_candidates(q.items, q.n, TILE_SITES_FEATURE_BUDGET);
    }
    if (n)
        qsort(q.items, n, sizeof(*q.items), compare_id);
    struct mvt_layer *layer = n ? mvt_tile_add_layer(tile, "sites", TILE_EXTENT) : NULL;
    bool justice = rq->scope->kind != SCOPE_PUBLIC && (rq->scope->flags & SCOPE_FLAG_JUSTICE);
    /* The current data without justice fields (most tiles) has its properties interned
     * per snapshot; a date or the justice fields take them one by one. */
    const struct site_prop_table *props =
        layer && !justice && rq->filter->day == DAY_NONE ? site_prop_table_acquire(snap) : NULL;
    uint32_t *order = props ? malloc(n * sizeof *order) : NULL;
    for (size_t i = 0; order && i < n; i++)
        order[i] = q.items[i].index;
    struct site_prop_writer *writer = order ? site_prop_writer_begin(props, layer, order, n) : NULL;
    for (size_t i = 0; layer && i < n; i++) {
        if (writer)
            encode_site_interned(layer, writer, &q.items[i], i);
        else
            encode_site(layer, snap, &q.items[i], justice, rq->filter->day);
    }
    free(order);
    site_prop_table_release(props);
    stats->features[LAYER_SITES] = layer ? mvt_layer_feature_count(layer) : 0;
    free(q.items);
    return 0;
}

static void encode_action(struct mvt_layer *layer, const struct action_point *p, uint32_t ordinal, double px,
                          double py)
{
    struct mvt_feature *f = mvt_layer_begin_feature(layer, MVT_POINT);
    if (!f)
        return;
    /* An action can have several points: the id stays unique per point. */
    mvt_feature_set_id(f, (uint64_t)p->action_id * 1000u + ordinal);
    mvt_feature_add_point(f, px, py);
    struct prop_sink sink = mvt_sink(f);
    action_props_emit(&sink, p, 0); /* tiles carry no finances (TileJSON lists none) */
    mvt_feature_end(f);
}

static void render_actions(const struct tile_request *rq, const struct action_snapshot *snap, struct mvt_tile *tile,
                           struct tile_render_stats *stats)
{
    if (rq->scope->kind == SCOPE_PUBLIC)
        return;
    struct mvt_layer *layer = NULL;
    uint32_t ordinal = 0;
    for (size_t i = 0; i < snap->count; i++) {
        const struct action_point *p = &snap->points[i];
        ordinal = i && snap->points[i - 1].action_id == p->action_id ? ordinal + 1 : 0;
        double px, py;
        if (!tile_lonlat_to_pixel(rq->z, rq->x, rq->y, TILE_EXTENT, p->lon, p->lat, &px, &py) ||
            px < -TILE_POINT_BUFFER || px > TILE_EXTENT + TILE_POINT_BUFFER || py < -TILE_POINT_BUFFER ||
            py > TILE_EXTENT + TILE_POINT_BUFFER)
            continue;
        if (!scope_allows_action(rq->scope, p) || !action_point_match(rq->filter, p))
            continue;
        if (!layer && !(layer = mvt_tile_add_layer(tile, "actions", TILE_EXTENT)))
            return;
        encode_action(layer, p, ordinal, px, py);
    }
    stats->features[LAYER_ACTIONS] = layer ? mvt_layer_feature_count(layer) : 0;
}

/* -1: automatic (thin_index_sites_minzoom). */
static atomic_int fixed_sites_minzoom = -1;

void tile_sites_minzoom_set(int z)
{
    atomic_store(&fixed_sites_minzoom, z < 0 ? -1 : z > TILE_LAYER_MAX_ZOOM ? TILE_LAYER_MAX_ZOOM : z);
}

int tile_layer_minzoom(enum tile_layer_id id, const struct site_snapshot *snap)
{
    int minzoom = tile_layer_def(id)->minzoom;
    if (id != LAYER_SITES)
        return minzoom;
    int fixed = atomic_load(&fixed_sites_minzoom);
    if (fixed >= 0)
        return fixed > minzoom ? fixed : minzoom;
    if (!snap)
        return minzoom;
    const struct thin_index *ix = thin_index_acquire(snap);
    int dense = ix ? thin_index_sites_minzoom(ix) : 0;
    thin_index_release(ix);
    return dense > minzoom ? dense : minzoom;
}

void tile_snapshot_prepare(const struct site_snapshot *snap, void *ctx)
{
    (void)ctx;
    thin_index_release(thin_index_acquire(snap));
    site_prop_table_release(site_prop_table_acquire(snap));
}

int tile_render(const struct tile_request *rq, const struct tile_sources *src, struct buf *out,
                struct tile_render_stats *stats)
{
    memset(stats, 0, sizeof(*stats));
    struct mvt_tile *tile = scratch_tile();
    if (!tile)
        return -1;
    /* Boundaries first: drawn under the points. */
    if ((rq->layers & (1u << LAYER_BOUNDARIES)) && src->boundaries &&
        boundary_layer_render(src->boundaries, rq->z, rq->x, rq->y, tile, &stats->features[LAYER_BOUNDARIES]) < 0)
        return -1;
    if ((rq->layers & (1u << LAYER_SITES)) && render_sites(rq, src->sites, tile, stats) < 0)
        return -1;
    if (rq->layers & (1u << LAYER_ACTIONS))
        render_actions(rq, src->actions, tile, stats);
    if ((rq->layers & (1u << LAYER_CLUSTERS)) &&
        cluster_layer_render(rq, src->sites, tile, &stats->features[LAYER_CLUSTERS]) < 0)
        return -1;
    if ((rq->layers & (1u << LAYER_TERRITORIES)) &&
        territory_layer_render(rq, src, tile, &stats->features[LAYER_TERRITORIES]) < 0)
        return -1;
    return mvt_tile_serialize(tile, out) ? 0 : -1;
}
