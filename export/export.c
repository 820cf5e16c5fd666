#include "export/export.h"

#include "db/feature_props.h"
#include "export/export_gdal.h"
#include "export/export_impl.h"
#include "tiles/boundaries.h"
#include "tiles/clip.h"
#include "tiles/territory_bubbles.h"
#include "tiles/tile_math.h"

#include <cpl_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const territory_levels[BUBBLE_LEVELS] = {"region", "departement", "city"};

static int territory_level(const char *name)
{
    if (!name)
        return BUBBLE_DEPARTEMENT;
    for (int i = 0; i < BUBBLE_LEVELS; i++)
        if (!strcmp(territory_levels[i], name))
            return i;
    return -1;
}

static bool boundary_level_ok(const char *name)
{
    return !name || !strcmp(name, "region") || !strcmp(name, "departement") || !strcmp(name, "epci") ||
           !strcmp(name, "city");
}

int export_check_query(const struct export_query *q, char *err, size_t errlen)
{
    if (q->format->wgs84_only && !(q->crs->geographic && (q->crs->epsg == 4326 || q->crs->epsg == 0))) {
        snprintf(err, errlen, "crs: %s files are always in WGS84 (EPSG:4326), not %s", q->format->name,
                 q->crs->code);
        return EXPORT_BAD_REQUEST;
    }
    if (q->format->spreadsheet && q->collection == EXPORT_BOUNDARIES) {
        snprintf(err, errlen, "format: boundaries are polygons, which %s cannot hold; use gpkg, shp.zip, kml, fgb "
                 "or geojson", q->format->name);
        return EXPORT_BAD_REQUEST;
    }
    if (q->collection == EXPORT_BOUNDARIES && !boundary_level_ok(q->level)) {
        snprintf(err, errlen, "level: expected region, departement, epci or city, not '%.40s'", q->level);
        return EXPORT_BAD_REQUEST;
    }
    if (q->collection == EXPORT_TERRITORIES && territory_level(q->level) < 0) {
        snprintf(err, errlen, "level: expected region, departement or city, not '%.40s'", q->level);
        return EXPORT_BAD_REQUEST;
    }
    if (q->level && (q->collection == EXPORT_SITES || q->collection == EXPORT_ACTIONS)) {
        snprintf(err, errlen, "level: only for boundaries and territories");
        return EXPORT_BAD_REQUEST;
    }
    return EXPORT_OK;
}

static bool in_bbox(const struct export_query *q, double lon, double lat)
{
    return !q->has_bbox || (lon >= q->bbox[0] && lon <= q->bbox[2] && lat >= q->bbox[1] && lat <= q->bbox[3]);
}

/* Grows the arrays by one slot; false when the limit is passed or memory ran out. */
static bool sel_push(struct selection *sel)
{
    if (sel->n >= sel->limit) {
        sel->too_many = true;
        return false;
    }
    if (sel->n == sel->cap) {
        size_t cap = sel->cap ? sel->cap * 2 : 256;
        const void **items = realloc(sel->items, cap * sizeof(*items));
        if (items)
            sel->items = items;
        struct territory_bubble *b = realloc(sel->bubbles, cap * sizeof(*b));
        if (b)
            sel->bubbles = b;
        uint32_t *bd = realloc(sel->boundaries, cap * sizeof(*bd));
        if (bd)
            sel->boundaries = bd;
        double *x = realloc(sel->x, cap * sizeof(*x));
        if (x)
            sel->x = x;
        double *y = realloc(sel->y, cap * sizeof(*y));
        if (y)
            sel->y = y;
        if (!items || !b || !bd || !x || !y)
            return false;
        sel->cap = cap;
    }
    sel->n++;
    return true;
}

static void sel_free(struct selection *sel)
{
    free(sel->items);
    free(sel->bubbles);
    free(sel->boundaries);
    free(sel->x);
    free(sel->y);
}

static bool keep_bubble(const struct territory_bubble *b, void *arg)
{
    struct selection *sel = arg;
    if (!sel_push(sel))
        return false;
    sel->bubbles[sel->n - 1] = *b;
    sel->x[sel->n - 1] = b->lon;
    sel->y[sel->n - 1] = b->lat;
    return true;
}

struct boundary_pick {
    struct selection *sel;
    const char *level;
    bool failed;
};

static bool keep_boundary(const struct boundary_view *b, void *arg)
{
    struct boundary_pick *pick = arg;
    if (pick->level && strcmp(pick->level, b->level))
        return true;
    if (!sel_push(pick->sel)) {
        pick->failed = true;
        return false;
    }
    pick->sel->boundaries[pick->sel->n - 1] = b->index;
    return true;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int select_features(const struct export_query *q, const struct export_sources *src, struct selection *sel,
                           char *err, size_t errlen)
{
    const struct scope *scope = q->scope;
    if ((q->collection == EXPORT_SITES || q->collection == EXPORT_ACTIONS) && scope->kind == SCOPE_PUBLIC) {
        snprintf(err, errlen, "%s: the public scope sees no site or action position; sign in, or export "
                 "territories (counts per territory) or boundaries", export_collection_name(q->collection));
        return EXPORT_FORBIDDEN;
    }
    int tlevel = territory_level(q->level);
    if (q->collection == EXPORT_TERRITORIES && scope->kind == SCOPE_PUBLIC && tlevel == BUBBLE_CITY) {
        snprintf(err, errlen, "level: the public scope sees territories by région and département only");
        return EXPORT_FORBIDDEN;
    }
    if ((q->collection == EXPORT_BOUNDARIES && !src->boundaries) ||
        (q->collection == EXPORT_TERRITORIES && !src->territories)) {
        snprintf(err, errlen, "%s are still loading; try again in a minute", export_collection_name(q->collection));
        return EXPORT_UNAVAILABLE;
    }
    sel->limit = q->max_features;
    bool ok = true;
    switch (q->collection) {
    case EXPORT_SITES:
        for (size_t i = 0; ok && i < src->sites->count; i++) {
            const struct site *s = src->sites->sites[i];
            if (!scope_allows_site(scope, s) || !site_filter_match(q->filter, s) || !in_bbox(q, s->lon, s->lat))
                continue;
            if ((ok = sel_push(sel))) {
                sel->items[sel->n - 1] = s;
                sel->x[sel->n - 1] = s->lon;
                sel->y[sel->n - 1] = s->lat;
            }
        }
        break;
    case EXPORT_ACTIONS:
        for (size_t i = 0; ok && i < src->actions->count; i++) {
            const struct action_point *p = &src->actions->points[i];
            if (!scope_allows_action(scope, p) || !action_point_match(q->filter, p) || !in_bbox(q, p->lon, p->lat))
                continue;
            if ((ok = sel_push(sel))) {
                sel->items[sel->n - 1] = p;
                sel->x[sel->n - 1] = p->lon;
                sel->y[sel->n - 1] = p->lat;
            }
        }
        break;
    case EXPORT_TERRITORIES:
        if (territory_bubbles_visit(src->sites, src->territories, q->filter, scope, tlevel, keep_bubble, sel) < 0)
            ok = false;
        for (size_t i = 0; ok && !sel->too_many && q->has_bbox && i < sel->n; i++)
            if (!in_bbox(q, sel->x[i], sel->y[i])) { /* drop, keeping the order */
                memmove(&sel->bubbles[i], &sel->bubbles[i + 1], (sel->n - i - 1) * sizeof(*sel->bubbles));
                memmove(&sel->x[i], &sel->x[i + 1], (sel->n - i - 1) * sizeof(double));
                memmove(&sel->y[i], &sel->y[i + 1], (sel->n - i - 1) * sizeof(double));
                sel->n--, i--;
            }
        break;
    case EXPORT_BOUNDARIES: {
        struct boundary_pick pick = {sel, q->level, false};
        if (q->has_bbox) {
            boundary_layer_search(src->boundaries, q->bbox[0], q->bbox[1], q->bbox[2], q->bbox[3], keep_boundary,
                                  &pick);
            qsort(sel->boundaries, sel->n, sizeof(uint32_t), compare_u32); /* coarse levels first */
        } else {
            struct boundary_view v;
            for (uint32_t i = 0; !pick.failed && boundary_layer_get(src->boundaries, i, &v); i++)
                keep_boundary(&v, &pick);
        }
        ok = !pick.failed;
        break;
    }
    default:
        break;
    }
    if (sel->too_many) {
        snprintf(err, errlen, "more than %zu features match (export_max_features); narrow the filters, the bbox "
                 "or the level", q->max_features);
        return EXPORT_TOO_LARGE;
    }
    if (!ok) {
        snprintf(err, errlen, "out of memory selecting features");
        return EXPORT_FAILED;
    }
    return EXPORT_OK;
}

static bool needs_reprojection(const struct crs_info *crs) { return !(crs->epsg == 4326 || crs->epsg == 0); }

static void describe_feature(const struct export_query *q, const struct selection *sel, size_t i, char *out,
                             size_t outlen)
{
    switch (q->collection) {
    case EXPORT_SITES: snprintf(out, outlen, "site %d", ((const struct site *)sel->items[i])->id); break;
    case EXPORT_ACTIONS:
        snprintf(out, outlen, "action %d", ((const struct action_point *)sel->items[i])->action_id);
        break;
    default: snprintf(out, outlen, "territory %s %s", sel->bubbles[i].level_name, sel->bubbles[i].code); break;
    }
}

/* Points of the selection into the output CRS, all at once. */
static int reproject_selection(const struct export_query *q, struct selection *sel, char *err, size_t errlen)
{
    if (!needs_reprojection(q->crs) || q->collection == EXPORT_BOUNDARIES || !sel->n)
        return EXPORT_OK;
    char why[400], what[64];
    size_t bad = 0;
    int rc = reproject_points(crs_at(0), q->crs, sel->x, sel->y, sel->n, &bad, why, sizeof why);
    if (rc == REPROJECT_OK)
        return EXPORT_OK;
    if (rc == REPROJECT_BAD_POINT && bad < sel->n) {
        describe_feature(q, sel, bad, what, sizeof what);
        snprintf(err, errlen, "crs: %s cannot be written in %s: %s; narrow the territory or the bbox, or choose "
                 "another crs", what, q->crs->code, why);
        return EXPORT_BAD_REQUEST;
    }
    snprintf(err, errlen, "reprojection to %s failed: %s", q->crs->code, why);
    return EXPORT_FAILED;
}

static void file_stamp(char out[9])
{
    time_t now = time(NULL);
    struct tm tm;
    strftime(out, 9, "%Y%m%d", gmtime_r(&now, &tm));
}

void export_file_name(const struct export_query *q, char *out, size_t outlen)
{
    char stamp[9], crs[24] = "";
    file_stamp(stamp);
    if (q->crs->epsg && q->crs->epsg != 4326)
        snprintf(crs, sizeof crs, "-epsg%d", q->crs->epsg);
    snprintf(out, outlen, "rbmap-%s%s-%s.%s", export_collection_name(q->collection), crs, stamp, q->format->name);
}


/* Which sensitive keys the file gets: justice fields of sites for a scope with the
 * flag; per-status counts of territories for any signed-in scope. */
static bool with_sensitive(const struct export_query *q)
{
    if (q->scope->kind == SCOPE_PUBLIC)
        return false;
    if (q->collection == EXPORT_SITES)
        return (q->scope->flags & SCOPE_FLAG_JUSTICE) != 0;
    return q->collection == EXPORT_TERRITORIES;
}

static int write_file(const struct export_query *q, const struct export_sources *src, const struct selection *sel,
                      const char *dir, unsigned char **data, size_t *len, char *err, size_t errlen)
{
    const char *name = export_collection_name(q->collection);
    enum export_geometry geometry = q->collection == EXPORT_BOUNDARIES ? EXPORT_POLYGONS : EXPORT_POINTS;
    struct export_layer *l =
        export_layer_create(q->format, q->collection, dir, name, q->crs, geometry, with_sensitive(q), feature_flags(q->scope),
                            err, errlen);
    if (!l)
        return EXPORT_FAILED;
    int rc = export_write_features(q, src, sel, l, err, errlen);
    char close_err[512];
    if (export_layer_close(l, close_err, sizeof close_err) < 0 && rc == EXPORT_OK) {
        snprintf(err, errlen, "%s", close_err);
        rc = EXPORT_FAILED;
    }
    if (rc == EXPORT_OK && export_collect_bytes(q->format, dir, name, data, len, err, errlen) < 0)
        rc = EXPORT_FAILED;
    return rc;
}

int export_run(const struct export_query *q, const struct export_sources *src, unsigned char **data, size_t *len,
               size_t *features, char *err, size_t errlen)
{
    *data = NULL;
    *len = *features = 0;
    int rc = export_check_query(q, err, errlen);
    struct selection sel = {0};
    if (rc == EXPORT_OK)
        rc = select_features(q, src, &sel, err, errlen);
    if (rc == EXPORT_OK)
        rc = reproject_selection(q, &sel, err, errlen);
    if (rc == EXPORT_OK) {
        char dir[128];
        export_vsimem_dir(dir, sizeof dir);
        /* GDAL reports through err; nothing on the server's stderr. Per thread. */
        CPLPushErrorHandler(CPLQuietErrorHandler);
        rc = write_file(q, src, &sel, dir, data, len, err, errlen);
        CPLPopErrorHandler();
        export_vsimem_remove(dir);
        if (rc == EXPORT_OK)
            *features = sel.n;
    }
    sel_free(&sel);
    return rc;
}
