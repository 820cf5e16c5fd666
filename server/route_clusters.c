/* Cluster navigation and GeoJSON, with supercluster's semantics (tiles/cluster_index.h):
 *   GET /clusters/{layer}.geojson?bbox=W,S,E,N&zoom=Z     getClusters
 *   GET /clusters/{layer}/{cluster_id}/children           getChildren
 *   GET /clusters/{layer}/{cluster_id}/leaves?limit=&offset=   getLeaves (limit 10 by default)
 *   GET /clusters/{layer}/{cluster_id}/expansion-zoom     getClusterExpansionZoom
 * {layer} is `sites`. The request's filters and scope choose the index, as for the
 * clusters tile layer, so an id taken from a tile fetched with other filters or other
 * credentials is unknown here (404), never a window onto sites the caller may not see.
 * The public scope sees no site position: 403. */
#include "server/context.h"
#include "server/handlers.h"
#include "server/request_filters.h"
#include "server/tiles_common.h"
#include "tiles/cluster_layer.h"
#include "tiles/layer_catalog.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEAVES_MAX_LIMIT 10000
#define LEAVES_MAX_OFFSET 10000000
#define GEOJSON_MAX_FEATURES 50000
#define GEOJSON_MAX_ZOOM TILE_LAYER_MAX_ZOOM

static void set_date(json_t *o, const char *key, int32_t day)
{
    if (day == DAY_NONE)
        return;
    char text[11];
    day_to_iso(day, text);
    json_object_set_new(o, key, json_string(text));
}

static void set_tristate(json_t *o, const char *key, int8_t v)
{
    if (v >= 0)
        json_object_set_new(o, key, json_boolean(v == 1));
}

/* The properties the sites layer gives a site (tiles/render.c encode_site). */
static json_t *site_properties(const struct site_snapshot *snap, const struct site *s, const struct request *req,
                               int32_t day)
{
    json_t *p = json_object();
    int status = site_status_on(s, day);
    json_object_set_new(p, "id", json_integer(s->id));
    if (*s->name)
        json_object_set_new(p, "name", json_string(s->name));
    json_object_set_new(p, "status", json_string(site_status_name((enum site_status)(status < 0 ? SITE_UNKNOWN : status))));
    json_object_set_new(p, "resorbed", json_boolean(status != SITE_OPEN && s->closed_with_solutions == 1));
    const struct field_type *ft = site_snapshot_field_type(snap, s->field_type_id);
    if (ft) {
        char color[9];
        snprintf(color, sizeof color, "#%.6s", ft->color);
        json_object_set_new(p, "field_type", json_string(ft->label));
        json_object_set_new(p, "color", json_string(color));
    }
    json_object_set_new(p, "field_type_id", json_integer(s->field_type_id));
    if (s->population >= 0)
        json_object_set_new(p, "population", json_integer(s->population));
    json_object_set_new(p, "water", json_string(water_status_name((enum water_status)s->water)));
    set_date(p, "built_at", s->built_day);
    set_date(p, "declared_at", s->declared_day);
    if (status != SITE_OPEN && (day == DAY_NONE || s->closed_day <= day))
        set_date(p, "closed_at", s->closed_day);
    json_object_set_new(p, "city_code", json_string(s->city_code));
    json_object_set_new(p, "city_name", json_string(s->city_name));
    json_object_set_new(p, "departement", json_string(s->departement_code));
    if (req->scope.kind != SCOPE_PUBLIC && (req->scope.flags & SCOPE_FLAG_JUSTICE)) {
        static const char *const police[] = {"none", "requested", "granted"};
        const struct site_justice *j = &s->justice;
        set_tristate(p, "owner_complaint", j->owner_complaint);
        set_tristate(p, "justice_procedure", j->justice_procedure);
        set_tristate(p, "justice_rendered", j->justice_rendered);
        set_date(p, "justice_rendered_at", j->justice_rendered_day);
        if (j->police_status >= 0 && j->police_status <= 2)
            json_object_set_new(p, "police_status", json_string(police[j->police_status]));
        set_date(p, "police_requested_at", j->police_requested_day);
        set_date(p, "police_granted_at", j->police_granted_day);
        if (j->bailiff && *j->bailiff)
            json_object_set_new(p, "bailiff", json_string(j->bailiff));
        set_tristate(p, "existing_litigation", j->existing_litigation);
        set_tristate(p, "evacuation_under_time_limit", j->evacuation_under_time_limit);
        set_tristate(p, "insalubrity_order", j->insalubrity_order);
        set_date(p, "administrative_order_evacuation_at", j->administrative_order_evacuation_day);
    }
    return p;
}

static json_t *point(double lon, double lat)
{
    return json_pack("{s:s,s:[f,f]}", "type", "Point", "coordinates", lon, lat);
}

/* A ref of the view's index as a GeoJSON feature: a cluster, or the site itself. */
static json_t *feature(const struct cluster_view *v, const struct site_snapshot *snap, uint32_t ref,
                       const struct request *req, int32_t day)
{
    if (cluster_ref_is_point(v->idx, ref)) {
        const struct site *s = cluster_view_site(v, snap, ref);
        return json_pack("{s:s,s:i,s:o,s:o}", "type", "Feature", "id", s->id, "properties",
                         site_properties(snap, s, req, day), "geometry", point(s->lon, s->lat));
    }
    struct cluster_info ci;
    cluster_index_info(v->idx, ref, &ci);
    char abbrev[16];
    json_t *p = json_pack("{s:b,s:I,s:I,s:o,s:I}", "cluster", 1, "cluster_id", (json_int_t)ci.id, "point_count",
                          (json_int_t)ci.count, "point_count_abbreviated",
                          cluster_abbreviate(ci.count, abbrev) ? json_string(abbrev) : json_integer(ci.count),
                          "population", (json_int_t)ci.weight);
    char key[48];
    for (int s = 0; s < CLUSTER_STATUS_SLOTS; s++) {
        snprintf(key, sizeof key, "status_%s", site_status_name((enum site_status)s));
        json_object_set_new(p, key, json_integer(ci.counters[s]));
    }
    for (size_t k = 0; k < v->n_field_types; k++) {
        snprintf(key, sizeof key, "field_type_%d", (int)v->field_type_ids[k]);
        json_object_set_new(p, key, json_integer(ci.counters[CLUSTER_STATUS_SLOTS + k]));
    }
    return json_pack("{s:s,s:I,s:o,s:o}", "type", "Feature", "id", (json_int_t)ci.id, "properties", p, "geometry",
                     point(ci.lon, ci.lat));
}

static void send_collection(struct request *req, struct response *res, const struct cluster_view *v,
                            const struct site_snapshot *snap, const uint32_t *refs, size_t n, int32_t day)
{
    json_t *features = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(features, feature(v, snap, refs[i], req, day));
    json_t *doc = json_pack("{s:s,s:o,s:I}", "type", "FeatureCollection", "features", features, "numberReturned",
                            (json_int_t)n);
    response_json(res, 200, doc);
    res->features = (long long)n; /* for the audit log */
    response_set_type(res, "application/geo+json");
    tiles_set_cache_headers(req, res);
    json_decref(doc);
}

/* A non-negative integer parameter in [0, max]; def when absent. -1 after a 400. */
static long long int_param(const struct request *req, struct response *res, const char *name, long long def,
                           long long min, long long max)
{
    const char *text = request_param(req, name);
    if (!text)
        return def;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (!*text || *end || errno || v < min || v > max) {
        response_error(res, 400, "%s must be an integer from %lld to %lld", name, min, max);
        return -1;
    }
    return v;
}

static void get_clusters(struct request *req, struct response *res, const struct cluster_view *v,
                         const struct site_snapshot *snap, int32_t day)
{
    const char *bbox = request_param(req, "bbox"), *zoom_text = request_param(req, "zoom");
    double b[4];
    int used = 0;
    if (!bbox || sscanf(bbox, "%lf,%lf,%lf,%lf%n", &b[0], &b[1], &b[2], &b[3], &used) != 4 || bbox[used] ||
        !isfinite(b[0] + b[1] + b[2] + b[3]) || b[1] > b[3] || b[0] < -360 || b[2] > 360 || b[1] < -90 || b[3] > 90) {
        response_error(res, 400, "bbox must be minlon,minlat,maxlon,maxlat in degrees (minlat <= maxlat, within "
                                 "-90..90; minlon > maxlon crosses the antimeridian)");
        return;
    }
    long long zoom = zoom_text ? int_param(req, res, "zoom", 0, 0, GEOJSON_MAX_ZOOM) : -2;
    if (zoom == -2)
        response_error(res, 400, "zoom is required (0 to %d)", GEOJSON_MAX_ZOOM);
    if (zoom < 0)
        return;
    struct u32vec refs = {0};
    if (!cluster_index_get_clusters(v->idx, b, (double)zoom, &refs))
        response_error(res, 503, "out of memory");
    else if (refs.len > GEOJSON_MAX_FEATURES)
        response_error(res, 400, "bbox at zoom %lld holds %zu features, more than %d: zoom out or shrink bbox", zoom,
                       refs.len, GEOJSON_MAX_FEATURES);
    else
        send_collection(req, res, v, snap, refs.items, refs.len, day);
    free(refs.items);
}

static void cluster_request(struct request *req, struct response *res, const struct cluster_view *v,
                            const struct site_snapshot *snap, const char *id_text, const char *what, int32_t day)
{
    char *end;
    errno = 0;
    unsigned long long id = strtoull(id_text, &end, 10);
    if (*id_text < '0' || *id_text > '9' || end == id_text || *end != '/' || errno || id > UINT32_MAX) {
        response_error(res, 400, "cluster id must be a non-negative integer (a cluster_id from the clusters layer)");
        return;
    }
    uint32_t ref;
    if (!cluster_index_find(v->idx, id, &ref)) {
        response_error(res, 404, "no cluster %llu in layer sites for these filters and this scope: cluster ids "
                                 "depend on the data, the filters and the credentials they were read with", id);
        return;
    }
    if (!strcmp(what, "expansion-zoom")) {
        json_t *doc = json_pack("{s:I,s:i}", "cluster_id", (json_int_t)id, "expansion_zoom",
                                cluster_index_expansion_zoom(v->idx, id));
        response_json(res, 200, doc);
        tiles_set_cache_headers(req, res);
        json_decref(doc);
    } else if (!strcmp(what, "children")) {
        const uint32_t *refs;
        size_t n;
        cluster_index_children(v->idx, id, &refs, &n);
        send_collection(req, res, v, snap, refs, n, day);
    } else if (!strcmp(what, "leaves")) {
        long long limit = int_param(req, res, "limit", 10, 1, LEAVES_MAX_LIMIT);
        long long offset = limit < 0 ? -1 : int_param(req, res, "offset", 0, 0, LEAVES_MAX_OFFSET);
        struct u32vec leaves = {0};
        if (offset < 0)
            return;
        if (!cluster_index_leaves(v->idx, id, (size_t)limit, (size_t)offset, &leaves))
            response_error(res, 503, "out of memory");
        else
            send_collection(req, res, v, snap, leaves.items, leaves.len, day);
        free(leaves.items);
    } else {
        response_error(res, 404, "unknown cluster resource '%.40s' (children, leaves, expansion-zoom)", what);
    }
}

void handle_clusters(struct request *req, struct response *res)
{
    const char *rest = req->path + strlen("/clusters/");
    size_t layer_len = strcspn(rest, "/.");
    if (layer_len != 5 || strncmp(rest, "sites", 5)) {
        response_error(res, 404, "unknown clustered layer '%.*s' (sites)", (int)(layer_len > 40 ? 40 : layer_len),
                       rest);
        return;
    }
    const char *tail = rest + layer_len;
    const char *what = NULL;
    if (strcmp(tail, ".geojson")) {
        what = *tail == '/' ? strchr(tail + 1, '/') : NULL;
        if (!what || !what[1] || strchr(what + 1, '/')) {
            response_error(res, 404, "expected /clusters/sites.geojson or /clusters/sites/{cluster_id}/"
                                     "(children|leaves|expansion-zoom)");
            return;
        }
    }
    if (req->scope.kind == SCOPE_PUBLIC) {
        response_error(res, 403, "clusters show site positions: they need credentials (a token or an API key)");
        return;
    }
    struct server_ctx *ctx = req->ctx;
    const struct site_snapshot *snap = site_store_acquire(ctx->sites);
    struct site_filter filter;
    if (request_site_filter(req, snap, &filter, res) == 0) {
        char err[160];
        const struct cluster_view *v = cluster_view_acquire(snap, &filter, &req->scope, err, sizeof err);
        if (!v)
            response_error(res, 503, "%s", *err ? err : "clusters unavailable");
        else if (!what)
            get_clusters(req, res, v, snap, filter.day);
        else
            cluster_request(req, res, v, snap, tail + 1, what + 1, filter.day);
        cluster_view_release(v);
    }
    site_store_release(ctx->sites, snap);
}
