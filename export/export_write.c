/* Writing the selected features of each collection into a GDAL layer. */
#include "export/export_impl.h"

#include "db/feature_props.h"
#include "tiles/boundaries.h"
#include "tiles/clip.h"
#include "tiles/tile_math.h"

#include <stdio.h>
#include <stdlib.h>

#define PROGRESS_STEP 1024

static void emit_bubble(const struct prop_sink *sink, const struct territory_bubble *b)
{
    sink->add_string(sink->ctx, "level", b->level_name);
    sink->add_string(sink->ctx, "code", b->code);
    sink->add_string(sink->ctx, "name", b->name);
    sink->add_int(sink->ctx, "sites", b->sites);
    if (b->population_shown)
        sink->add_int(sink->ctx, "population", b->population);
    if (b->split_shown) {
        sink->add_int(sink->ctx, "status_open", b->open);
        sink->add_int(sink->ctx, "status_closed", b->closed);
    }
    if (!b->status)
        return;
    char key[48];
    for (int s = 0; s < SITE_STATUS_COUNT; s++)
        if (s != SITE_OPEN) { /* status_open is already there */
            snprintf(key, sizeof key, "status_%s", site_status_name((enum site_status)s));
            sink->add_int(sink->ctx, key, b->status[s]);
        }
}

/* One boundary: its world polygon back to lon/lat, then to the output CRS. */
static int write_boundary(const struct export_query *q, struct export_layer *l, const struct boundary_view *v,
                          char *err, size_t errlen)
{
    const struct prop_sink *sink = export_layer_begin(l, (long long)v->index + 1);
    sink->add_string(sink->ctx, "level", v->level);
    sink->add_string(sink->ctx, "code", v->code);
    sink->add_string(sink->ctx, "name", v->name);
    const struct clip_geom *g = v->world;
    if (!g || g->kind != CLIP_POLYGONS || !g->npoints || !g->nparts)
        return export_layer_end(l, err, errlen) < 0 ? EXPORT_FAILED : EXPORT_OK;
    size_t total = 0;
    for (size_t r = 0; r < g->nparts; r++)
        total += g->parts[r].n;
    double *x = malloc(total * sizeof(double)), *y = malloc(total * sizeof(double));
    double *xy = malloc(2 * total * sizeof(double));
    size_t *ring_start = malloc((g->nparts + 1) * sizeof(size_t));
    int rc = EXPORT_OK;
    if (!x || !y || !xy || !ring_start) {
        snprintf(err, errlen, "out of memory writing boundary %s %s", v->level, v->code);
        rc = EXPORT_FAILED;
        goto done;
    }
    size_t o = 0;
    for (size_t r = 0; r < g->nparts; r++) {
        ring_start[r] = o;
        for (size_t k = 0; k < g->parts[r].n; k++, o++)
            tile_world_to_lonlat(g->parts[r].xy[2 * k], g->parts[r].xy[2 * k + 1], &x[o], &y[o]);
    }
    ring_start[g->nparts] = o;
    if (q->crs->epsg != 4326 && q->crs->epsg != 0) {
        char why[400];
        int prc = reproject_points(crs_at(0), q->crs, x, y, total, NULL, why, sizeof why);
        if (prc != REPROJECT_OK) {
            snprintf(err, errlen, "crs: boundary %s %s (%s) cannot be written in %s: %s; narrow the bbox or the "
                     "level, or choose another crs", v->level, v->code, v->name, q->crs->code, why);
            rc = prc == REPROJECT_BAD_POINT ? EXPORT_BAD_REQUEST : EXPORT_FAILED;
            goto done;
        }
    }
    for (size_t i = 0; i < total; i++) {
        xy[2 * i] = x[i];
        xy[2 * i + 1] = y[i];
    }
    export_layer_set_polygons(l, xy, ring_start, g->nparts, g->polys, g->npolys);
done:
    if (export_layer_end(l, err, errlen) < 0 && rc == EXPORT_OK)
        rc = EXPORT_FAILED;
    free(x);
    free(y);
    free(xy);
    free(ring_start);
    return rc;
}

int export_write_features(const struct export_query *q, const struct export_sources *src,
                          const struct selection *sel, struct export_layer *l, char *err, size_t errlen)
{
    bool justice = q->scope->kind != SCOPE_PUBLIC && (q->scope->flags & SCOPE_FLAG_JUSTICE);
    int32_t day = q->filter->day;
    if (q->progress)
        progress_start(q->progress, "rbmap export: features", sel->n);
    int rc = EXPORT_OK;
    for (size_t i = 0; rc == EXPORT_OK && i < sel->n; i++) {
        switch (q->collection) {
        case EXPORT_SITES: {
            const struct site *s = sel->items[i];
            int status = site_status_on(s, day);
            const struct prop_sink *sink = export_layer_begin(l, s->id);
            site_props_emit(sink, src->sites, s, status < 0 ? SITE_UNKNOWN : status, day, justice);
            site_props_emit_details(sink, s, feature_flags(q->scope));
            break;
        }
        case EXPORT_ACTIONS:
            action_props_emit(export_layer_begin(l, 0), sel->items[i], feature_flags(q->scope));
            break;
        case EXPORT_TERRITORIES:
            emit_bubble(export_layer_begin(l, 0), &sel->bubbles[i]);
            break;
        case EXPORT_BOUNDARIES: {
            struct boundary_view v;
            if (!boundary_layer_get(src->boundaries, sel->boundaries[i], &v))
                continue;
            rc = write_boundary(q, l, &v, err, errlen);
            break;
        }
        default:
            break;
        }
        if (q->collection != EXPORT_BOUNDARIES) {
            export_layer_set_point(l, sel->x[i], sel->y[i]);
            if (export_layer_end(l, err, errlen) < 0)
                rc = EXPORT_FAILED;
        }
        if (q->progress && (i + 1) % PROGRESS_STEP == 0)
            progress_update(q->progress, i + 1);
    }
    if (q->progress) {
        progress_update(q->progress, sel->n);
        progress_finish(q->progress);
    }
    return rc;
}
