/* Geocoder latency without HTTP: maps an index, runs the queries of a TSV file
 * (`kind<TAB>expected id<TAB>query<TAB>lon<TAB>lat`, kind = search | autocomplete |
 * reverse) through gsearch/greverse and prints, per kind, the p50/p99/max of each call's
 * thread CPU time (immune to the other processes of a shared machine) and the share of
 * queries whose first result is the expected id. Built by bench/geocode_scale.sh.
 * With SLOW_MS, the queries slower than that are printed on stderr (to profile the tail).
 *   geocode_latency INDEX QUERIES.tsv [SLOW_MS] */
#include "geo/geocode_index.h"
#include "geo/geocode_search.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KINDS 3
static const char *const kind_names[KINDS] = {"search", "autocomplete", "reverse"};

static double thread_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct series {
    double *ms;
    size_t n, cap, hits;
};

static int series_add(struct series *s, double ms, int hit)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        double *d = realloc(s->ms, cap * sizeof *d);
        if (!d) return -1;
        s->ms = d, s->cap = cap;
    }
    s->ms[s->n++] = ms;
    s->hits += hit != 0;
    return 0;
}

static const char *result_id(const struct gidx *ix, const struct gresult *r)
{
    return gidx_str(ix, r->hn >= 0 ? ix->hns[r->hn].id : ix->docs[r->doc].id);
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s INDEX QUERIES.tsv [SLOW_MS]\n", argv[0]);
        return 2;
    }
    char err[512];
    double t0 = thread_ms();
    struct gidx *ix = gidx_open(argv[1], err, sizeof err);
    if (!ix) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double open_ms = thread_ms() - t0;
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    struct series s[KINDS] = {{0}};
    char line[2048];
    struct gresult out[5];
    while (fgets(line, sizeof line, f)) {
        char *field[5] = {0}, *save = NULL;
        line[strcspn(line, "\n")] = '\0';
        for (int i = 0; i < 5; i++) field[i] = strtok_r(i ? NULL : line, "\t", &save);
        if (!field[4]) continue;
        int k = 0;
        while (k < KINDS && strcmp(field[0], kind_names[k])) k++;
        if (k == KINDS) continue;
        struct gsearch_params p = {.q = field[2], .limit = 5, .autocomplete = k == 1};
        double t = thread_ms();
        int n = k == 2 ? greverse(ix, atof(field[3]), atof(field[4]), 0, 1, out) : gsearch(ix, &p, out);
        double ms = thread_ms() - t;
        if (getenv("GEOCODE_LATENCY_MISSES") && k < 2 && !(n > 0 && !strcmp(result_id(ix, &out[0]), field[1])))
            fprintf(stderr, "miss %s: %s -> %s\n", kind_names[k], field[2], n > 0 ? result_id(ix, &out[0]) : "-");
        if (argc == 4 && ms > atof(argv[3])) fprintf(stderr, "%.2f ms %s: %s\n", ms, kind_names[k], field[2]);
        if (series_add(&s[k], ms, n > 0 && !strcmp(result_id(ix, &out[0]), field[1])) < 0) return 1;
    }
    fclose(f);
    printf("index open %.2f ms CPU, %zu documents, %zu house numbers\n", open_ms, ix->n_docs, ix->n_hns);
    printf("| request | queries | p50 ms | p99 ms | max ms | first result is the address |\n|---|---:|---:|---:|---:|---:|\n");
    for (int k = 0; k < KINDS; k++) {
        if (!s[k].n) continue;
        qsort(s[k].ms, s[k].n, sizeof *s[k].ms, cmp_double);
        printf("| %s | %zu | %.2f | %.2f | %.2f | %.1f%% |\n", kind_names[k], s[k].n, s[k].ms[s[k].n / 2],
               s[k].ms[s[k].n * 99 / 100], s[k].ms[s[k].n - 1], 100.0 * (double)s[k].hits / (double)s[k].n);
        free(s[k].ms);
    }
    gidx_close(ix);
    return 0;
}
