/* GET /tiles/{layers}.json (TileJSON 3.0.0) and GET /catalog. TileJSON's `tiles` URL
 * carries the request's query string (filters, credential) so a map that loads it gets
 * the same view; `bounds` cover the sites this caller may see with these filters. */
#include "server/base_url.h"
#include "server/context.h"
#include "server/handlers.h"
#include "server/request_filters.h"
#include "server/tiles_common.h"
#include "tiles/cluster_layer.h"
#include "tiles/layer_catalog.h"
#include "tiles/render.h"
#include "util/text.h"
#include "util/url.h"

#include <stdio.h>
#include <string.h>

/* France with its overseas départements, for layers with nothing to bound them. */
static const double france_bounds[4] = {-61.81, -21.39, 55.84, 51.09};

static json_t *layer_fields(const struct tile_layer_def *def, const struct scope *scope)
{
    json_t *fields = json_object();
    for (size_t i = 0; i < def->n_fields; i++) {
        if (def->fields[i].sensitive && !(scope->kind != SCOPE_PUBLIC && (scope->flags & SCOPE_FLAG_JUSTICE)))
            continue;
        json_object_set_new(fields, def->fields[i].name, json_string(field_kind_name(def->fields[i].kind)));
    }
    return fields;
}

/* The clusters layer as configured (cluster_* settings), not as by default: its
 * description names the options, and rbmap:cluster_max_zoom is the last zoom that
 * clusters (deeper tiles show single sites). */
static void describe_clusters(json_t *layer)
{
    int radius, extent, min_points, max_zoom;
    cluster_layer_get_options(&radius, &extent, &min_points, &max_zoom);
    char text[320];
    snprintf(text, sizeof text,
             "sites clustered as supercluster does: radius %d/%d of a tile, at least %d sites, zooms 0 to %d "
             "(single sites deeper); filters and scope applied first",
             radius, extent, min_points, max_zoom);
    json_object_set_new(layer, "description", json_string(text));
    json_object_set_new(layer, "rbmap:cluster_max_zoom", json_integer(max_zoom));
    json_object_set_new(layer, "rbmap:cluster_options",
                        json_pack("{s:i,s:i,s:i,s:i}", "radius", radius, "extent", extent, "min_points", min_points,
                                  "max_zoom", max_zoom));
}

/* minzoom is the snapshot's (tile_layer_minzoom): the sites layer of a dense snapshot
 * starts deeper than the catalog's zoom. */
static json_t *vector_layer(enum tile_layer_id id, int minzoom, const struct scope *scope)
{
    const struct tile_layer_def *def = tile_layer_def(id);
    json_t *layer = json_pack("{s:s,s:s,s:i,s:i,s:o}", "id", def->name, "description", def->description, "minzoom",
                              minzoom, "maxzoom", def->maxzoom, "fields", layer_fields(def, scope));
    if (layer && id == LAYER_CLUSTERS)
        describe_clusters(layer);
    return layer;
}

/* Bounds of the visible, matching sites; France when there are none. */
static json_t *visible_bounds(const struct site_snapshot *snap, const struct site_filter *f,
                              const struct scope *scope, unsigned layers)
{
    double b[4] = {180, 90, -180, -90};
    bool any = false;
    if (layers & (1u << LAYER_SITES | 1u << LAYER_ACTIONS))
        for (size_t i = 0; i < snap->count; i++) {
            const struct site *s = snap->sites[i];
            if (!scope_allows_site(scope, s) || !site_filter_match(f, s))
                continue;
            any = true;
            b[0] = s->lon < b[0] ? s->lon : b[0];
            b[1] = s->lat < b[1] ? s->lat : b[1];
            b[2] = s->lon > b[2] ? s->lon : b[2];
            b[3] = s->lat > b[3] ? s->lat : b[3];
        }
    const double *use = any ? b : france_bounds;
    return json_pack("[f,f,f,f]", use[0], use[1], use[2], use[3]);
}

static void append_query(struct buf *url, const struct request *req)
{
    for (size_t i = 0; i < req->n_params; i++) {
        buf_putc(url, i ? '&' : '?');
        url_encode_component(url, req->params[i].key);
        buf_putc(url, '=');
        url_encode_component(url, req->params[i].value);
    }
}

void handle_tilejson(struct request *req, struct response *res)
{
    const char *rest = req->path + strlen("/tiles/");
    size_t len = strlen(rest) - strlen(".json");
    unsigned layers;
    char err[256];
    if (tile_layers_parse(rest, len, &layers, err, sizeof err) < 0) {
        response_error(res, 400, "%s", err);
        return;
    }
    struct server_ctx *ctx = req->ctx;
    const struct site_snapshot *snap = site_store_acquire(ctx->sites);
    struct site_filter filter;
    if (request_site_filter(req, snap, &filter, res) < 0) {
        site_store_release(ctx->sites, snap);
        return;
    }
    char base[512];
    request_base_url(req, base, sizeof base);
    struct buf url;
    buf_init(&url, 64 * 1024);
    buf_printf(&url, "%s/tiles/%.*s/{z}/{x}/{y}.mvt", base, (int)len, rest);
    append_query(&url, req);
    json_t *vector_layers = json_array();
    int minzoom = TILE_LAYER_MAX_ZOOM, maxzoom = 0;
    for (int i = 0; i < LAYER_COUNT; i++) {
        if (!(layers & (1u << i)))
            continue;
        const struct tile_layer_def *def = tile_layer_def((enum tile_layer_id)i);
        int layer_min = tile_layer_minzoom((enum tile_layer_id)i, snap);
        json_array_append_new(vector_layers, vector_layer((enum tile_layer_id)i, layer_min, &req->scope));
        minzoom = layer_min < minzoom ? layer_min : minzoom;
        maxzoom = def->maxzoom > maxzoom ? def->maxzoom : maxzoom;
    }
    json_t *doc = json_pack("{s:s,s:o,s:[o],s:s,s:i,s:i,s:o,s:o,s:s,s:s}", "tilejson", "3.0.0", "name",
                            json_stringn(rest, len), "tiles", json_string_lossy(url.data), "scheme", "xyz",
                            "minzoom", minzoom, "maxzoom", maxzoom, "bounds",
                            visible_bounds(snap, &filter, &req->scope, layers), "vector_layers", vector_layers,
                            "attribution", "Résorption-bidonvilles; IGN Admin Express; INSEE COG",
                            "description", "rbmap vector tiles");
    if (layers & (1u << LAYER_SITES)) {
        char thinning[160];
        snprintf(thinning, sizeof thinning,
                 "drop-densest-as-needed: at most %d sites per tile, open and most populated sites kept first",
                 TILE_SITES_FEATURE_BUDGET);
        json_object_set_new(doc, "rbmap:sites_thinning", json_string(thinning));
        int sites_min = tile_layer_minzoom(LAYER_SITES, snap);
        if (sites_min > 0) {
            char below[160];
            snprintf(below, sizeof below, "no sites tile below zoom %d (more than %d sites per tile): use the clusters layer there",
                     sites_min, TILE_SITES_FEATURE_BUDGET);
            json_object_set_new(doc, "rbmap:sites_minzoom", json_string(below));
        }
    }
    response_json(res, 200, doc);
    tiles_set_cache_headers(req, res);
    json_decref(doc);
    buf_free(&url);
    site_store_release(ctx->sites, snap);
}

void handle_catalog(struct request *req, struct response *res)
{
    char base[512];
    request_base_url(req, base, sizeof base);
    struct server_ctx *ctx = req->ctx;
    const struct site_snapshot *snap = site_store_acquire(ctx->sites);
    json_t *list = json_array();
    for (int i = 0; i < LAYER_COUNT; i++) {
        const struct tile_layer_def *def = tile_layer_def((enum tile_layer_id)i);
        json_t *layer = vector_layer((enum tile_layer_id)i, tile_layer_minzoom((enum tile_layer_id)i, snap), &req->scope);
        char url[640];
        snprintf(url, sizeof url, "%s/tiles/%s.json", base, def->name);
        json_object_set_new(layer, "tilejson", json_string_lossy(url));
        json_object_set_new(layer, "needs_credentials", json_boolean(def->needs_site_scope));
        json_array_append_new(list, layer);
    }
    site_store_release(ctx->sites, snap);
    json_t *doc = json_pack("{s:o}", "layers", list);
    response_json(res, 200, doc);
    json_decref(doc);
}
