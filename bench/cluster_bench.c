/* Builds the supercluster-equivalent cluster index (tiles/cluster_index.h) for N
 * deterministic uniform random points over the world (as the measurement in
 * notes/tiles-and-clusters.md §5) and prints one JSON line: build time, index bytes,
 * peak RSS, mean getTile time over z0-16. Run by bench/cluster_bench.sh. */
#include "tiles/cluster_index.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
    int aggregates = argc > 2 && atoi(argv[2]);
    uint64_t s = 12345;
    struct cluster_input *p = malloc((size_t)n * sizeof *p);
    for (uint32_t i = 0; i < n; i++) { /* the same generator as bench/cluster_bench.mjs */
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
    double t0 = now_ms();
    struct cluster_index *idx = cluster_index_build(p, n, &o, err, sizeof err);
    double build = now_ms() - t0;
    if (!idx) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct u32vec refs = {0}, shifts = {0};
    size_t tiles = 0;
    double t1 = now_ms();
    for (int z = 0; z <= 16; z++)
        for (int k = 0; k < 200; k++) {
            uint32_t z2 = 1u << z, x = (uint32_t)((k * 2654435761u) % z2), y = (uint32_t)((k * 40503u + 7) % z2);
            refs.len = shifts.len = 0;
            cluster_index_get_tile(idx, z, x, y, &refs, &shifts);
            tiles++;
        }
    double tile_ms = (now_ms() - t1) / (double)tiles;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    size_t bytes = cluster_index_memory(idx);
    printf("{\"impl\":\"rbmap\",\"points\":%u,\"aggregates\":%s,\"build_s\":%.3f,\"index_bytes\":%zu,"
           "\"bytes_per_point\":%.1f,\"peak_rss_mb\":%.1f,\"clusters\":%zu,\"trees\":%d,\"tile_ms\":%.4f}\n",
           n, aggregates ? "true" : "false", build / 1e3, bytes, (double)bytes / n, ru.ru_maxrss / 1024.0,
           cluster_index_clusters(idx), cluster_index_distinct_trees(idx), tile_ms);
    free(refs.items);
    free(shifts.items);
    cluster_index_free(idx);
    free(p);
    return 0;
}
