/* Unit tests of the packed Hilbert R-tree: every search is compared with brute force. */
#include "geo/rtree.h"
#include "tests/unit/unit.h"

#include <pthread.h>
#include <stdint.h>

static uint64_t rng_state = 42;

static uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}

static double rnd_unit(void)
{
    return rnd() / 2147483648.0;
}

/* Items on an integer grid so that touching boxes really touch. */
static void random_boxes(struct rtree_box *b, size_t n, double span)
{
    for (size_t i = 0; i < n; i++) {
        double x = floor(rnd_unit() * span), y = floor(rnd_unit() * span);
        double w = rnd() % 3 ? 0 : floor(rnd_unit() * span / 20);
        double h = rnd() % 3 ? 0 : floor(rnd_unit() * span / 20);
        b[i] = (struct rtree_box){x, y, x + w, y + h};
    }
}

static bool meets(const struct rtree_box *a, const struct rtree_box *q)
{
    return a->minx <= q->maxx && a->maxx >= q->minx && a->miny <= q->maxy && a->maxy >= q->miny;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Searches q with both APIs and brute force; true when all three agree. */
static bool agrees(const struct rtree *t, const struct rtree_box *b, size_t n,
                   const struct rtree_box *q)
{
    struct rtree_results r = {0};
    bool ok = rtree_search_collect(t, q, &r);
    uint32_t *want = malloc((n + 1) * sizeof *want);
    size_t nwant = 0;
    for (size_t i = 0; i < n; i++)
        if (meets(&b[i], q))
            want[nwant++] = (uint32_t)i;
    if (r.len)
        qsort(r.items, r.len, sizeof *r.items, cmp_u32);
    ok = ok && r.len == nwant && (!nwant || !memcmp(r.items, want, nwant * sizeof *want));
    free(want);
    rtree_results_free(&r);
    return ok;
}

static void test_search_matches_brute_force(void)
{
    const size_t sizes[] = {0, 1, 2, 15, 16, 17, 255, 256, 257, 1000, 10000};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t n = sizes[s];
        struct rtree_box *b = malloc((n + 1) * sizeof *b);
        random_boxes(b, n, 1000);
        struct rtree *t = rtree_build(b, n);
        CHECK(t != NULL);
        CHECK(rtree_size(t) == n);
        int bad = 0;
        for (int i = 0; i < 300; i++) {
            double x = floor(rnd_unit() * 1100) - 50, y = floor(rnd_unit() * 1100) - 50;
            double w = i % 4 == 0 ? 0 : floor(rnd_unit() * 200), h = floor(rnd_unit() * 200);
            struct rtree_box q = {x, y, x + w, y + h};
            if (!agrees(t, b, n, &q))
                bad++;
        }
        /* Query boxes that exactly touch items, from each side. */
        for (size_t i = 0; i < n && i < 200; i++) {
            struct rtree_box q = {b[i].maxx, b[i].maxy, b[i].maxx + 5, b[i].maxy + 5};
            struct rtree_box q2 = {b[i].minx - 5, b[i].miny - 5, b[i].minx, b[i].miny};
            if (!agrees(t, b, n, &q) || !agrees(t, b, n, &q2))
                bad++;
        }
        struct rtree_box all = {-INFINITY, -INFINITY, INFINITY, INFINITY};
        struct rtree_box world = {-1e300, -1e300, 1e300, 1e300};
        if (!agrees(t, b, n, &all) || !agrees(t, b, n, &world))
            bad++;
        if (bad)
            fprintf(stderr, "  n=%zu: %d queries disagree\n", n, bad);
        CHECK(bad == 0);
        rtree_free(t);
        free(b);
    }
}

static void test_empty_and_single_trees(void)
{
    struct rtree *t = rtree_build(NULL, 0);
    struct rtree_box all = {-INFINITY, -INFINITY, INFINITY, INFINITY}, out;
    struct rtree_results r = {0};
    CHECK(t != NULL && rtree_size(t) == 0);
    CHECK(rtree_search_collect(t, &all, &r) && r.len == 0);
    CHECK(!rtree_bounds(t, &out));
    rtree_free(t);

    double pt[2] = {2.35, 48.85};
    t = rtree_build_points(pt, 1);
    CHECK(rtree_search_collect(t, &all, &r) && r.len == 1 && r.items[0] == 0);
    struct rtree_box at = {2.35, 48.85, 2.35, 48.85}, off = {2.36, 48.85, 3, 49};
    r.len = 0;
    CHECK(rtree_search_collect(t, &at, &r) && r.len == 1);
    r.len = 0;
    CHECK(rtree_search_collect(t, &off, &r) && r.len == 0);
    CHECK(rtree_bounds(t, &out) && out.minx == 2.35 && out.maxy == 48.85);
    rtree_results_free(&r);
    rtree_free(t);
    rtree_free(NULL);
}

static bool count_until_five(uint32_t index, void *ctx)
{
    (void)index;
    return ++*(int *)ctx < 5;
}

static void test_duplicates_early_stop_and_nan(void)
{
    size_t n = 1000;
    double *xy = malloc(2 * (n + 10) * sizeof *xy);
    for (size_t i = 0; i < n; i++)
        xy[2 * i] = 5, xy[2 * i + 1] = 7;
    for (size_t i = n; i < n + 10; i++)
        xy[2 * i] = i % 2 ? NAN : 5, xy[2 * i + 1] = i % 2 ? 7 : NAN;
    struct rtree *t = rtree_build_points(xy, n + 10);
    struct rtree_results r = {0};
    struct rtree_box at = {5, 7, 5, 7}, all = {-INFINITY, -INFINITY, INFINITY, INFINITY};
    CHECK(rtree_search_collect(t, &at, &r) && r.len == n);
    qsort(r.items, r.len, sizeof *r.items, cmp_u32);
    CHECK(r.items[0] == 0 && r.items[n - 1] == n - 1);
    r.len = 0;
    CHECK(rtree_search_collect(t, &all, &r) && r.len == n); /* NaN items never found */
    int seen = 0;
    CHECK(rtree_search(t, &at, count_until_five, &seen) == 5 && seen == 5);
    struct rtree_box bounds;
    CHECK(rtree_bounds(t, &bounds) && bounds.minx == 5 && bounds.maxx == 5);
    /* Appending keeps what the array already held. */
    r.len = 0;
    rtree_search_collect(t, &at, &r);
    rtree_search_collect(t, &at, &r);
    CHECK(r.len == 2 * n);
    rtree_results_free(&r);
    rtree_free(t);
    free(xy);
}

/* The first 4^8 cells of the curve fill the 256 x 256 corner square, one step apart. */
static void test_hilbert_curve_is_continuous(void)
{
    uint32_t *cell = malloc(65536 * sizeof *cell);
    memset(cell, 0xff, 65536 * sizeof *cell);
    int bad = 0;
    for (uint32_t x = 0; x < 256; x++)
        for (uint32_t y = 0; y < 256; y++) {
            uint32_t h = rtree_hilbert(x, y);
            if (h >= 65536 || cell[h] != 0xffffffffu)
                bad++;
            else
                cell[h] = x << 8 | y;
        }
    for (uint32_t h = 1; h < 65536 && !bad; h++) {
        int dx = (int)(cell[h] >> 8) - (int)(cell[h - 1] >> 8);
        int dy = (int)(cell[h] & 255) - (int)(cell[h - 1] & 255);
        if (abs(dx) + abs(dy) != 1)
            bad++;
    }
    CHECK(bad == 0);
    CHECK(rtree_hilbert(65535, 0) == 0xFFFFFFFFu || rtree_hilbert(0, 65535) == 0xFFFFFFFFu ||
          rtree_hilbert(65535, 65535) == 0xFFFFFFFFu);
    free(cell);
}

static bool accept_even(uint32_t index, void *ctx)
{
    (void)ctx;
    return index % 2 == 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void test_neighbors_match_brute_force(void)
{
    size_t n = 5000;
    struct rtree_box *b = malloc(n * sizeof *b);
    random_boxes(b, n, 1000);
    b[7].minx = NAN;
    struct rtree *t = rtree_build(b, n);
    uint32_t out[50];
    double dist[50], *want = malloc(n * sizeof *want);
    int bad = 0;
    for (int i = 0; i < 100; i++) {
        struct rtree_knn q = {.x = rnd_unit() * 1000, .y = rnd_unit() * 1000, .k = 1 + i % 50,
                              .x_scale = i % 3 ? 1 : 0.66, .max_dist = i % 5 ? 0 : 30,
                              .accept = i % 7 ? NULL : accept_even};
        size_t found, nwant = 0;
        CHECK(rtree_neighbors(t, &q, out, dist, &found));
        double xs = q.x_scale ? q.x_scale : 1;
        for (size_t j = 0; j < n; j++) {
            if (j == 7 || (q.accept && j % 2))
                continue;
            double dx = q.x < b[j].minx ? b[j].minx - q.x : (q.x > b[j].maxx ? q.x - b[j].maxx : 0);
            double dy = q.y < b[j].miny ? b[j].miny - q.y : (q.y > b[j].maxy ? q.y - b[j].maxy : 0);
            double d = sqrt(dx * xs * dx * xs + dy * dy);
            if (!q.max_dist || d <= q.max_dist)
                want[nwant++] = d;
        }
        qsort(want, nwant, sizeof *want, cmp_double);
        if (found != (nwant < q.k ? nwant : q.k))
            bad++;
        for (size_t j = 0; j < found && j < nwant; j++)
            if (fabs(dist[j] - want[j]) > 1e-9 || out[j] == 7 || (q.accept && out[j] % 2))
                bad++;
    }
    CHECK(bad == 0);
    free(want);
    rtree_free(t);
    free(b);
}

struct search_job {
    const struct rtree *t;
    const struct rtree_box *b;
    size_t n;
    int bad;
};

static void *search_thread(void *arg)
{
    struct search_job *j = arg;
    uint64_t s = (uint64_t)(uintptr_t)arg;
    for (int i = 0; i < 200; i++) {
        s = s * 6364136223846793005ull + 1;
        double x = (double)(s >> 40 & 1023), y = (double)(s >> 20 & 1023);
        struct rtree_box q = {x, y, x + 60, y + 60};
        if (!agrees(j->t, j->b, j->n, &q))
            j->bad++;
    }
    return NULL;
}

static void test_concurrent_searches(void)
{
    size_t n = 20000;
    struct rtree_box *b = malloc(n * sizeof *b);
    random_boxes(b, n, 1000);
    struct rtree *t = rtree_build(b, n);
    pthread_t th[4];
    struct search_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct search_job){t, b, n, 0};
        pthread_create(&th[i], NULL, search_thread, &jobs[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(jobs[i].bad == 0);
    }
    rtree_free(t);
    free(b);
}

/* A million points: correct, and under 40 bytes per item. Timing lives outside the
 * unit tests (sanitizer builds are not representative). */
static void test_million_points(void)
{
    size_t n = 1000000;
    double *xy = malloc(2 * n * sizeof *xy);
    for (size_t i = 0; i < n; i++) {
        xy[2 * i] = -5 + 15 * rnd_unit();
        xy[2 * i + 1] = 41 + 10 * rnd_unit();
    }
    struct rtree *t = rtree_build_points(xy, n);
    CHECK(t != NULL);
    CHECK((double)rtree_memory(t) / n < 40.0);
    struct rtree_results r = {0};
    int bad = 0;
    for (int i = 0; i < 20; i++) {
        double x = -5 + 15 * rnd_unit(), y = 41 + 10 * rnd_unit();
        struct rtree_box q = {x, y, x + 0.35, y + 0.23};
        size_t want = 0;
        for (size_t j = 0; j < n; j++)
            want += xy[2 * j] >= q.minx && xy[2 * j] <= q.maxx && xy[2 * j + 1] >= q.miny &&
                    xy[2 * j + 1] <= q.maxy;
        r.len = 0;
        if (!rtree_search_collect(t, &q, &r) || r.len != want)
            bad++;
        for (size_t k = 0; k < r.len; k++) {
            const double *p = &xy[2 * r.items[k]];
            if (p[0] < q.minx || p[0] > q.maxx || p[1] < q.miny || p[1] > q.maxy)
                bad++;
        }
    }
    CHECK(bad == 0);
    struct rtree_box all = {-180, -90, 180, 90};
    r.len = 0;
    CHECK(rtree_search_collect(t, &all, &r) && r.len == n);
    rtree_results_free(&r);
    rtree_free(t);
    free(xy);
}

int main(void)
{
    RUN(test_search_matches_brute_force);
    RUN(test_empty_and_single_trees);
    RUN(test_duplicates_early_stop_and_nan);
    RUN(test_hilbert_curve_is_continuous);
    RUN(test_neighbors_match_brute_force);
    RUN(test_concurrent_searches);
    RUN(test_million_points);
    return UNIT_REPORT();
}
