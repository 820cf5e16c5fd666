/* libFuzzer harness for the CQL2 text parser and evaluator (ogc/cql2*.c).
 * Build: clang -std=c11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined \
 *          fuzz/fuzz_cql2.c ogc/cql2_*.c -lm -o build/fuzz_cql2
 * Run:   build/fuzz_cql2 -max_len=9000 fuzz/corpus/cql2
 * Every input must either parse, evaluate and free cleanly, or fail with a message that
 * starts with "filter: "; anything else aborts. */
#include "ogc/cql2.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct cql2_queryable queryables[] = {
    {"name", CQL2_T_STRING},   {"population", CQL2_T_NUMBER}, {"justice", CQL2_T_BOOLEAN},
    {"declared", CQL2_T_DATE}, {"geometry", CQL2_T_GEOMETRY},
};

struct feature {
    int variant;
};

static void get(void *ctx, size_t qi, struct cql2_value *out)
{
    const struct feature *f = ctx;
    if (f->variant == 1) {
        out->is_null = true;
        return;
    }
    switch (qi) {
    case 0: out->str = f->variant ? "" : "Camp de l'\xc3\xa9t\xc3\xa9 100%"; break;
    case 1: out->num = f->variant ? NAN : 42; break;
    case 2: out->boolean = true; break;
    case 3: out->day = 19797; break;
    default: out->is_null = true;
    }
}

static bool intersects(void *ctx, const struct cql2_geometry *g)
{
    const struct feature *f = ctx;
    char wkt[256];
    cql2_geometry_to_wkt(g, wkt, sizeof wkt);
    if (f->variant)
        return cql2_geometry_intersects_box(g, -1, -1, 1, 1);
    return cql2_geometry_intersects_point(g, 2.35, 48.93);
}

static int shift(double *x, double *y, void *arg)
{
    (void)arg;
    *x += 1;
    *y -= 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 3 * CQL2_MAX_TEXT)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char err[256];
    struct cql2_expr *e = cql2_parse(text, queryables, sizeof queryables / sizeof queryables[0],
                                     err, sizeof err);
    if (!e) {
        if (strncmp(err, "filter: ", 8) != 0)
            abort();
    } else {
        for (int v = 0; v < 3; v++) {
            struct feature f = {v};
            struct cql2_feature cf = {&f, get, intersects};
            cql2_eval(e, &cf);
        }
        double b[4];
        cql2_spatial_bounds(e, &b[0], &b[1], &b[2], &b[3]);
        cql2_transform(e, shift, NULL);
        cql2_free(e);
    }
    free(text);
    return 0;
}
