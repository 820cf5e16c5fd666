#include "wms/wms_featureinfo.h"

#include "db/feature_props.h"
#include "geo/rtree.h"
#include "tiles/boundaries.h"
#include "tiles/clip.h"
#include "tiles/cluster_layer.h"
#include "tiles/territory_bubbles.h"
#include "util/text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A candidate under the pixel, before sorting by distance. */
struct hit {
    double dist;
    json_t *feature;
};

struct hits {
    struct hit *items;
    size_t n, cap;
    bool failed;
};

static void hits_add(struct hits *h, double dist, json_t *feature)
{
    if (!feature) {
        h->failed = true;
        return;
    }
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 16;
        struct hit *items = realloc(h->items, cap * sizeof *items);
        if (!items) {
            json_decref(feature);
            h->failed = true;
            return;
        }
        h->items = items;
        h->cap = cap;
    }
    h->items[h->n++] = (struct hit){dist, feature};
}

static int by_distance(const void *a, const void *b)
{
    double da = ((const struct hit *)a)->dist, db = ((const struct hit *)b)->dist;
    return da < db ? -1 : da > db;
}

/* The click: pixel centre, tolerance, lon/lat search box. */
struct click {
    const struct wms_frame *frame;
    double px, py;
    struct rtree_box box; /* lon/lat around the click within `reach` pixels */
};

static bool click_box(const struct wms_frame *f, double px, double py, double reach, struct rtree_box *box)
{
    *box = (struct rtree_box){INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (int k = 0; k < 9; k++) {
        double lon, lat;
        if (!wms_frame_pixel_to_lonlat(f, px + (k % 3 - 1) * reach, py + (k / 3 - 1) * reach, &lon, &lat))
            continue;
        box->minx = fmin(box->minx, lon);
        box->maxx = fmax(box->maxx, lon);
        box->miny = fmin(box->miny, lat);
        box->maxy = fmax(box->maxy, lat);
    }
    if (!(box->minx <= box->maxx))
        return false;
    double m = (box->maxx - box->minx + box->maxy - box->miny) * 0.1 + 1e-9;
    box->minx -= m, box->miny -= m, box->maxx += m, box->maxy += m;
    return true;
}

/* Distance in pixels from the click to a lon/lat point; INFINITY when not projectable. */
static double pixel_distance(const struct click *c, double lon, double lat)
{
    double x = lon, y = lat;
    wms_frame_to_pixels(c->frame, &x, &y, 1);
    return isfinite(x) && isfinite(y) ? hypot(x - c->px, y - c->py) : INFINITY;
}

static void json_sink_string(void *ctx, const char *key, const char *value)
{
    json_object_set_new(ctx, key, json_string_lossy(value));
}
static void json_sink_int(void *ctx, const char *key, int64_t value) { json_object_set_new(ctx, key, json_integer(value)); }
static void json_sink_bool(void *ctx, const char *key, bool value) { json_object_set_new(ctx, key, json_boolean(value)); }

static json_t *feature(json_t *id, double lon, double lat, json_t *props)
{
    json_t *f = json_object();
    if (!f || !props) {
        json_decref(f);
        json_decref(props);
        json_decref(id);
        return NULL;
    }
    json_object_set_new(f, "id", id ? id : json_null());
    if (isfinite(lon)) {
        json_object_set_new(f, "lon", json_real(lon));
        json_object_set_new(f, "lat", json_real(lat));
    }
    json_object_set_new(f, "properties", props);
    return f;
}

static json_t *site_feature(const struct site_snapshot *snap, const struct site *s, const struct site_filter *flt,
                            const struct scope *scope)
{
    json_t *props = json_object();
    struct prop_sink sink = {props, json_sink_string, json_sink_int, json_sink_bool};
    bool justice = (scope->flags & SCOPE_FLAG_JUSTICE) && scope->kind != SCOPE_PUBLIC;
    if (props) {
        site_props_emit(&sink, snap, s, site_status_on(s, flt->day), flt->day, justice);
        site_props_emit_details(&sink, s, feature_flags(scope));
    }
    return feature(json_integer(s->id), s->lon, s->lat, props);
}

static void query_sites(const struct click *c, double tol, const struct wms_sources *src, const struct site_filter *f,
                        const struct scope *scope, struct hits *h)
{
    if (scope->kind == SCOPE_PUBLIC || !src->sites->index)
        return;
    struct rtree_results found = {0};
    if (!rtree_search_collect(src->sites->index, &c->box, &found))
        h->failed = true;
    for (size_t i = 0; i < found.len; i++) {
        const struct site *s = src->sites->sites[found.items[i]];
        if (!scope_allows_site(scope, s) || !site_filter_match(f, s) || site_status_on(s, f->day) < 0)
            continue;
        double d = pixel_distance(c, s->lon, s->lat);
        if (d <= tol)
            hits_add(h, d, site_feature(src->sites, s, f, scope));
    }
    rtree_results_free(&found);
}

static void query_actions(const struct click *c, double tol, const struct wms_sources *src,
                          const struct site_filter *f, const struct scope *scope, struct hits *h)
{
    const struct action_snapshot *a = src->actions;
    if (scope->kind == SCOPE_PUBLIC || !a)
        return;
    for (size_t i = 0; i < a->count; i++) {
        const struct action_point *p = &a->points[i];
        if (p->lon < c->box.minx || p->lon > c->box.maxx || p->lat < c->box.miny || p->lat > c->box.maxy ||
            !scope_allows_action(scope, p) || !action_point_match(f, p))
            continue;
        double d = pixel_distance(c, p->lon, p->lat);
        if (d > tol)
            continue;
        json_t *props = json_object();
        struct prop_sink sink = {props, json_sink_string, json_sink_int, json_sink_bool};
        if (props)
            action_props_emit(&sink, p, feature_flags(scope));
        hits_add(h, d, feature(json_integer(p->action_id), p->lon, p->lat, props));
    }
}

static void query_clusters(const struct click *c, const struct wms_draw *d, struct hits *h)
{
    const struct style_def *st = d->style;
    if (d->scope->kind == SCOPE_PUBLIC)
        return;
    char err[128];
    const struct cluster_view *v = cluster_view_acquire(d->src->sites, d->filter, d->scope, err, sizeof err);
    if (!v) {
        h->failed = *err != 0;
        return;
    }
    double bbox[4] = {fmax(c->box.minx, -180), fmax(c->box.miny, -90), fmin(c->box.maxx, 180), fmin(c->box.maxy, 90)};
    struct u32vec refs = {0};
    if (!cluster_index_get_clusters(v->idx, bbox, wms_style_zoom(c->frame), &refs))
        h->failed = true;
    for (size_t i = 0; i < refs.len; i++) {
        uint32_t ref = refs.items[i];
        if (cluster_ref_is_point(v->idx, ref)) {
            const struct site *s = cluster_view_site(v, d->src->sites, ref);
            double dist = pixel_distance(c, s->lon, s->lat);
            if (dist <= st->site_radius_px + st->site_stroke_px + WMS_INFO_TOLERANCE_PX)
                hits_add(h, dist, site_feature(d->src->sites, s, d->filter, d->scope));
            continue;
        }
        struct cluster_info info;
        cluster_index_info(v->idx, ref, &info);
        double dist = pixel_distance(c, info.lon, info.lat);
        if (dist > style_step_radius(st->cluster_steps, st->n_cluster_steps, info.count) + WMS_INFO_TOLERANCE_PX)
            continue;
        json_t *props = json_pack("{s:b,s:I,s:I}", "cluster", 1, "cluster_id", (json_int_t)info.id, "point_count",
                                  (json_int_t)info.count);
        hits_add(h, dist, feature(json_integer(info.id), info.lon, info.lat, props));
    }
    free(refs.items);
    cluster_view_release(v);
}

struct bubble_query {
    const struct click *c;
    const struct style_def *st;
    struct hits *h;
};

static bool visit_bubble(const struct territory_bubble *b, void *arg)
{
    struct bubble_query *q = arg;
    if (b->lon < q->c->box.minx - 1 || b->lon > q->c->box.maxx + 1 || b->lat < q->c->box.miny - 1 ||
        b->lat > q->c->box.maxy + 1)
        return true;
    double dist = pixel_distance(q->c, b->lon, b->lat);
    if (dist > style_step_radius(q->st->bubble_steps, q->st->n_bubble_steps, b->sites) + WMS_INFO_TOLERANCE_PX)
        return true;
    static const char *const levels[] = {"region", "departement", "city"};
    json_t *props = json_pack("{s:s,s:s,s:s?,s:I}", "level", levels[b->level], "code", b->code, "name", b->name,
                              "sites", (json_int_t)b->sites);
    if (props && b->population_shown)
        json_object_set_new(props, "population", json_integer(b->population));
    if (props && b->split_shown) {
        json_object_set_new(props, "status_open", json_integer(b->open));
        json_object_set_new(props, "status_closed", json_integer(b->closed));
    }
    hits_add(q->h, dist, feature(json_string(b->code), b->lon, b->lat, props));
    return !q->h->failed;
}

static void query_territories(const struct click *c, const struct wms_draw *d, struct hits *h)
{
    int level = territory_bubble_level(wms_style_zoom(c->frame), d->scope);
    if (level < 0 || !d->src->territories)
        return;
    struct bubble_query q = {c, d->style, h};
    if (territory_bubbles_visit(d->src->sites, d->src->territories, d->filter, d->scope, level, visit_bubble, &q) < 0)
        h->failed = true;
}

#include "wms/wms_featureinfo_boundaries.inc"

static void query_layer(const struct click *c, const struct wms_draw *d, const struct wms_layer *l, struct hits *h)
{
    const struct style_def *st = d->style;
    switch (l->kind) {
    case WMS_LAYER_SITES:
        query_sites(c, st->site_radius_px + st->site_stroke_px + WMS_INFO_TOLERANCE_PX, d->src, d->filter, d->scope, h);
        break;
    case WMS_LAYER_ACTIONS:
        query_actions(c, st->action_size_px / 2 + WMS_INFO_TOLERANCE_PX, d->src, d->filter, d->scope, h);
        break;
    case WMS_LAYER_CLUSTERS:
        query_clusters(c, d, h);
        break;
    case WMS_LAYER_TERRITORIES:
        query_territories(c, d, h);
        break;
    case WMS_LAYER_BOUNDARIES:
        query_boundaries(c, d, l->boundary_level, h);
        break;
    }
}

void wms_feature_info(const struct wms_info_request *q, const struct wms_sources *src, const struct site_filter *f,
                      const struct scope *scope, struct response *res)
{
    struct wms_frame frame;
    wms_frame_init(&frame, q->map.crs, q->map.bbox, q->map.width, q->map.height);
    struct wms_info_layer layers[WMS_MAX_LAYERS];
    size_t n = 0;
    bool failed = false;
    double reach = 50; /* pixels: the largest bubble plus tolerance */
    struct click c = {&frame, q->i + 0.5, q->j + 0.5, {0, 0, 0, 0}};
    bool located = frame.has_lonlat && click_box(&frame, c.px, c.py, reach, &c.box);
    for (size_t k = 0; k < q->n_query_layers; k++) {
        const struct wms_layer *l = q->query_layers[k];
        const struct style_def *st = style_default();
        for (size_t m = 0; m < q->map.n_layers; m++)
            if (q->map.layers[m] == l)
                st = q->map.styles[m];
        struct wms_draw d = {NULL, &frame, st, f, scope, src};
        struct hits h = {0};
        if (located)
            query_layer(&c, &d, l, &h);
        failed |= h.failed;
        if (h.n)
            qsort(h.items, h.n, sizeof *h.items, by_distance);
        json_t *list = json_array();
        for (size_t i = 0; i < h.n; i++) {
            if (list && i < (size_t)q->feature_count)
                json_array_append(list, h.items[i].feature);
            json_decref(h.items[i].feature);
        }
        free(h.items);
        if (!list)
            failed = true;
        layers[n++] = (struct wms_info_layer){l->name, list};
    }
    long long returned = 0; /* for the audit log */
    for (size_t k = 0; k < n; k++)
        returned += layers[k].features ? (long long)json_array_size(layers[k].features) : 0;
    if (!failed) {
        res->features = returned;
        static const char *const types[] = {"text/html; charset=UTF-8", "application/json",
                                            "application/vnd.ogc.gml; charset=UTF-8", "text/plain; charset=UTF-8"};
        wms_info_write(&res->body, q->info_format, layers, n);
        response_set_type(res, types[q->info_format]);
        res->status = res->body.overflow ? 503 : 200;
    } else
        response_error(res, 503, "feature info could not be computed (out of memory)");
    for (size_t k = 0; k < n; k++)
        json_decref(layers[k].features);
}
