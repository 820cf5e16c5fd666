/* Builds the supercluster-equivalent cluster index (tiles/cluster_index.h) for N
 * deterministic uniform random points over the world (as the measurement in
 * notes/tiles-and-clusters.md §5) and prints one JSON line: build CPU time, index bytes,
 * peak RSS, mean getTile time over z0-16, and the slowest whole cluster tile (getTile
 * plus MVT encoding with the cluster properties, packed) at any zoom. Run by
 * bench/cluster_bench.sh. */
#include "tiles/cluster_index.h"
#include "tiles/mvt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The calling thread's CPU time alone: the build's serial path (the worker thread's
 * share runs beside it), what its wall time would be with the second core free. */
static double thread_cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* One cluster tile as the clusters layer writes it (tiles/cluster_render.c), points as
 * bare features: what a tile costs beyond getTile. Returns the packed size. */
static size_t encode_tile(struct mvt_tile *tile, const struct cluster_index *idx, int z, uint32_t y,
                          const struct u32vec *refs, const struct u32vec *shifts)
{
    mvt_tile_reset(tile);
    struct mvt_layer *layer = mvt_tile_add_layer(tile, "clusters", 4096);
    double z2 = pow(2, z);
    for (size_t i = 0; layer && i < refs->len; i++) {
        struct mvt_feature *f = mvt_layer_begin_feature(layer, MVT_POINT);
        if (!f)
            break;
        double shift = (int32_t)shifts->items[i];
        if (cluster_ref_is_point(idx, refs->items[i])) {
            mvt_feature_set_id(f, refs->items[i]);
            mvt_feature_add_point(f, 0, 0);
        } else {
            struct cluster_info ci;
            cluster_index_info(idx, refs->items[i], &ci);
            mvt_feature_set_id(f, ci.id);
            mvt_feature_add_point(f, 4096 * (ci.x * z2 - shift), 4096 * (ci.y * z2 - y));
            mvt_feature_add_bool(f, "cluster", true);
            mvt_feature_add_uint(f, "cluster_id", ci.id);
            mvt_feature_add_uint(f, "point_count", ci.count);
            char abbrev[16], key[24];
            if (cluster_abbreviate(ci.count, abbrev))
                mvt_feature_add_string(f, "point_count_abbreviated", abbrev);
            else
                mvt_feature_add_uint(f, "point_count_abbreviated", ci.count);
            mvt_feature_add_uint(f, "population", (uint64_t)(ci.weight > 0 ? ci.weight : 0));
            for (uint32_t k = 0; k < cluster_index_options(idx)->n_counters; k++) {
                snprintf(key, sizeof key, "count_%u", k);
                mvt_feature_add_uint(f, key, ci.counters[k]);
            }
        }
        mvt_feature_end(f);
    }
    size_t len = 0;
    free(mvt_tile_pack(tile, &len));
    return len;
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
    int aggregates = argc > 2 && atoi(argv[2]);
    uint64_t s = 12345;
    struct cluster_input *p = malloc((size_t)n * sizeof *p);
    for (uint32_t i = 0; i < n; i++) { /* the same generator as tests/js/cluster_bench.mjs */
        s = (s * 6364136223846793005ull + 1442695040888963407ull);
        double a = (double)(s >> 11) / 9007199254740992.0;
        s = (s * 6364136223846793005ull + 1442695040888963407ull);
        double b = (double)(s >> 11) / 9007199254740992.0;
        p[i] = (struct cluster_input){-180 + a * 360, -85 + b * 170, (int64_t)(i % 50), {(uint16_t)(i % 7), (uint16_t)(7 + i % 3)}};
    }
    struct cluster_options o;
    cluster_options_default(&o, aggregates ? 10 : 0);
    if (!aggregates)
        for (uint32_t i = 0; i < n; i++)
            p[i].cats[0] = p[i].cats[1] = UINT16_MAX;
    char err[128];
    double t0 = cpu_ms(), w0 = wall_ms(), m0 = thread_cpu_ms();
    struct cluster_index *idx = cluster_index_build(p, n, &o, err, sizeof err);
    double build = cpu_ms() - t0, build_wall = wall_ms() - w0, build_main = thread_cpu_ms() - m0;
    if (!idx) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct u32vec refs = {0}, shifts = {0};
    struct mvt_tile *tile = mvt_tile_new();
    size_t tiles = 0;
    double query_total = 0, tile_max = 0, worst_kb = 0;
    int worst_z = 0;
    for (int z = 0; z <= 16; z++)
        for (int k = 0; k < 200; k++) {
            uint32_t z2 = 1u << z, x = (uint32_t)((k * 2654435761u) % z2), y = (uint32_t)((k * 40503u + 7) % z2);
            double q0 = cpu_ms();
            refs.len = shifts.len = 0;
            cluster_index_get_tile(idx, z, x, y, &refs, &shifts);
            double q1 = cpu_ms();
            size_t bytes = encode_tile(tile, idx, z, y, &refs, &shifts);
            double whole = cpu_ms() - q0;
            query_total += q1 - q0;
            tiles++;
            if (whole > tile_max) {
                tile_max = whole;
                worst_z = z;
                worst_kb = (double)bytes / 1024;
            }
        }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    size_t bytes = cluster_index_memory(idx);
    printf("{\"impl\":\"rbmap\",\"points\":%u,\"aggregates\":%s,\"build_cpu_s\":%.3f,\"build_wall_s\":%.3f,\"build_main_thread_cpu_s\":%.3f,\"index_bytes\":%zu,"
           "\"bytes_per_point\":%.1f,\"peak_rss_mb\":%.1f,\"clusters\":%zu,\"trees\":%d,\"tile_ms\":%.4f,"
           "\"tile_max_ms\":%.3f,\"tile_max_zoom\":%d,\"tile_max_kb\":%.1f}\n",
           n, aggregates ? "true" : "false", build / 1e3, build_wall / 1e3, build_main / 1e3, bytes, (double)bytes / n, ru.ru_maxrss / 1024.0,
           cluster_index_clusters(idx), cluster_index_distinct_trees(idx), query_total / (double)tiles, tile_max,
           worst_z, worst_kb);
    mvt_tile_destroy(tile);
    free(refs.items);
    free(shifts.items);
    cluster_index_free(idx);
    free(p);
    return 0;
}
