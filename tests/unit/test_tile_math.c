/* Unit tests of the Web Mercator tile math: known values, edges, round trips. */
#include "tests/unit/unit.h"
#include "tiles/tile_math.h"

static void test_validity(void)
{
    CHECK(tile_valid(0, 0, 0));
    CHECK(!tile_valid(0, 1, 0));
    CHECK(!tile_valid(-1, 0, 0));
    CHECK(!tile_valid(25, 0, 0));
    CHECK(tile_valid(10, 1023, 1023));
    CHECK(!tile_valid(10, 1024, 0));
    CHECK(!tile_valid(10, 0, 1024));
    CHECK(!tile_valid(10, -1, 0));
    CHECK(tile_valid(24, (1 << 24) - 1, (1 << 24) - 1));
    CHECK(!tile_valid(24, 1 << 24, 0));
    CHECK(!tile_valid(3, INT64_MAX, 0));
    CHECK(tile_count(0) == 1 && tile_count(24) == 1u << 24 && tile_count(25) == 0);
    struct tile_bbox b;
    CHECK(!tile_bounds_mercator(25, 0, 0, &b));
    CHECK(!tile_bounds_lonlat(3, 8, 0, &b));
    double px, py;
    CHECK(!tile_lonlat_to_pixel(3, 0, 8, 4096, 0, 0, &px, &py));
    CHECK(!tile_lonlat_to_pixel(3, 0, 0, 0, 0, 0, &px, &py));
    CHECK(!tile_lonlat_to_pixel(3, 0, 0, 4096, NAN, 0, &px, &py));
    CHECK(!tile_query_bbox(-1, 0, 0, 4096, 64, &b));
    CHECK(!tile_query_bbox(1, 0, 0, 4096, -1, &b));
}

static void test_world_tile_bounds(void)
{
    struct tile_bbox b;
    CHECK(tile_bounds_mercator(0, 0, 0, &b));
    CHECK(b.minx == -20037508.342789244 && b.maxx == 20037508.342789244);
    CHECK(b.miny == -20037508.342789244 && b.maxy == 20037508.342789244);
    CHECK(tile_bounds_lonlat(0, 0, 0, &b));
    CHECK(b.minx == -180 && b.maxx == 180);
    CHECK_NEAR(b.maxy, 85.0511287798066, 1e-12);
    CHECK_NEAR(b.miny, -85.0511287798066, 1e-12);
    CHECK_NEAR(tile_pixel_metres(0, 256), 156543.03392804097, 1e-8);
}

static void test_paris(void)
{
    uint32_t x, y;
    CHECK(tile_from_lonlat(10, 2.3522, 48.8566, &x, &y));
    CHECK(x == 518 && y == 352);
    double fx, fy;
    CHECK(tile_lonlat_to_fraction(10, 2.3522, 48.8566, &fx, &fy));
    CHECK_NEAR(fx, 518.6907022222223, 1e-9);
    CHECK_NEAR(fy, 352.2850847412001, 1e-9);
    double mx, my;
    tile_lonlat_to_mercator(2.3522, 48.8566, &mx, &my);
    CHECK_NEAR(mx, 261845.7062439381, 1e-6);
    CHECK_NEAR(my, 6250564.349543125, 1e-6);
    struct tile_bbox b;
    CHECK(tile_bounds_lonlat(10, 518, 352, &b));
    CHECK_NEAR(b.minx, 2.109375, 1e-12);
    CHECK_NEAR(b.maxx, 2.4609375, 1e-12);
    CHECK_NEAR(b.maxy, 48.92249926375824, 1e-11);
    CHECK_NEAR(b.miny, 48.6909603909255, 1e-11);
    double px, py;
    CHECK(tile_lonlat_to_pixel(10, 518, 352, 4096, 2.3522, 48.8566, &px, &py));
    CHECK_NEAR(px, 0.6907022222223 * 4096, 1e-5);
    CHECK_NEAR(py, 0.2850847412001 * 4096, 1e-5);
}

static void test_last_tiles_and_shared_edges(void)
{
    for (int z = 1; z <= TILE_MAX_ZOOM; z++) {
        uint32_t last = tile_count(z) - 1, mid = tile_count(z) / 2 - 1;
        struct tile_bbox m, l, a, b;
        CHECK(tile_bounds_mercator(z, last, last, &m));
        CHECK(m.maxx == TILE_MERCATOR_HALF && m.miny == -TILE_MERCATOR_HALF);
        CHECK(tile_bounds_lonlat(z, last, last, &l));
        CHECK(l.maxx == 180);
        CHECK_NEAR(l.miny, -TILE_MAX_LAT, 1e-12);
        /* Neighbours share bit-identical edges. */
        CHECK(tile_bounds_lonlat(z, mid, mid, &a) && tile_bounds_lonlat(z, mid + 1, mid + 1, &b));
        CHECK(a.maxx == b.minx && a.miny == b.maxy);
        CHECK(a.maxx == 0 && a.miny == 0);
        CHECK(tile_bounds_mercator(z, mid, mid, &a) && tile_bounds_mercator(z, mid + 1, mid + 1, &b));
        CHECK(a.maxx == b.minx && a.miny == b.maxy && a.maxx == 0);
        uint32_t x, y;
        CHECK(tile_from_lonlat(z, 180, -90, &x, &y) && x == last && y == last);
        CHECK(tile_from_lonlat(z, -180, 90, &x, &y) && x == 0 && y == 0);
        CHECK(tile_from_lonlat(z, 0, 0, &x, &y) && x == mid + 1 && y == mid + 1);
        CHECK(tile_from_lonlat(z, 500, -500, &x, &y) && x == last && y == last);
    }
}

/* Edges computed by tile_bounds_lonlat belong to the tile east/south of them. */
static void test_points_on_edges_pick_one_tile(void)
{
    uint64_t s = 99;
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        int z = 1 + i % TILE_MAX_ZOOM;
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t n = tile_count(z), x = (uint32_t)(s >> 33) % n, y = (uint32_t)(s >> 13) % n;
        struct tile_bbox b;
        uint32_t tx, ty;
        tile_bounds_lonlat(z, x, y, &b);
        if (!tile_from_lonlat(z, b.minx, b.maxy, &tx, &ty) || tx != x || ty != y)
            bad++;
        tile_from_lonlat(z, b.maxx, b.miny, &tx, &ty);
        if (tx != (x + 1 < n ? x + 1 : x) || ty != (y + 1 < n ? y + 1 : y))
            bad++;
        struct tile_range r;
        if (!tile_range_for_lonlat(z, &b, &r) || r.minx != x || r.miny != y ||
            r.maxx != (x + 1 < n ? x + 1 : x) || r.maxy != (y + 1 < n ? y + 1 : y))
            bad++;
    }
    CHECK(bad == 0);
}

static void test_latitude_clamp(void)
{
    CHECK(tile_clamp_lat(89) == TILE_MAX_LAT);
    CHECK(tile_clamp_lat(-90) == -TILE_MAX_LAT);
    CHECK(tile_clamp_lat(45) == 45);
    double mx, my, my2;
    tile_lonlat_to_mercator(180, 89.9, &mx, &my);
    CHECK_NEAR(mx, TILE_MERCATOR_HALF, 1e-6);
    CHECK_NEAR(my, TILE_MERCATOR_HALF, 1e-3);
    tile_lonlat_to_mercator(0, 85.0511287798, &mx, &my2);
    CHECK(my2 <= my && my2 > TILE_MERCATOR_HALF - 0.01);
    tile_lonlat_to_mercator(0, -90, &mx, &my);
    CHECK(isfinite(my) && my < 0);
    double lon, lat;
    tile_mercator_to_lonlat(TILE_MERCATOR_HALF, TILE_MERCATOR_HALF, &lon, &lat);
    CHECK_NEAR(lon, 180, 1e-12);
    CHECK_NEAR(lat, TILE_MAX_LAT, 1e-12);
    double fx, fy;
    CHECK(tile_lonlat_to_fraction(3, 0, 89, &fx, &fy) && fy == 0);
    CHECK(tile_lonlat_to_fraction(3, 0, -89, &fx, &fy) && fy == 8);
}

static void test_round_trips(void)
{
    uint64_t s = 7;
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double lon = -180 + 360 * ((s >> 11) / 9007199254740992.0);
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double lat = -85 + 170 * ((s >> 11) / 9007199254740992.0);
        int z = i % (TILE_MAX_ZOOM + 1);
        uint32_t x, y;
        double px, py, lon2, lat2, mx, my;
        if (!tile_from_lonlat(z, lon, lat, &x, &y) ||
            !tile_lonlat_to_pixel(z, x, y, 4096, lon, lat, &px, &py) ||
            !tile_pixel_to_lonlat(z, x, y, 4096, px, py, &lon2, &lat2)) {
            bad++;
            continue;
        }
        if (px < 0 || px > 4096 || py < 0 || py > 4096)
            bad++;
        if (fabs(lon2 - lon) > 1e-9 || fabs(lat2 - lat) > 1e-9)
            bad++;
        tile_lonlat_to_mercator(lon, lat, &mx, &my);
        tile_mercator_to_lonlat(mx, my, &lon2, &lat2);
        if (fabs(lon2 - lon) > 1e-9 || fabs(lat2 - lat) > 1e-9)
            bad++;
        struct tile_bbox b;
        tile_bounds_lonlat(z, x, y, &b);
        if (lon < b.minx || lon > b.maxx || lat < b.miny || lat > b.maxy)
            bad++;
    }
    CHECK(bad == 0);
    /* Tile corners map to pixel 0 and extent. */
    struct tile_bbox b;
    double px, py;
    tile_bounds_lonlat(14, 8300, 5635, &b);
    CHECK(tile_lonlat_to_pixel(14, 8300, 5635, 4096, b.minx, b.maxy, &px, &py));
    CHECK_NEAR(px, 0, 1e-6);
    CHECK_NEAR(py, 0, 1e-6);
    CHECK(tile_lonlat_to_pixel(14, 8300, 5635, 4096, b.maxx, b.miny, &px, &py));
    CHECK_NEAR(px, 4096, 1e-6);
    CHECK_NEAR(py, 4096, 1e-6);
}

static void test_tile_ranges(void)
{
    struct tile_range r;
    struct tile_bbox paris = {2.3522, 48.8566, 2.3522, 48.8566};
    CHECK(tile_range_for_lonlat(10, &paris, &r));
    CHECK(r.z == 10 && r.minx == 518 && r.maxx == 518 && r.miny == 352 && r.maxy == 352);
    struct tile_bbox france = {-5.2, 41.3, 9.6, 51.1}, world = {-200, -90, 200, 90};
    CHECK(tile_range_for_lonlat(5, &france, &r));
    CHECK(r.minx == 15 && r.maxx == 16 && r.miny == 10 && r.maxy == 11);
    CHECK(tile_range_for_lonlat(3, &world, &r));
    CHECK(r.minx == 0 && r.miny == 0 && r.maxx == 7 && r.maxy == 7);
    /* A box whose east edge is a tile edge stops at the tile west of it... */
    struct tile_bbox t;
    tile_bounds_lonlat(12, 2000, 1400, &t);
    struct tile_bbox inner = {t.minx, t.miny, t.maxx, t.maxy};
    CHECK(tile_range_for_lonlat(12, &inner, &r));
    CHECK(r.minx == 2000 && r.maxx == 2001 && r.miny == 1400 && r.maxy == 1401);
    struct tile_bbox bad = {3, 40, 2, 41};
    CHECK(!tile_range_for_lonlat(5, &bad, &r));
    struct tile_bbox nan = {NAN, 40, 2, 41};
    CHECK(!tile_range_for_lonlat(5, &nan, &r));
    CHECK(!tile_range_for_lonlat(25, &france, &r));
}

/* A point just outside the tile but inside its buffer is in the query box. */
static void test_buffered_query_box(void)
{
    int z = 12;
    uint32_t x = 2074, y = 1409;
    struct tile_bbox q, t;
    CHECK(tile_query_bbox(z, x, y, 4096, 64, &q));
    CHECK(tile_bounds_lonlat(z, x, y, &t));
    CHECK(q.minx < t.minx && q.maxx > t.maxx && q.miny < t.miny && q.maxy > t.maxy);
    const double inside[][2] = {{-32, 100}, {4096 + 63, 4000}, {100, -64}, {-64, 4096 + 64}};
    const double outside[][2] = {{-65, 100}, {4096 + 70, 10}, {100, -100}};
    for (size_t i = 0; i < 4; i++) {
        double lon, lat;
        CHECK(tile_pixel_to_lonlat(z, x, y, 4096, inside[i][0], inside[i][1], &lon, &lat));
        CHECK(lon >= q.minx && lon <= q.maxx && lat >= q.miny && lat <= q.maxy);
        CHECK(!(lon >= t.minx && lon <= t.maxx && lat >= t.miny && lat <= t.maxy));
    }
    for (size_t i = 0; i < 3; i++) {
        double lon, lat;
        CHECK(tile_pixel_to_lonlat(z, x, y, 4096, outside[i][0], outside[i][1], &lon, &lat));
        CHECK(!(lon >= q.minx && lon <= q.maxx && lat >= q.miny && lat <= q.maxy));
    }
    /* Buffer 0 is the tile itself; the world tile's buffer passes the poles' clamp. */
    CHECK(tile_query_bbox(z, x, y, 4096, 0, &q));
    CHECK(q.minx == t.minx && q.maxx == t.maxx);
    CHECK_NEAR(q.miny, t.miny, 1e-12);
    CHECK_NEAR(q.maxy, t.maxy, 1e-12);
    CHECK(tile_query_bbox(0, 0, 0, 4096, 64, &q));
    CHECK(q.maxy > TILE_MAX_LAT && q.maxy < 90 && q.minx < -180 && q.maxx > 180);
}

int main(void)
{
    RUN(test_validity);
    RUN(test_world_tile_bounds);
    RUN(test_paris);
    RUN(test_last_tiles_and_shared_edges);
    RUN(test_points_on_edges_pick_one_tile);
    RUN(test_latitude_clamp);
    RUN(test_round_trips);
    RUN(test_tile_ranges);
    RUN(test_buffered_query_box);
    return UNIT_REPORT();
}
