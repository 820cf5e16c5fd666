/* Unit tests of the supercluster port: KDBush against brute force, aggregates and
 * invariants, and equivalence with supercluster itself (npm, run in Node through
 * tests/js/cluster_equiv.mjs) on 10,000 deterministic points: every getClusters,
 * getTile, getChildren, getLeaves and getClusterExpansionZoom answer must match, in
 * order, with centroids within 1e-9 degrees. */
#include "tests/unit/test_cluster_equiv.h"
#include "tests/unit/unit.h"
#include "tiles/cluster_grid.h"
#include "tiles/cluster_index.h"

#include <stdint.h>

static uint64_t rng = 7;
static double rnd(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void test_kdbush_brute(void)
{
    enum { N = 5000 };
    uint32_t *ids = malloc(N * sizeof *ids);
    float *xy = malloc(2 * N * sizeof *xy), *orig = malloc(2 * N * sizeof *orig);
    for (uint32_t i = 0; i < N; i++) {
        ids[i] = i;
        xy[2 * i] = orig[2 * i] = (float)rnd();
        xy[2 * i + 1] = orig[2 * i + 1] = (float)(i % 50 ? rnd() : 0.5); /* some ties */
    }
    struct kdbush t;
    kdbush_init(&t, ids, xy, N, 64);
    struct u32vec v = {0};
    for (int q = 0; q < 50; q++) {
        double cx = rnd(), cy = rnd(), r = rnd() * 0.1;
        v.len = 0;
        CHECK(kdbush_within(&t, cx, cy, r, &v));
        size_t want = 0;
        for (uint32_t i = 0; i < N; i++) {
            double dx = orig[2 * i] - cx, dy = orig[2 * i + 1] - cy;
            want += dx * dx + dy * dy <= r * r;
        }
        CHECK(v.len == want);
        v.len = 0;
        CHECK(kdbush_range(&t, cx - r, cy - r, cx + r, cy + r, &v));
        want = 0;
        for (uint32_t i = 0; i < N; i++)
            want += orig[2 * i] >= cx - r && orig[2 * i] <= cx + r && orig[2 * i + 1] >= cy - r &&
                    orig[2 * i + 1] <= cy + r;
        CHECK(v.len == want);
        for (size_t i = 0; i < v.len; i++)
            CHECK(v.items[i] < N);
    }
    free(v.items);
    kdbush_free(&t);
    free(orig);
}

/* cluster_grid_alone never calls an item alone that has another item nearer than g,
 * and calls alone every item with none within 3g (its 3 x 3 cells reach 2.83 g). */
static void test_grid_alone(void)
{
    enum { N = 3000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    uint8_t *alone = malloc(N);
    for (uint32_t i = 0; i < N; i++) {
        bool copy = i % 97 == 1; /* some duplicates */
        x[i] = copy ? x[i - 1] : rnd();
        y[i] = copy ? y[i - 1] : rnd() * 0.3 + 0.35;
    }
    double g = 0.001;
    CHECK(cluster_grid_alone(x, y, N, g, alone));
    size_t isolated = 0;
    for (uint32_t i = 0; i < N; i++) {
        double nearest = 2;
        for (uint32_t j = 0; j < N; j++)
            if (j != i)
                nearest = fmin(nearest, hypot((double)(float)x[i] - (float)x[j], (double)(float)y[i] - (float)y[j]));
        if (alone[i])
            CHECK(nearest >= g * (1 - 1e-9));
        if (nearest >= 3 * g) {
            isolated++;
            CHECK(alone[i]);
        }
    }
    CHECK(isolated > 100);
    free(x);
    free(y);
    free(alone);
}

/* The same promise on a level large enough for the two-thread sort and sweep, checked
 * with KD-tree searches (within g: only itself when alone; within 3g: only itself ->
 * alone). */
static void test_grid_alone_two_threads(void)
{
    enum { N = 150000 };
    double *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    uint8_t *alone = malloc(N);
    uint32_t *ids = malloc(N * sizeof *ids);
    float *coords = malloc(2 * N * sizeof *coords);
    for (uint32_t i = 0; i < N; i++) {
        bool copy = i % 89 == 1;
        x[i] = copy ? x[i - 1] : rnd();
        y[i] = copy ? y[i - 1] : rnd();
        ids[i] = i;
        coords[2 * i] = (float)x[i];
        coords[2 * i + 1] = (float)y[i];
    }
    double g = 0.0005;
    CHECK(cluster_grid_alone(x, y, N, g, alone));
    struct kdbush t;
    kdbush_init(&t, ids, coords, N, 64);
    struct u32vec near = {0};
    size_t isolated = 0, wrong = 0;
    for (uint32_t i = 0; i < N; i++) {
        near.len = 0;
        kdbush_within(&t, (float)x[i], (float)y[i], g * (1 - 1e-9) * (1 - 1e-6), &near);
        if (alone[i] && near.len != 1)
            wrong++;
        near.len = 0;
        kdbush_within(&t, (float)x[i], (float)y[i], 3 * g, &near);
        if (near.len == 1) {
            isolated++;
            wrong += !alone[i];
        }
    }
    CHECK(wrong == 0);
    CHECK(isolated > 1000);
    free(near.items);
    kdbush_free(&t);
    free(x);
    free(y);
    free(alone);
}

static void test_abbreviate(void)
{
    char s[16];
    CHECK(!cluster_abbreviate(999, s));
    CHECK(cluster_abbreviate(1000, s) && !strcmp(s, "1k"));
    CHECK(cluster_abbreviate(1234, s) && !strcmp(s, "1.2k"));
    CHECK(cluster_abbreviate(1950, s) && !strcmp(s, "2k"));
    CHECK(cluster_abbreviate(9960, s) && !strcmp(s, "10k"));
    CHECK(cluster_abbreviate(12500, s) && !strcmp(s, "13k"));
}

/* Every zoom's clusters and points add up to N; aggregates add up to the leaves'.
 * span: the side of the square in degrees the points fill. */
static void check_invariants(uint32_t n, double span)
{
    struct cluster_input *p = malloc(n * sizeof *p);
    int64_t total_weight = 0;
    for (uint32_t i = 0; i < n; i++) {
        p[i] = (struct cluster_input){2 + rnd() * span, 45 + rnd() * span, i % 7 ? (int64_t)(i % 90) : -1,
                                      {(uint16_t)(i % 7), (uint16_t)(7 + i % 3)}};
        total_weight += p[i].weight >= 0 ? p[i].weight : 0;
    }
    struct cluster_options o;
    cluster_options_default(&o, 10);
    char err[128];
    struct cluster_index *idx = cluster_index_build(p, n, &o, err, sizeof err);
    CHECK(idx != NULL);
    if (!idx) {
        free(p);
        return;
    }
    struct u32vec v = {0}, leaves = {0};
    double world[4] = {-180, -90, 180, 90};
    for (int z = 0; z <= 18; z++) {
        v.len = 0;
        CHECK(cluster_index_get_clusters(idx, world, z, &v));
        uint64_t count = 0;
        int64_t weight = 0;
        for (size_t i = 0; i < v.len; i++) {
            if (cluster_ref_is_point(idx, v.items[i])) {
                count++;
                weight += p[v.items[i]].weight >= 0 ? p[v.items[i]].weight : 0;
                continue;
            }
            struct cluster_info ci;
            cluster_index_info(idx, v.items[i], &ci);
            count += ci.count;
            weight += ci.weight;
            uint32_t status = 0, ft = 0;
            for (int k = 0; k < 7; k++)
                status += ci.counters[k];
            for (int k = 7; k < 10; k++)
                ft += ci.counters[k];
            CHECK(status == ci.count && ft == ci.count);
            if (z == 5 && i < 20) {
                CHECK(cluster_index_leaves(idx, ci.id, SIZE_MAX, 0, &leaves));
                CHECK(leaves.len == ci.count);
                CHECK(cluster_index_expansion_zoom(idx, ci.id) > z);
            }
        }
        CHECK(count == n);
        CHECK(weight == total_weight);
    }
    const uint32_t *refs;
    size_t nref;
    CHECK(!cluster_index_children(idx, 5, &refs, &nref));
    CHECK(!cluster_index_children(idx, n + 31, &refs, &nref));
    CHECK(cluster_index_expansion_zoom(idx, 12) == -1);
    free(v.items);
    free(leaves.items);
    cluster_index_free(idx);
    free(p);
}

/* 3,000 points, then 80,000, enough for zooms of more than 4,096 clusters, whose
 * aggregates are summed on two threads. */
static void test_invariants(void)
{
    check_invariants(3000, 3);
    check_invariants(80000, 20);
}

static void test_empty_and_one(void)
{
    struct cluster_options o;
    cluster_options_default(&o, 1);
    char err[128];
    struct cluster_index *idx = cluster_index_build(NULL, 0, &o, err, sizeof err);
    CHECK(idx != NULL);
    struct u32vec v = {0}, s = {0};
    double world[4] = {-180, -90, 180, 90};
    CHECK(idx && cluster_index_get_clusters(idx, world, 3, &v) && v.len == 0);
    CHECK(idx && cluster_index_get_tile(idx, 0, 0, 0, &v, &s) && v.len == 0);
    cluster_index_free(idx);
    struct cluster_input one = {2.35, 48.85, 10, {0, 0}};
    idx = cluster_index_build(&one, 1, &o, err, sizeof err);
    CHECK(idx && cluster_index_get_clusters(idx, world, 0, &v) && v.len == 1 && v.items[0] == 0);
    CHECK(idx && cluster_index_distinct_trees(idx) == 1);
    cluster_index_free(idx);
    o.max_zoom = 40;
    CHECK(cluster_index_build(&one, 1, &o, err, sizeof err) == NULL);
    free(v.items);
    free(s.items);
}

/* n points, in the proportions of 10,000: France, tight groups, the world, the
 * antimeridian. */
static struct cluster_input *equivalence_points(uint32_t n)
{
    struct cluster_input *p = malloc(n * sizeof *p);
    for (uint32_t t = 0; t < n; t++) {
        uint32_t i = t % 10000;
        double lon, lat;
        if (i < 6000) { /* metropolitan France */
            lon = -5 + rnd() * 14;
            lat = 41 + rnd() * 10;
        } else if (i < 8000) { /* 100 tight groups of 20: camps side by side */
            uint32_t g = (i - 6000) / 20;
            lon = -4 + (g % 10) * 1.3 + rnd() * 0.01;
            lat = 43 + (g / 10) * 0.7 + rnd() * 0.01;
        } else if (i < 9950) { /* the world, overseas départements' latitudes included */
            lon = -180 + rnd() * 360;
            lat = -80 + rnd() * 160;
        } else { /* duplicates and the antimeridian */
            lon = i % 2 ? 179.95 + rnd() * 0.04 : -179.99 + rnd() * 0.04;
            lat = i % 5 ? -17.5 + rnd() : 2.5;
        }
        p[t] = (struct cluster_input){lon, lat, (int64_t)(i % 40), {(uint16_t)(i % 7), 0}};
    }
    return p;
}

static void check_equivalence(const struct cluster_input *p, uint32_t n, const struct cluster_options *o)
{
    struct equiv_stats st;
    int rc = cluster_equiv_run(p, n, o, &st);
    if (rc == 1) {
        printf("  skipped: node or tests/js/node_modules/supercluster missing\n");
        CHECK(!"node or supercluster missing");
        return;
    }
    printf("  equivalence on %u points (minPoints %d, radius %g): %zu queries, %zu features compared, %zu "
           "mismatches, max centroid difference %.3g degrees\n",
           (unsigned)n, o->min_points, o->radius, st.queries, st.features, st.mismatches, st.max_diff);
    CHECK(rc == 0);
    CHECK(st.queries > 200);
    CHECK(st.mismatches == 0);
    CHECK(st.max_diff <= 1e-9);
}

static void test_equivalence(void)
{
    enum { N = 10000 };
    struct cluster_input *p = equivalence_points(N);
    /* supercluster's defaults, then options that take the other branches (neighbours
     * kept unclustered under minPoints, wider radius, lower max zoom, smaller nodes) */
    struct cluster_options opts[2];
    cluster_options_default(&opts[0], 7);
    opts[1] = opts[0];
    opts[1].min_points = 5;
    opts[1].radius = 70;
    opts[1].extent = 256;
    opts[1].max_zoom = 14;
    opts[1].node_size = 16;
    for (int k = 0; k < 2; k++)
        check_equivalence(p, N, &opts[k]);
    free(p);
}

/* Large enough for the two-thread paths (tiles/cluster_pool.h): the first split of
 * each KD-tree sort and the searches ahead of the big levels run in halves. */
static void test_equivalence_two_threads(void)
{
    enum { N = 120000 };
    struct cluster_input *p = equivalence_points(N);
    struct cluster_options o;
    cluster_options_default(&o, 7);
    check_equivalence(p, N, &o);
    free(p);
}

int main(void)
{
    RUN(test_kdbush_brute);
    RUN(test_grid_alone);
    RUN(test_grid_alone_two_threads);
    RUN(test_abbreviate);
    RUN(test_invariants);
    RUN(test_empty_and_one);
    RUN(test_equivalence);
    RUN(test_equivalence_two_threads);
    return UNIT_REPORT();
}
