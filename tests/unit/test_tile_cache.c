/* Unit tests of the tile cache: budget, LRU, invalidation by area (checked against a
 * brute-force model), stale puts, value lifetime and concurrent use. */
#include "tests/unit/unit.h"
#include "tiles/tile_cache.h"

#include <pthread.h>
#include <time.h>

static const double PARIS[2] = {2.3522, 48.8566};

static uint64_t rng_state = 1234;

static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

static double rnd_unit(void)
{
    return rnd() / 2147483648.0;
}

static enum tile_cache_put_result put(struct tile_cache *c, const char *key, int z, uint32_t x,
                                      uint32_t y, double buffer, size_t len, uint64_t gen)
{
    unsigned char *data = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        data[i] = (unsigned char)(i * 7 + (size_t)z);
    struct tile_cache_entry e = {.key = key, .z = z, .x = x, .y = y, .data = data, .len = len,
                                 .etag = "\"abc\"", .generation = gen};
    tile_query_bbox(z, x, y, TILE_EXTENT, buffer, &e.bounds);
    enum tile_cache_put_result r = tile_cache_put(c, &e);
    free(data);
    return r;
}

static bool has(struct tile_cache *c, const char *key, int z, uint32_t x, uint32_t y)
{
    const struct tile_value *v = tile_cache_get(c, key, z, x, y);
    tile_value_release(v);
    return v != NULL;
}

static void test_get_put_replace_and_refusals(void)
{
    struct tile_cache *c = tile_cache_new(NULL);
    struct tile_cache_stats st;
    tile_cache_stats(c, &st);
    CHECK(st.shards == TILE_CACHE_DEFAULT_SHARDS && st.budget == TILE_CACHE_DEFAULT_BUDGET);
    uint64_t g = tile_cache_generation(c);
    CHECK(!has(c, "sites", 10, 518, 352));
    CHECK(put(c, "sites", 10, 518, 352, 64, 100, g) == TILE_CACHE_STORED);
    const struct tile_value *v = tile_cache_get(c, "sites", 10, 518, 352);
    CHECK(v && v->len == 100 && v->data[3] == 31 && !strcmp(v->etag, "\"abc\""));
    tile_value_release(v);
    CHECK(!has(c, "sites", 10, 518, 353));
    CHECK(!has(c, "sites,boundaries", 10, 518, 352));
    CHECK(put(c, "sites", 10, 518, 352, 64, 50, g) == TILE_CACHE_REPLACED);
    v = tile_cache_get(c, "sites", 10, 518, 352);
    CHECK(v && v->len == 50);
    tile_value_release(tile_value_ref(v));
    tile_value_release(v);
    struct tile_cache_entry e = {.key = "k", .z = 3, .x = 1, .y = 1, .data = "", .len = 0};
    tile_query_bbox(3, 1, 1, 4096, 0, &e.bounds);
    e.generation = g;
    CHECK(tile_cache_put(c, &e) == TILE_CACHE_STORED);
    v = tile_cache_get(c, "k", 3, 1, 1);
    CHECK(v && v->len == 0 && !strcmp(v->etag, ""));
    tile_value_release(v);
    e.z = 25;
    CHECK(tile_cache_put(c, &e) == TILE_CACHE_INVALID);
    e.z = 3, e.x = 8;
    CHECK(tile_cache_put(c, &e) == TILE_CACHE_INVALID);
    e.x = 1, e.bounds.minx = NAN;
    CHECK(tile_cache_put(c, &e) == TILE_CACHE_INVALID);
    e.bounds.minx = e.bounds.maxx + 1;
    CHECK(tile_cache_put(c, &e) == TILE_CACHE_INVALID);
    CHECK(!tile_cache_get(c, NULL, 3, 1, 1) && !tile_cache_get(c, "k", 3, 9, 1));
    tile_cache_stats(c, &st);
    CHECK(st.entries == 2 && st.hits == 3 && st.misses == 3 && st.inserts == 2);
    CHECK(st.replaced == 1 && st.rejected == 4 && st.bytes > 150);
    tile_cache_free(c);
}

static void test_budget_is_never_exceeded(void)
{
    struct tile_cache *c = tile_cache_new(&(struct tile_cache_config){200000, 0});
    struct tile_cache_stats st;
    int over = 0;
    char key[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        put(c, key, 14, 8000 + (uint32_t)i % 100, 5000, 64, 1 + rnd() % 6000, tile_cache_generation(c));
        tile_cache_stats(c, &st);
        if (st.bytes > st.budget)
            over++;
    }
    CHECK(over == 0);
    CHECK(st.shards == 1 && st.evictions > 1000);
    CHECK(st.entries == st.inserts - st.evictions - st.invalidated);
    CHECK(put(c, "huge", 14, 0, 0, 64, 200001, tile_cache_generation(c)) == TILE_CACHE_TOO_BIG);
    tile_cache_clear(c);
    tile_cache_stats(c, &st);
    CHECK(st.entries == 0 && st.bytes == 0);
    tile_cache_free(c);
}

static void test_least_recently_used_goes_first(void)
{
    struct tile_cache *c = tile_cache_new(&(struct tile_cache_config){35000, 1});
    uint64_t g = tile_cache_generation(c);
    put(c, "A", 5, 1, 1, 0, 10000, g);
    put(c, "B", 5, 1, 1, 0, 10000, g);
    put(c, "C", 5, 1, 1, 0, 10000, g);
    CHECK(has(c, "A", 5, 1, 1)); /* A becomes the most recent; B is now the oldest */
    put(c, "D", 5, 1, 1, 0, 10000, g);
    CHECK(!has(c, "B", 5, 1, 1));
    CHECK(has(c, "A", 5, 1, 1) && has(c, "C", 5, 1, 1) && has(c, "D", 5, 1, 1));
    put(c, "E", 5, 1, 1, 0, 10000, g); /* the checks above left A the oldest */
    CHECK(!has(c, "A", 5, 1, 1) && has(c, "C", 5, 1, 1) && has(c, "E", 5, 1, 1));
    struct tile_cache_stats st;
    tile_cache_stats(c, &st);
    CHECK(st.evictions == 2 && st.entries == 3);
    tile_cache_free(c);
}

/* Tiles around Paris at z0..z16: evicting the point removes exactly the tiles whose
 * buffered box holds it, keeps the others. */
static void test_evict_point_at_every_zoom(void)
{
    struct tile_cache *c = tile_cache_new(NULL);
    uint64_t g = tile_cache_generation(c);
    char key[64];
    size_t expect = 0, kept = 0;
    for (int z = 0; z <= 16; z++) {
        uint32_t px, py, n = tile_count(z);
        tile_from_lonlat(z, PARIS[0], PARIS[1], &px, &py);
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 2; dx++) {
                int64_t x = (int64_t)px + dx, y = (int64_t)py + dy;
                if (x < 0 || y < 0 || x >= n || y >= n)
                    continue;
                struct tile_bbox b;
                tile_query_bbox(z, (uint32_t)x, (uint32_t)y, 4096, 64, &b);
                bool in = PARIS[0] >= b.minx && PARIS[0] <= b.maxx && PARIS[1] >= b.miny &&
                          PARIS[1] <= b.maxy;
                snprintf(key, sizeof key, "sites/%d/%lld/%lld", z, (long long)x, (long long)y);
                put(c, key, z, (uint32_t)x, (uint32_t)y, 64, 10, g);
                expect += in;
                kept += !in;
            }
        snprintf(key, sizeof key, "far/%d", z);
        if (z > 0)
            put(c, key, z, (px + n / 2) % n, (py + n / 2) % n, 64, 10, g);
    }
    CHECK(tile_cache_evict_area(c, PARIS[0], PARIS[1], PARIS[0], PARIS[1]) == expect);
    CHECK(kept > 100);
    for (int z = 0; z <= 16; z++) {
        uint32_t px, py, n = tile_count(z);
        tile_from_lonlat(z, PARIS[0], PARIS[1], &px, &py);
        snprintf(key, sizeof key, "sites/%d/%u/%u", z, px, py);
        CHECK(!has(c, key, z, px, py));
        snprintf(key, sizeof key, "far/%d", z);
        CHECK(z == 0 || has(c, key, z, (px + n / 2) % n, (py + n / 2) % n));
    }
    struct tile_cache_stats st;
    tile_cache_stats(c, &st);
    CHECK(st.invalidated == expect && st.entries == kept + 16);
    tile_cache_free(c);
}

/* An area on a tile edge evicts both tiles sharing it, and the neighbour whose buffer
 * reaches it; not the tiles further away. */
static void test_evict_on_tile_edges_and_buffers(void)
{
    for (int buffer = 0; buffer <= 64; buffer += 64) {
        struct tile_cache *c = tile_cache_new(NULL);
        int z = 12;
        uint32_t x = 2074, y = 1409;
        uint64_t g = tile_cache_generation(c);
        char key[32];
        for (uint32_t i = 0; i < 4; i++) {
            snprintf(key, sizeof key, "t%u", x - 1 + i);
            put(c, key, z, x - 1 + i, y, buffer, 10, g);
        }
        struct tile_bbox t;
        tile_bounds_lonlat(z, x, y, &t);
        double mid = (t.miny + t.maxy) / 2;
        CHECK(tile_cache_evict_area(c, t.maxx, mid, t.maxx, mid) == 2); /* x and x+1 */
        CHECK(has(c, "t2073", z, x - 1, y) && has(c, "t2076", z, x + 2, y));
        CHECK(!has(c, "t2074", z, x, y) && !has(c, "t2075", z, x + 1, y));
        put(c, "t2074", z, x, y, buffer, 10, tile_cache_generation(c));
        put(c, "t2075", z, x + 1, y, buffer, 10, tile_cache_generation(c));
        /* 30 px into tile x+1: inside x's buffer when there is one. */
        double lon, lat;
        tile_pixel_to_lonlat(z, x, y, 4096, 4096 + 30, 2048, &lon, &lat);
        CHECK(tile_cache_evict_area(c, lon, lat, lon, lat) == (buffer ? 2u : 1u));
        CHECK(has(c, "t2074", z, x, y) == !buffer);
        CHECK(!has(c, "t2075", z, x + 1, y) && has(c, "t2076", z, x + 2, y));
        tile_cache_free(c);
    }
}

/* A stored box may reach several tiles away (a big cluster radius, a metatile): the
 * eviction still finds it, at zooms where the area covers few tiles. */
static void test_evict_wide_boxes(void)
{
    struct tile_cache *c = tile_cache_new(&(struct tile_cache_config){0, 1});
    uint32_t x, y;
    tile_from_lonlat(16, PARIS[0], PARIS[1], &x, &y);
    put(c, "wide", 16, x, y, 4096 * 2.5, 10, tile_cache_generation(c));
    put(c, "near", 16, x, y, 64, 10, tile_cache_generation(c));
    char key[16];
    for (uint32_t i = 0; i < 50; i++) { /* so that probing the tile range is the cheaper way */
        snprintf(key, sizeof key, "other%u", i);
        put(c, key, 16, x + 100 + i, y, 64, 10, tile_cache_generation(c));
    }
    double lon, lat;
    tile_pixel_to_lonlat(16, x, y, 4096, 4096 * 3.2, -4096 * 1.1, &lon, &lat);
    CHECK(tile_cache_evict_area(c, lon, lat, lon, lat) == 1);
    CHECK(!has(c, "wide", 16, x, y) && has(c, "near", 16, x, y));
    tile_cache_free(c);
}

struct model {
    char key[40];
    int z;
    uint32_t x, y;
    struct tile_bbox b;
    bool present;
};

static void test_evict_area_matches_brute_force(void)
{
    struct tile_cache *c = tile_cache_new(&(struct tile_cache_config){64 << 20, 4});
    enum { N = 3000 };
    struct model *m = calloc(N, sizeof *m);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        m[i].z = (int)(rnd() % 19);
        double lon = -5 + 15 * rnd_unit(), lat = 41 + 10 * rnd_unit();
        tile_from_lonlat(m[i].z, lon, lat, &m[i].x, &m[i].y);
        double buffer = (double)(rnd() % 4) * 64;
        snprintf(m[i].key, sizeof m[i].key, "L%d/%d/%u/%u/%g", i, m[i].z, m[i].x, m[i].y, buffer);
        tile_query_bbox(m[i].z, m[i].x, m[i].y, 4096, buffer, &m[i].b);
    }
    for (int round = 0; round < 30; round++) {
        for (int i = 0; i < N; i++)
            if (!m[i].present) {
                struct tile_cache_entry e = {m[i].key, m[i].z, m[i].x, m[i].y, m[i].b, "x", 1,
                                             NULL, tile_cache_generation(c)};
                m[i].present = tile_cache_put(c, &e) <= TILE_CACHE_REPLACED;
            }
        double lon = -5 + 15 * rnd_unit(), lat = 41 + 10 * rnd_unit();
        double w = round % 3 == 0 ? 0 : pow(10, -4 + 4 * rnd_unit()), h = round % 3 ? w * 0.7 : 0;
        size_t expect = 0;
        for (int i = 0; i < N; i++)
            expect += m[i].present && m[i].b.minx <= lon + w && m[i].b.maxx >= lon &&
                      m[i].b.miny <= lat + h && m[i].b.maxy >= lat;
        if (tile_cache_evict_area(c, lon, lat, lon + w, lat + h) != expect)
            bad++;
        for (int i = 0; i < N; i++) {
            bool hit = m[i].b.minx <= lon + w && m[i].b.maxx >= lon && m[i].b.miny <= lat + h &&
                       m[i].b.maxy >= lat;
            if (m[i].present && has(c, m[i].key, m[i].z, m[i].x, m[i].y) != !hit)
                bad++;
            if (hit)
                m[i].present = false;
        }
    }
    CHECK(bad == 0);
    /* A NaN area means "unknown": everything goes. */
    tile_cache_evict_area(c, NAN, 0, 0, 0);
    struct tile_cache_stats st;
    tile_cache_stats(c, &st);
    CHECK(st.entries == 0 && st.bytes == 0);
    free(m);
    tile_cache_free(c);
}

static void test_stale_puts_are_refused(void)
{
    struct tile_cache *c = tile_cache_new(NULL);
    uint32_t x, y;
    tile_from_lonlat(14, PARIS[0], PARIS[1], &x, &y);
    uint64_t before = tile_cache_generation(c);
    tile_cache_evict_area(c, PARIS[0], PARIS[1], PARIS[0], PARIS[1]); /* data changed */
    CHECK(put(c, "sites", 14, x, y, 64, 10, before) == TILE_CACHE_STALE);
    CHECK(put(c, "sites", 14, x + 50, y, 64, 10, before) == TILE_CACHE_STORED); /* elsewhere */
    CHECK(put(c, "sites", 14, x, y, 64, 10, tile_cache_generation(c)) == TILE_CACHE_STORED);
    before = tile_cache_generation(c);
    tile_cache_clear(c);
    CHECK(put(c, "sites", 14, x + 50, y, 64, 10, before) == TILE_CACHE_STALE);
    before = tile_cache_generation(c);
    for (int i = 0; i < 70; i++) /* more changes than the cache remembers: refuse */
        tile_cache_evict_area(c, -60, -20, -60, -20);
    CHECK(put(c, "sites", 14, x, y, 64, 10, before) == TILE_CACHE_STALE);
    CHECK(put(c, "sites", 14, x, y, 64, 10, before + 1000) == TILE_CACHE_STALE);
    tile_cache_free(c);
}

static void test_values_outlive_eviction(void)
{
    struct tile_cache *c = tile_cache_new(NULL);
    put(c, "sites", 3, 4, 2, 64, 5000, tile_cache_generation(c));
    const struct tile_value *v = tile_cache_get(c, "sites", 3, 4, 2);
    const struct tile_value *w = tile_cache_get(c, "sites", 3, 4, 2);
    CHECK(v && v == w);
    CHECK(tile_cache_evict_area(c, -180, -85, 180, 85) == 1);
    CHECK(!has(c, "sites", 3, 4, 2));
    CHECK(v->len == 5000 && v->data[4999] == (unsigned char)(4999 * 7 + 3));
    tile_value_release(w);
    put(c, "sites", 3, 4, 2, 64, 10, tile_cache_generation(c));
    w = tile_cache_get(c, "sites", 3, 4, 2);
    tile_cache_free(c);
    CHECK(v->data[10] == 73 && w->len == 10 && !strcmp(w->etag, "\"abc\""));
    tile_value_release(v);
    tile_value_release(w);
}

struct worker {
    struct tile_cache *c;
    unsigned seed;
    uint64_t gets, bad;
};

static void key_tile(unsigned id, char *key, size_t keylen, int *z, uint32_t *x, uint32_t *y)
{
    *z = (int)(id % 15);
    tile_from_lonlat(*z, PARIS[0], PARIS[1], x, y);
    *x += id / 15 % 3;
    if (*x >= tile_count(*z))
        *x = tile_count(*z) - 1;
    snprintf(key, keylen, "sites?scope=%u", id);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    const struct tile_value *held[8] = {0};
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    unsigned s = w->seed, op = 0;
    do {
        for (int k = 0; k < 64; k++, op++) {
            s = s * 1103515245u + 12345u;
            unsigned id = (s >> 8) % 600, r = (s >> 20) % 100;
            char key[48], etag[16];
            int z;
            uint32_t x, y;
            key_tile(id, key, sizeof key, &z, &x, &y);
            size_t len = 100 + id * 7;
            if (r < 60) {
                const struct tile_value *v = tile_cache_get(w->c, key, z, x, y);
                w->gets++;
                snprintf(etag, sizeof etag, "e%u", id);
                if (v && (v->len != len || v->data[len - 1] != (unsigned char)(id + len - 1) ||
                          strcmp(v->etag, etag)))
                    w->bad++;
                tile_value_release(held[op % 8]);
                held[op % 8] = v;
            } else if (r < 96) {
                uint64_t g = tile_cache_generation(w->c);
                unsigned char *data = malloc(len);
                for (size_t i = 0; i < len; i++)
                    data[i] = (unsigned char)(id + i);
                snprintf(etag, sizeof etag, "e%u", id);
                struct tile_cache_entry e = {key, z, x, y, {0, 0, 0, 0}, data, len, etag, g};
                tile_query_bbox(z, x, y, 4096, 64, &e.bounds);
                tile_cache_put(w->c, &e);
                free(data);
            } else if (r < 99) {
                double d = (s % 1000) / 1000.0;
                tile_cache_evict_area(w->c, PARIS[0] + d, PARIS[1], PARIS[0] + d, PARIS[1] + d);
            } else {
                struct tile_cache_stats st;
                tile_cache_stats(w->c, &st);
                if (st.bytes > st.budget)
                    w->bad++;
                if (s % 16 == 0)
                    tile_cache_clear(w->c);
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < 700);
    for (int i = 0; i < 8; i++) /* every held value must still be intact */
        if (held[i] && held[i]->data[0] != (unsigned char)atoi(held[i]->etag + 1))
            w->bad++;
    for (int i = 0; i < 8; i++)
        tile_value_release(held[i]);
    return NULL;
}

static void test_concurrent_use(void)
{
    const struct tile_cache_config cfgs[] = {{150000, 0}, {64 << 20, 16}};
    for (size_t k = 0; k < 2; k++) {
        struct tile_cache *c = tile_cache_new(&cfgs[k]);
        pthread_t th[4];
        struct worker w[4];
        for (int i = 0; i < 4; i++) {
            w[i] = (struct worker){c, 17u * (unsigned)i + 1, 0, 0};
            pthread_create(&th[i], NULL, worker_main, &w[i]);
        }
        uint64_t gets = 0;
        for (int i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            CHECK(w[i].bad == 0);
            gets += w[i].gets;
        }
        struct tile_cache_stats st;
        tile_cache_stats(c, &st);
        CHECK(st.hits + st.misses == gets && st.hits > 0 && st.misses > 0);
        CHECK(st.entries == st.inserts - st.evictions - st.invalidated);
        CHECK(st.bytes <= st.budget && st.invalidated > 0);
        CHECK(k == 1 || st.evictions > 0);
        tile_cache_free(c);
    }
}

int main(void)
{
    RUN(test_get_put_replace_and_refusals);
    RUN(test_budget_is_never_exceeded);
    RUN(test_least_recently_used_goes_first);
    RUN(test_evict_point_at_every_zoom);
    RUN(test_evict_on_tile_edges_and_buffers);
    RUN(test_evict_wide_boxes);
    RUN(test_evict_area_matches_brute_force);
    RUN(test_stale_puts_are_refused);
    RUN(test_values_outlive_eviction);
    RUN(test_concurrent_use);
    return UNIT_REPORT();
}
