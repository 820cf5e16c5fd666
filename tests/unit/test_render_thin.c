/* The per-snapshot structures of the sites layer: the thinning index (ranks against a
 * brute-force count, walk order and completeness, sharing between threads) and the
 * interned properties (the same bytes as properties added one by one). */
#include "db/feature_props.h"
#include "db/site_store.h"
#include "tests/unit/unit.h"
#include "geo/rtree.h"
#include "tiles/mvt.h"
#include "tiles/render.h"
#include "tiles/render_props.h"
#include "tiles/render_thin.h"
#include "tiles/tile_math.h"
#include "util/buf.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#define N 3000

static struct site sites[N];
static const struct site *ptrs[N];
static struct field_type field_types[2] = {{1, "Terrain", "ff0000"}, {2, "Immeuble", "00ff00"}};
static unsigned seed = 7;

static double rnd(void)
{
    seed = seed * 1103515245u + 12345u;
    return (seed >> 8) / 16777216.0;
}

/* Half the sites in two tight clusters (Saint-Denis, Marseille), half over France, some
 * sharing a position; statuses, populations and names vary. */
static struct site_snapshot make_snapshot(uint64_t version)
{
    seed = 7;
    for (int i = 0; i < N; i++) {
        struct site *s = &sites[i];
        memset(s, 0, sizeof *s);
        s->id = 5 * i + 3;
        if (i % 2) {
            s->lon = -4.0 + rnd() * 12.0;
            s->lat = 43.0 + rnd() * 7.0;
        } else if (i % 4) {
            s->lon = 2.35 + rnd() * 0.01;
            s->lat = 48.93 + rnd() * 0.01;
        } else {
            s->lon = 5.37 + rnd() * 0.002;
            s->lat = 43.30 + rnd() * 0.002;
        }
        if (i % 97 == 0 && i)
            *s = (struct site){.id = s->id, .lon = sites[i - 1].lon, .lat = sites[i - 1].lat};
        s->status = i % 3 ? SITE_CLOSED_BY_JUSTICE : SITE_OPEN;
        s->closed_day = s->status == SITE_OPEN ? DAY_NONE : 19000 + i % 40;
        s->declared_day = i % 5 ? 17000 + i % 300 : DAY_NONE;
        s->built_day = DAY_NONE;
        s->population = i % 11 - 1;
        s->field_type_id = i % 3; /* 0: no such field type */
        s->water = (uint8_t)(i % WATER_STATUS_COUNT);
        s->name = i % 7 ? (i % 2 ? "Les Acacias" : "Chemin du Moulin") : (i % 14 ? "Bad \xff name" : "");
        s->address = "";
        s->city_name = i % 2 ? "Saint-Denis" : "Marseille 3e";
        strcpy(s->city_code, i % 2 ? "93066" : "13203");
        strcpy(s->departement_code, i % 2 ? "93" : "13");
        ptrs[i] = s;
    }
    return (struct site_snapshot){.count = N, .sites = ptrs, .n_field_types = 2, .field_types = field_types,
                                  .version = version};
}

static int priority_of[N];

static int compare_priority(const void *a, const void *b)
{
    const struct site *x = *(const struct site *const *)a, *y = *(const struct site *const *)b;
    int xo = x->status == SITE_OPEN, yo = y->status == SITE_OPEN;
    if (xo != yo)
        return yo - xo;
    if (x->population != y->population)
        return x->population < y->population ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

static void brute_priorities(void)
{
    const struct site *order[N];
    memcpy(order, ptrs, sizeof order);
    qsort(order, N, sizeof *order, compare_priority);
    for (int i = 0; i < N; i++)
        priority_of[order[i] - sites] = i;
}

static void cell_of(int z, const struct site *s, int64_t *cx, int64_t *cy)
{
    double fx, fy;
    tile_lonlat_to_fraction(z, s->lon, s->lat, &fx, &fy);
    *cx = (int64_t)floor(fx * TILE_EXTENT / THIN_CELL_PX);
    *cy = (int64_t)floor(fy * TILE_EXTENT / THIN_CELL_PX);
}

static void test_ranks_count_better_sites_in_the_same_cell(void)
{
    struct site_snapshot snap = make_snapshot(1);
    brute_priorities();
    struct thin_index *ix = thin_index_build(&snap);
    CHECK(ix != NULL);
    const int zooms[] = {0, 4, 9, 13, 16};
    size_t wrong = 0, max_rank = 0;
    for (size_t k = 0; ix && k < sizeof zooms / sizeof *zooms; k++) {
        int z = zooms[k];
        static int64_t cx[N], cy[N];
        for (int i = 0; i < N; i++)
            cell_of(z, &sites[i], &cx[i], &cy[i]);
        for (int i = 0; i < N; i++) {
            uint32_t expected = 0;
            for (int j = 0; j < N; j++)
                expected += cx[j] == cx[i] && cy[j] == cy[i] && priority_of[j] < priority_of[i];
            uint32_t rank, prio;
            CHECK(thin_index_site_order(ix, z, (uint32_t)i, &rank, &prio));
            wrong += rank != expected || prio != (uint32_t)priority_of[i];
            if (rank > max_rank)
                max_rank = rank;
        }
    }
    CHECK(wrong == 0);
    CHECK(max_rank > 100); /* the clusters do share cells */
    thin_index_free(ix);
}

struct walk_log {
    const struct thin_index *ix;
    int z;
    uint32_t seen[N];
    size_t n, stop_after;
};

static bool log_site(uint32_t index, void *ctx)
{
    struct walk_log *w = ctx;
    w->seen[w->n++] = index;
    return !w->stop_after || w->n < w->stop_after;
}

static void test_walk_visits_the_box_in_thinning_order(void)
{
    struct site_snapshot snap = make_snapshot(1);
    struct thin_index *ix = thin_index_build(&snap);
    static struct walk_log w;
    size_t disorder = 0, missing = 0, extra = 0;
    for (int round = 0; round < 40; round++) {
        int z = round % (THIN_MAX_ZOOM + 1);
        double lon = -4.0 + rnd() * 12.0, lat = 43.0 + rnd() * 7.0, size = rnd() * (round % 4 ? 1.0 : 12.0);
        if (round % 5 == 0) { /* a box around a cluster */
            lon = 2.35;
            lat = 48.93;
        }
        struct rtree_box box = {lon - size, lat - size, lon + size, lat + size};
        w = (struct walk_log){.ix = ix, .z = z};
        CHECK(thin_index_walk(ix, z, &box, log_site, &w) == w.n);
        static bool in_walk[N];
        memset(in_walk, 0, sizeof in_walk);
        uint64_t last = 0;
        for (size_t k = 0; k < w.n; k++) {
            uint32_t rank, prio;
            thin_index_site_order(ix, z, w.seen[k], &rank, &prio);
            uint64_t key = (uint64_t)rank << 32 | prio;
            disorder += k && key < last;
            last = key;
            extra += in_walk[w.seen[k]];
            in_walk[w.seen[k]] = true;
        }
        for (int i = 0; i < N; i++) {
            bool inside = sites[i].lon >= box.minx && sites[i].lon <= box.maxx && sites[i].lat >= box.miny &&
                          sites[i].lat <= box.maxy;
            missing += inside != in_walk[i];
        }
        /* Stopping early visits exactly as many as asked. */
        if (w.n > 10) {
            size_t all = w.n;
            w = (struct walk_log){.ix = ix, .z = z, .stop_after = all / 2};
            CHECK(thin_index_walk(ix, z, &box, log_site, &w) == all / 2);
        }
    }
    CHECK(disorder == 0);
    CHECK(missing == 0);
    CHECK(extra == 0);
    struct rtree_box nowhere = {100, -60, 101, -59};
    w = (struct walk_log){.ix = ix, .z = 3};
    CHECK(thin_index_walk(ix, 3, &nowhere, log_site, &w) == 0);
    thin_index_free(ix);
    struct site_snapshot empty = {.count = 0, .sites = ptrs};
    ix = thin_index_build(&empty);
    CHECK(ix && thin_index_walk(ix, 0, &nowhere, log_site, &w) == 0);
    thin_index_free(ix);
}

static const struct site_snapshot *shared_snap;
static const struct thin_index *got[4];

static void *acquire_thread(void *arg)
{
    int k = (int)(intptr_t)arg;
    got[k] = thin_index_acquire(shared_snap);
    return NULL;
}

static void test_one_index_per_snapshot_shared_by_threads(void)
{
    struct site_snapshot snap = make_snapshot(5);
    shared_snap = &snap;
    pthread_t th[4];
    for (int k = 0; k < 4; k++)
        pthread_create(&th[k], NULL, acquire_thread, (void *)(intptr_t)k);
    for (int k = 0; k < 4; k++)
        pthread_join(th[k], NULL);
    CHECK(got[0] != NULL && got[0] == got[1] && got[1] == got[2] && got[2] == got[3]);
    struct site_snapshot newer = snap;
    newer.version = 6;
    const struct thin_index *next = thin_index_acquire(&newer);
    CHECK(next != NULL && next != got[0]);
    CHECK(thin_index_acquire(&snap) == NULL); /* older than the one kept */
    /* The replaced index still works for its holders. */
    static struct walk_log w;
    struct rtree_box france = {-5, 42, 9, 51};
    w = (struct walk_log){.z = 2};
    CHECK(thin_index_walk(got[0], 2, &france, log_site, &w) == N);
    for (int k = 0; k < 4; k++)
        thin_index_release(got[k]);
    thin_index_release(next);
    thin_index_cache_clear();
}

/* The tile sink of tiles/render.c, for the one-by-one reference. */
static void sink_string(void *f, const char *key, const char *value) { mvt_feature_add_string(f, key, value); }
static void sink_int(void *f, const char *key, int64_t v)
{
    if (v >= 0)
        mvt_feature_add_uint(f, key, (uint64_t)v);
    else
        mvt_feature_add_sint(f, key, v);
}
static void sink_bool(void *f, const char *key, bool v) { mvt_feature_add_bool(f, key, v); }

static void test_interned_properties_give_the_same_bytes(void)
{
    struct site_snapshot snap = make_snapshot(9);
    struct site_prop_table *t = site_prop_table_build(&snap);
    CHECK(t != NULL);
    struct mvt_tile *a = mvt_tile_new(), *b = mvt_tile_new();
    struct mvt_layer *la = mvt_tile_add_layer(a, "sites", 4096), *lb = mvt_tile_add_layer(b, "sites", 4096);
    uint32_t order[N];
    size_t norder = 0;
    for (int i = 0; i < N; i += 1 + i % 3)
        order[norder++] = (uint32_t)i;
    struct site_prop_writer *w = t ? site_prop_writer_begin(t, lb, order, norder) : NULL;
    CHECK(w != NULL);
    for (size_t k = 0; w && k < norder; k++) {
        int i = (int)order[k];
        struct mvt_feature *f = mvt_layer_begin_feature(la, MVT_POINT);
        mvt_feature_set_id(f, (uint64_t)sites[i].id);
        mvt_feature_add_point(f, i % 4096, i % 1000);
        struct prop_sink sink = {f, sink_string, sink_int, sink_bool};
        site_props_emit(&sink, &snap, &sites[i], sites[i].status, DAY_NONE, false);
        mvt_feature_end(f);
        f = mvt_layer_begin_feature(lb, MVT_POINT);
        mvt_feature_set_id(f, (uint64_t)sites[i].id);
        mvt_feature_add_point(f, i % 4096, i % 1000);
        CHECK(site_prop_writer_add(w, f, k));
        mvt_feature_end(f);
    }
    struct buf ba, bb;
    buf_init(&ba, 0);
    buf_init(&bb, 0);
    CHECK(mvt_tile_serialize(a, &ba) && mvt_tile_serialize(b, &bb));
    CHECK(ba.len > 10000 && ba.len == bb.len && !memcmp(ba.data, bb.data, ba.len));
    CHECK(mvt_layer_value_count(la) == mvt_layer_value_count(lb));
    buf_free(&ba);
    buf_free(&bb);
    mvt_tile_destroy(a);
    mvt_tile_destroy(b);
    site_prop_table_free(t);
}

static const double *sites_xy(void)
{
    static double xy[2 * N];
    for (int i = 0; i < N; i++) {
        xy[2 * i] = sites[i].lon;
        xy[2 * i + 1] = sites[i].lat;
    }
    return xy;
}

/* A snapshot prepared as the store's writer does it (tile_snapshot_prepare) has its
 * structures ready: a tile takes them without building, and gives the same bytes as a
 * tile of the same data rendered without them (an older snapshot: the fallback path
 * collects and sorts, and adds properties one by one). */
static void test_prepared_snapshot_renders_like_the_unprepared_path(void)
{
    thin_index_cache_clear();
    site_prop_table_cache_clear();
    struct site_snapshot older = make_snapshot(30), snap = older;
    snap.version = 31;
    snap.index = older.index = rtree_build_points(sites_xy(), N);
    tile_snapshot_prepare(&snap, NULL);
    const struct thin_index *ix = thin_index_acquire(&snap);
    const struct site_prop_table *props = site_prop_table_acquire(&snap);
    CHECK(ix != NULL && props != NULL);
    tile_snapshot_prepare(&snap, NULL); /* already prepared: nothing rebuilt */
    const struct thin_index *ix2 = thin_index_acquire(&snap);
    const struct site_prop_table *props2 = site_prop_table_acquire(&snap);
    CHECK(ix2 == ix && props2 == props);
    uint32_t rank = 0, priority = 0;
    CHECK(ix && thin_index_site_order(ix, 3, 1, &rank, &priority));
    CHECK(thin_index_acquire(&older) == NULL && site_prop_table_acquire(&older) == NULL);

    struct site_filter filter;
    site_filter_init(&filter);
    struct scope scope;
    scope_national(&scope, 0);
    struct action_snapshot no_actions = {0};
    for (int z = 0; z <= 16; z += 4) { /* the tile of a site of the dense place near Saint-Denis */
        double fx = 0, fy = 0;
        CHECK(tile_lonlat_to_fraction(z, sites[2].lon, sites[2].lat, &fx, &fy));
        struct tile_request rq = {.z = z, .x = (uint32_t)fx, .y = (uint32_t)fy, .layers = 1u << LAYER_SITES,
                                  .filter = &filter, .scope = &scope};
        struct buf fast, slow;
        buf_init(&fast, 0);
        buf_init(&slow, 0);
        struct tile_render_stats sf, ss;
        CHECK(tile_render(&rq, &(struct tile_sources){.sites = &snap, .actions = &no_actions}, &fast, &sf) == 0);
        CHECK(tile_render(&rq, &(struct tile_sources){.sites = &older, .actions = &no_actions}, &slow, &ss) == 0);
        CHECK(sf.features[LAYER_SITES] > 0);
        CHECK(sf.features[LAYER_SITES] == ss.features[LAYER_SITES]);
        CHECK(fast.len == slow.len && !memcmp(fast.data, slow.data, fast.len));
        buf_free(&fast);
        buf_free(&slow);
    }
    thin_index_release(ix);
    thin_index_release(ix2);
    site_prop_table_release(props);
    site_prop_table_release(props2);
    thin_index_cache_clear();
    site_prop_table_cache_clear();
    rtree_free((struct rtree *)snap.index);
}

int main(void)
{
    RUN(test_ranks_count_better_sites_in_the_same_cell);
    RUN(test_walk_visits_the_box_in_thinning_order);
    RUN(test_one_index_per_snapshot_shared_by_threads);
    RUN(test_interned_properties_give_the_same_bytes);
    RUN(test_prepared_snapshot_renders_like_the_unprepared_path);
    return UNIT_REPORT();
}
