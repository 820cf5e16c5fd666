#include "ogc/ogc_filter.h"

#include "ogc/cql2.h"
#include "ogc/ogc_meta.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ogc_filter_enabled(void) { return true; }

#define MAX_QUERYABLES 64

struct ogc_filter {
    struct cql2_expr *expr;
    size_t nq;
    struct cql2_queryable q[MAX_QUERYABLES];
    char kind[MAX_QUERYABLES];
    /* the feature being evaluated */
    struct ogc_run *run;
    const struct ogc_collection *coll;
    uint32_t item;
    bool captured;
    struct cql2_value values[MAX_QUERYABLES];
    size_t offsets[MAX_QUERYABLES]; /* string values: offsets into text (it may move) */
    struct buf text;
};

static enum cql2_type type_of(char kind)
{
    switch (kind) {
    case 'i': return CQL2_T_NUMBER;
    case 'b': return CQL2_T_BOOLEAN;
    case 'd': return CQL2_T_DATE;
    default: return CQL2_T_STRING;
    }
}

static long find(const struct ogc_filter *f, const char *key)
{
    for (size_t i = 0; i < f->nq; i++)
        if (!strcmp(f->q[i].name, key))
            return (long)i;
    return -1;
}

static void cap_string(void *ctx, const char *key, const char *value)
{
    struct ogc_filter *f = ctx;
    long i = find(f, key);
    if (i < 0)
        return;
    struct cql2_value *v = &f->values[i];
    if (f->kind[i] == 'd') {
        v->day = day_from_iso(value);
        v->is_null = v->day == DAY_NONE;
    } else if (f->q[i].type == CQL2_T_STRING) {
        f->offsets[i] = f->text.len;
        v->is_null = !buf_append(&f->text, value, strlen(value) + 1);
    }
}

static void cap_int(void *ctx, const char *key, int64_t value)
{
    struct ogc_filter *f = ctx;
    long i = find(f, key);
    if (i >= 0 && f->q[i].type == CQL2_T_NUMBER) {
        f->values[i].num = (double)value;
        f->values[i].is_null = false;
    }
}

static void cap_bool(void *ctx, const char *key, bool value)
{
    struct ogc_filter *f = ctx;
    long i = find(f, key);
    if (i >= 0 && f->q[i].type == CQL2_T_BOOLEAN) {
        f->values[i].boolean = value;
        f->values[i].is_null = false;
    }
}

static void capture(struct ogc_filter *f)
{
    buf_reset(&f->text);
    for (size_t i = 0; i < f->nq; i++)
        f->values[i] = (struct cql2_value){.type = f->q[i].type, .is_null = true};
    struct prop_sink sink = {f, cap_string, cap_int, cap_bool};
    f->coll->props(f->run, f->item, &sink);
    for (size_t i = 0; i < f->nq; i++)
        if (f->q[i].type == CQL2_T_STRING && !f->values[i].is_null)
            f->values[i].str = f->text.data + f->offsets[i];
    f->captured = true;
}

static void get_value(void *ctx, size_t index, struct cql2_value *out)
{
    struct ogc_filter *f = ctx;
    if (!f->captured)
        capture(f);
    *out = f->values[index];
}

static bool intersects(void *ctx, const struct cql2_geometry *g)
{
    struct ogc_filter *f = ctx;
    return f->coll->meets && f->coll->meets(f->run, f->item, g);
}

struct crs_pair {
    const struct crs_info *from, *to;
    bool lat_first;
};

static int to_crs84(double *x, double *y, void *arg)
{
    const struct crs_pair *p = arg;
    if (p->lat_first) {
        double t = *x;
        *x = *y;
        *y = t;
    }
    return reproject_points_flags(p->from, p->to, x, y, 1, REPROJECT_NO_AREA_CHECK, NULL, NULL, 0) ? -1 : 0;
}

int ogc_filter_parse(const struct request *req, const struct ogc_collection *c, struct ogc_run *r,
                     struct ogc_filter **out, struct response *res)
{
    *out = NULL;
    const char *text = request_param(req, "filter");
    const char *lang = request_param(req, "filter-lang");
    if (lang && strcmp(lang, "cql2-text")) {
        response_error(res, 400, "filter-lang: only cql2-text is supported");
        return -1;
    }
    const struct crs_info *crs;
    if (ogc_parse_crs(req, "filter-crs", &crs, res) < 0)
        return -1;
    if (!text)
        return 0;
    struct ogc_filter *f = calloc(1, sizeof(*f));
    if (!f) {
        response_error(res, 503, "out of memory");
        return -1;
    }
    buf_init(&f->text, 1u << 20);
    for (const struct prop_key *k = c->keys; k->name && f->nq < MAX_QUERYABLES - 1; k++) {
        if (!prop_key_granted(k, r->justice, r->flags))
            continue;
        f->kind[f->nq] = k->kind;
        f->q[f->nq++] = (struct cql2_queryable){k->name, type_of(k->kind)};
    }
    f->q[f->nq++] = (struct cql2_queryable){"geometry", CQL2_T_GEOMETRY};
    char err[512];
    f->expr = cql2_parse(text, f->q, f->nq, err, sizeof err);
    if (!f->expr) {
        response_error(res, 400, "%s", err);
        ogc_filter_free(f);
        return -1;
    }
    if (crs->epsg) { /* literals in another CRS: bring them to CRS84 once */
        struct crs_pair p = {crs, crs_lookup("OGC:CRS84", NULL, 0), crs->geographic};
        if (cql2_transform(f->expr, to_crs84, &p) < 0) {
            response_error(res, 400, "filter-crs: a coordinate of the filter cannot be transformed from %s",
                           crs->code);
            ogc_filter_free(f);
            return -1;
        }
    }
    double minx, miny, maxx, maxy;
    if (!r->q.has_bbox && cql2_spatial_bounds(f->expr, &minx, &miny, &maxx, &maxy) && minx <= maxx && miny <= maxy &&
        isfinite(minx + miny + maxx + maxy)) {
        r->q.has_bbox = true;
        r->q.n_boxes = 1;
        r->q.boxes[0] = (struct ogc_lonlat_box){minx, miny, maxx, maxy};
    }
    *out = f;
    return 0;
}

int ogc_filter_apply(struct ogc_filter *f, struct ogc_run *r, const struct ogc_collection *c, struct u32list *list)
{
    f->run = r;
    f->coll = c;
    struct cql2_feature feature = {f, get_value, intersects};
    size_t kept = 0;
    for (size_t i = 0; i < list->len; i++) {
        f->item = list->items[i];
        f->captured = false;
        if (cql2_eval(f->expr, &feature))
            list->items[kept++] = list->items[i];
        if (f->text.overflow)
            return -1;
    }
    list->len = kept;
    return 0;
}

void ogc_filter_free(struct ogc_filter *f)
{
    if (!f)
        return;
    cql2_free(f->expr);
    buf_free(&f->text);
    free(f);
}
