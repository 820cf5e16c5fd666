/* The sites layer's renderer alone, without HTTP or PostgreSQL: a synthetic snapshot of
 * N sites (a third spread over mainland France, two thirds in 40 dense clusters around
 * cities), then every tile of a list read from stdin ("z/x/y" lines, e.g. from
 * bench/tile_list.py) rendered R times; prints per zoom the median and the worst render
 * CPU time (the machine is shared), after building what the server builds for every
 * new snapshot before publishing it (tile_snapshot_prepare), timed apart.
 *
 *   python3 bench/tile_list.py | build/bench/render_bench [SITES] [REPEATS]
 *
 * Built against the release objects (see bench/README.md). */
#define _POSIX_C_SOURCE 200809L
#include "db/site_filter.h"
#include "db/site_store.h"
#include "geo/rtree.h"
#include "tiles/render.h"
#include "tiles/render_props.h"
#include "tiles/render_thin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); /* the machine is shared: CPU time, not wall */
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static unsigned long long rng = 88172645463325252ull;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    int repeats = argc > 2 ? atoi(argv[2]) : 1;
    struct site *sites = calloc(n, sizeof *sites);
    const struct site **ptrs = calloc(n, sizeof *ptrs);
    double *xy = malloc(2 * n * sizeof *xy);
    char *names = malloc(n * 16);
    double centres[40][2];
    for (int c = 0; c < 40; c++) {
        centres[c][0] = -1.5 + uniform() * 8.5;
        centres[c][1] = 43.5 + uniform() * 6.0;
    }
    for (size_t i = 0; i < n; i++) {
        struct site *s = &sites[i];
        s->id = (int32_t)i + 1;
        if (i % 3 == 0) {
            s->lon = -4.5 + uniform() * 12.5;
            s->lat = 42.5 + uniform() * 8.5;
        } else {
            int c = (int)(uniform() * 40);
            double r = 0.3 * uniform() * uniform();
            s->lon = centres[c][0] + r * (uniform() - 0.5) * 2;
            s->lat = centres[c][1] + r * (uniform() - 0.5) * 2;
        }
        s->status = i % 5 ? SITE_CLOSED_BY_JUSTICE : SITE_OPEN;
        s->closed_day = s->status == SITE_OPEN ? DAY_NONE : 19000 + (int32_t)(i % 900);
        s->declared_day = 16000 + (int32_t)(i % 2000);
        s->built_day = DAY_NONE;
        s->population = (int32_t)(i % 97) - 1;
        s->field_type_id = 1;
        s->water = (uint8_t)(i % WATER_STATUS_COUNT);
        snprintf(names + 16 * i, 16, "Site %u", (unsigned)(i % 100000000));
        s->name = names + 16 * i;
        s->address = "";
        s->city_name = i % 2 ? "Saint-Denis" : "Montreuil";
        strcpy(s->city_code, i % 2 ? "93066" : "93048");
        strcpy(s->departement_code, "93");
        strcpy(s->region_code, "11");
        ptrs[i] = s;
        xy[2 * i] = s->lon;
        xy[2 * i + 1] = s->lat;
    }
    struct field_type ft = {1, "Terrain", "ff0000"};
    struct site_snapshot snap = {.count = n, .sites = ptrs, .n_field_types = 1, .field_types = &ft, .version = 1};
    snap.index = rtree_build_points(xy, n);
    struct site_filter filter;
    site_filter_init(&filter);
    struct scope scope;
    scope_national(&scope, 0);
    struct action_snapshot no_actions = {0};
    struct tile_sources src = {.sites = &snap, .actions = &no_actions};

    int tz[4096];
    unsigned tx[4096], ty[4096];
    size_t nt = 0;
    while (nt < 4096 && scanf("%d/%u/%u", &tz[nt], &tx[nt], &ty[nt]) == 3)
        nt++;
    double *ms = calloc(nt, sizeof *ms);
    size_t *bytes = calloc(nt, sizeof *bytes);
    struct buf out;
    buf_init(&out, 0);
    double t_prepare = now_ms();
    tile_snapshot_prepare(&snap, NULL);
    t_prepare = now_ms() - t_prepare;
    /* Below the sites layer's first zoom a map draws the clusters layer (the style does
     * at every zoom): that is the tile timed there. */
    int sites_minzoom = tile_layer_minzoom(LAYER_SITES, &snap);
    for (int r = 0; r < repeats; r++)
        for (size_t i = 0; i < nt; i++) {
            unsigned layer = tz[i] < sites_minzoom ? 1u << LAYER_CLUSTERS : 1u << LAYER_SITES;
            struct tile_request rq = {.z = tz[i], .x = tx[i], .y = ty[i], .layers = layer,
                                      .filter = &filter, .scope = &scope};
            struct tile_render_stats stats;
            buf_reset(&out);
            double t0 = now_ms();
            if (tile_render(&rq, &src, &out, &stats) < 0)
                return 1;
            double t = now_ms() - t0;
            if (r == 0 || t < ms[i])
                ms[i] = t;
            bytes[i] = out.len;
        }
    printf("%zu sites, %zu tiles, best of %d; snapshot prepared (thinning index, interned properties) in %.1f ms\n",
           n, nt, repeats, t_prepare);
    printf("sites layer from zoom %d (automatic: no tile over %d sites there); clusters tiles below it\n",
           sites_minzoom, TILE_SITES_FEATURE_BUDGET);
    printf("| z | layer | tiles | p50 ms | max ms | largest KB |\n|---:|---|---:|---:|---:|---:|\n");
    double total = 0;
    for (int z = 0; z <= 22; z++) {
        double v[4096];
        size_t k = 0, big = 0;
        for (size_t i = 0; i < nt; i++)
            if (tz[i] == z) {
                v[k++] = ms[i];
                total += ms[i];
                if (bytes[i] > big)
                    big = bytes[i];
            }
        if (!k)
            continue;
        qsort(v, k, sizeof *v, cmp_double);
        printf("| %d | %s | %zu | %.2f | %.2f | %.0f |\n", z, z < sites_minzoom ? "clusters" : "sites", k,
               v[(k - 1) / 2], v[k - 1], big / 1024.0);
    }
    printf("mean %.3f ms per tile\n", total / (double)nt);
    buf_free(&out);
    thin_index_cache_clear();
    site_prop_table_cache_clear();
    rtree_free((struct rtree *)snap.index);
    free(ms);
    free(bytes);
    free(sites);
    free(ptrs);
    free(xy);
    free(names);
    return 0;
}
