/* The sites layer keeps every tile under budget by dropping the densest points first:
 * a hand-built snapshot of 20,000 sites packed around Saint-Denis plus a few isolated
 * ones, rendered at z0 and decoded back with protobuf-c. */
#include "db/site_store.h"
#include "geo/rtree.h"
#include "tests/unit/unit.h"
#include "tiles/render.h"
#include "tiles/render_thin.h"
#include "tiles/tile_math.h"
#include "tiles/vector_tile.pb-c.h"

#include <stdlib.h>

#define DENSE 20000
#define ISOLATED 4

static struct site sites[DENSE + ISOLATED];
static const struct site *site_ptrs[DENSE + ISOLATED];

static void build_sites(void)
{
    unsigned seed = 12345;
    for (int i = 0; i < DENSE + ISOLATED; i++) {
        struct site *s = &sites[i];
        memset(s, 0, sizeof(*s));
        s->id = i + 1;
        seed = seed * 1103515245u + 12345u;
        double dx = (seed >> 8) % 10000 / 10000.0, dy = (seed >> 4) % 10000 / 10000.0;
        s->lon = 2.30 + dx * 0.2; /* 20,000 sites within ~20 km */
        s->lat = 48.85 + dy * 0.1;
        s->status = i % 3 ? SITE_CLOSED_BY_JUSTICE : SITE_OPEN;
        s->closed_day = s->status == SITE_OPEN ? DAY_NONE : 19000;
        s->declared_day = 17000;
        s->built_day = DAY_NONE;
        s->population = i % 50;
        s->name = "Site dense";
        s->address = "";
        s->city_name = "Saint-Denis";
        strcpy(s->city_code, "93066");
        strcpy(s->departement_code, "93");
        strcpy(s->region_code, "11");
    }
    /* Far from everything: Brest, Cayenne, Saint-Denis de La Réunion, Mamoudzou. */
    const double far[ISOLATED][2] = {{-4.49, 48.39}, {-52.33, 4.94}, {55.45, -20.88}, {45.23, -12.78}};
    for (int k = 0; k < ISOLATED; k++) {
        sites[DENSE + k].lon = far[k][0];
        sites[DENSE + k].lat = far[k][1];
        sites[DENSE + k].status = SITE_CLOSED_BY_JUSTICE;
        sites[DENSE + k].closed_day = 19000;
        sites[DENSE + k].population = 0;
    }
    for (int i = 0; i < DENSE + ISOLATED; i++)
        site_ptrs[i] = &sites[i];
}

/* The dense and isolated sites as a snapshot with its R-tree; *xy holds the points the
 * tree was built from (freed by the caller with the tree). */
static struct site_snapshot dense_snapshot(double **xy)
{
    build_sites();
    *xy = malloc(sizeof(double) * 2 * (DENSE + ISOLATED));
    for (int i = 0; i < DENSE + ISOLATED; i++) {
        (*xy)[2 * i] = sites[i].lon;
        (*xy)[2 * i + 1] = sites[i].lat;
    }
    struct site_snapshot snap = {.count = DENSE + ISOLATED, .sites = site_ptrs};
    snap.index = rtree_build_points(*xy, DENSE + ISOLATED);
    return snap;
}

static void test_dense_tiles_stay_under_budget_and_keep_isolated_sites(void)
{
    tile_sites_minzoom_set(0); /* sites from zoom 0, thinned (config sites_minzoom = 0) */
    double *xy;
    struct site_snapshot snap = dense_snapshot(&xy);
    struct site_filter filter;
    site_filter_init(&filter);
    struct scope scope;
    scope_national(&scope, 0);
    struct action_snapshot no_actions = {0};
    struct tile_sources src = {.sites = &snap, .actions = &no_actions};
    struct tile_request rq = {.z = 0, .x = 0, .y = 0, .layers = 1u << LAYER_SITES, .filter = &filter, .scope = &scope};
    struct buf out;
    buf_init(&out, 0);
    struct tile_render_stats stats;
    CHECK(tile_render(&rq, &src, &out, &stats) == 0);
    CHECK(out.len < 500 * 1024);
    CHECK(stats.features[LAYER_SITES] == TILE_SITES_FEATURE_BUDGET); /* the budget is used, not wasted */
    CHECK(stats.sites_thinned);

    VectorTile__Tile *tile = vector_tile__tile__unpack(NULL, out.len, (const uint8_t *)out.data);
    CHECK(tile && tile->n_layers == 1);
    size_t isolated_kept = 0, open_kept = 0;
    for (size_t i = 0; tile && i < tile->layers[0]->n_features; i++) {
        uint64_t id = tile->layers[0]->features[i]->id;
        if (id > DENSE)
            isolated_kept++;
        else if (sites[id - 1].status == SITE_OPEN)
            open_kept++;
    }
    CHECK(isolated_kept == ISOLATED); /* nobody near them: never thinned */
    /* Open sites go last: a third of the dense sites are open, far more of the kept. */
    CHECK(open_kept * 2 > tile->layers[0]->n_features);
    vector_tile__tile__free_unpacked(tile, NULL);

    /* At z12 over the dense area the same points all fit: nothing is dropped. */
    buf_reset(&out);
    struct tile_request deep = rq;
    deep.z = 14;
    deep.x = 8296;
    deep.y = 5635;
    CHECK(tile_render(&deep, &src, &out, &stats) == 0);
    CHECK(!stats.sites_thinned && stats.features[LAYER_SITES] > 0);
    buf_free(&out);
    thin_index_cache_clear();
    rtree_free((struct rtree *)snap.index);
    free(xy);
    tile_sites_minzoom_set(-1);
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The most sites in one tile of zoom z, from tile_math's tile of every site. */
static size_t densest_tile(int z)
{
    static uint64_t keys[DENSE + ISOLATED];
    for (int i = 0; i < DENSE + ISOLATED; i++) {
        uint32_t x = 0, y = 0;
        CHECK(tile_from_lonlat(z, sites[i].lon, sites[i].lat, &x, &y));
        keys[i] = (uint64_t)x << 32 | y;
    }
    qsort(keys, DENSE + ISOLATED, sizeof keys[0], compare_u64);
    size_t best = 1, run = 1;
    for (int i = 1; i < DENSE + ISOLATED; i++) {
        run = keys[i] == keys[i - 1] ? run + 1 : 1;
        best = run > best ? run : best;
    }
    return best;
}

static void test_automatic_minzoom_leaves_dense_low_zooms_empty(void)
{
    double *xy;
    struct site_snapshot snap = dense_snapshot(&xy);
    int expected = 0;
    while (expected < THIN_SITES_MINZOOM_MAX && densest_tile(expected) > TILE_SITES_FEATURE_BUDGET)
        expected++;
    CHECK(expected > 0); /* 20,000 sites within 20 km: possibly up to the cap */
    CHECK(tile_layer_minzoom(LAYER_SITES, &snap) == expected);
    CHECK(tile_layer_minzoom(LAYER_CLUSTERS, &snap) == 0);

    struct site_filter filter;
    site_filter_init(&filter);
    struct scope scope;
    scope_national(&scope, 0);
    struct action_snapshot no_actions = {0};
    struct tile_sources src = {.sites = &snap, .actions = &no_actions};
    struct buf out;
    buf_init(&out, 0);
    struct tile_render_stats stats;
    for (int z = expected - 1; z <= expected; z++) {
        uint32_t x, y;
        CHECK(tile_from_lonlat(z, 2.40, 48.90, &x, &y));
        struct tile_request rq = {.z = z, .x = x, .y = y, .layers = 1u << LAYER_SITES, .filter = &filter,
                                  .scope = &scope};
        buf_reset(&out);
        CHECK(tile_render(&rq, &src, &out, &stats) == 0);
        if (z < expected)
            CHECK(out.len == 0 && stats.features[LAYER_SITES] == 0);
        else
            CHECK(stats.features[LAYER_SITES] > 0);
    }
    /* A fixed first zoom overrides the rule. */
    tile_sites_minzoom_set(3);
    CHECK(tile_layer_minzoom(LAYER_SITES, &snap) == 3);
    tile_sites_minzoom_set(-1);
    buf_free(&out);
    thin_index_cache_clear();
    rtree_free((struct rtree *)snap.index);
    free(xy);
}

int main(void)
{
    RUN(test_dense_tiles_stay_under_budget_and_keep_isolated_sites);
    RUN(test_automatic_minzoom_leaves_dense_low_zooms_empty);
    return UNIT_REPORT();
}
