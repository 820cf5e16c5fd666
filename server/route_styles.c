/* GET /styles/{name}.json (MapLibre style), /styles/{name}/legend.json,
 * /styles/{name}/legend.png and /styles/glyphs/{fontstack}/{range}.pbf (the glyphs the
 * style's text layers use, embedded at build time). The style carries the caller's
 * filters and credential into its TileJSON URL; TileJSON carries them into tile URLs. */
#include "server/base_url.h"
#include "server/config.h"
#include "server/context.h"
#include "server/handlers.h"
#include "server/request_filters.h"
#include "server/static_assets.h"
#include "styles/legend.h"
#include "styles/legend_json.h"
#include "styles/maplibre.h"
#include "util/url.h"
#include "wms/image_encode.h"
#include "wms/wms_cleanup.h"

#include <cairo.h>

#include <stdio.h>
#include <string.h>

/* The query parameters a style carries on to its tiles: the filters and the credential. */
static const char *const carried_params[] = {"status", "territory", "field_type", "date", "access_token"};

static void carried_query(const struct request *req, struct buf *out)
{
    for (size_t i = 0; i < req->n_params; i++)
        for (size_t k = 0; k < sizeof carried_params / sizeof carried_params[0]; k++)
            if (!strcmp(req->params[i].key, carried_params[k])) {
                if (out->len)
                    buf_putc(out, '&');
                url_encode_component(out, req->params[i].key);
                buf_putc(out, '=');
                url_encode_component(out, req->params[i].value);
            }
}

static bool have_glyphs(void)
{
    char path[128];
    snprintf(path, sizeof path, "glyphs/%s/0-255.pbf", MAPLIBRE_FONT);
    return static_asset_find(path) != NULL;
}

static void send_style(struct request *req, struct response *res, const struct style_def *def)
{
    struct server_ctx *ctx = req->ctx;
    const struct site_snapshot *snap = site_store_acquire(ctx->sites);
    struct site_filter filter;
    int bad = request_site_filter(req, snap, &filter, res);
    site_store_release(ctx->sites, snap);
    if (bad < 0)
        return;
    const char *agg = request_param(req, "aggregation");
    enum style_aggregation aggregation =
        req->scope.kind == SCOPE_PUBLIC ? STYLE_AGGREGATE_TERRITORIES : STYLE_AGGREGATE_CLUSTERS;
    if (agg && !strcmp(agg, "territories"))
        aggregation = STYLE_AGGREGATE_TERRITORIES;
    else if (agg && !strcmp(agg, "clusters"))
        aggregation = STYLE_AGGREGATE_CLUSTERS;
    else if (agg) {
        response_error(res, 400, "aggregation: expected clusters or territories");
        return;
    }
    char base[512];
    request_base_url(req, base, sizeof base);
    struct buf query;
    buf_init(&query, 16 * 1024);
    carried_query(req, &query);
    if (query.overflow) {
        buf_free(&query);
        response_error(res, 400, "query string too long to carry into the style");
        return;
    }
    struct maplibre_style_opts opts = {.base_url = base,
                                       .query = query.data ? query.data : "",
                                       .raster_url = ctx->cfg->raster_base_url,
                                       .raster_attribution = ctx->cfg->raster_base_attribution,
                                       .with_text = have_glyphs(),
                                       .aggregation = aggregation};
    json_t *doc = maplibre_style(def, &opts);
    buf_free(&query);
    if (!doc) {
        response_error(res, 500, "out of memory");
        return;
    }
    response_json(res, 200, doc);
    /* The URLs inside carry the credential: never a shared cache. */
    response_set_header(res, "Cache-Control", req->scope.kind == SCOPE_PUBLIC ? "public, max-age=60" : "private, no-store");
    json_decref(doc);
}

static void send_legend_json(struct request *req, struct response *res, const struct style_def *def)
{
    struct server_ctx *ctx = req->ctx;
    const struct site_snapshot *snap = site_store_acquire(ctx->sites);
    json_t *doc = style_legend_json(def, snap->field_types, snap->n_field_types);
    site_store_release(ctx->sites, snap);
    response_json(res, 200, doc);
    json_decref(doc);
}

/* Every layer's legend (styles/legend.h, the WMS GetLegendGraphic drawings) stacked
 * on a white sheet: sites, actions, clusters, territories, boundaries. */
static void send_legend_png(struct request *req, struct response *res, const struct style_def *def)
{
    static const enum legend_layer order[] = {LEGEND_SITES, LEGEND_ACTIONS, LEGEND_CLUSTERS, LEGEND_TERRITORIES,
                                              LEGEND_BOUNDARIES};
    enum { N = sizeof order / sizeof order[0], GAP = 8 };
    wms_cleanup_register(); /* cairo's and fontconfig's caches freed at exit */
    struct server_ctx *ctx = req->ctx;
    const struct site_snapshot *snap = site_store_acquire(ctx->sites);
    struct legend_input in[N];
    int width = 0, height = GAP, w, h;
    for (size_t i = 0; i < N; i++) {
        in[i] = (struct legend_input){def, order[i], snap->field_types, snap->n_field_types};
        legend_size(&in[i], &w, &h);
        width = w > width ? w : width;
        height += h + GAP;
    }
    cairo_surface_t *sheet = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width + 2 * GAP, height);
    cairo_t *cr = cairo_create(sheet);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    double y = GAP;
    bool ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS;
    for (size_t i = 0; ok && i < N; i++) {
        cairo_surface_t *part = legend_render(&in[i]);
        if (!part) {
            ok = false;
            break;
        }
        cairo_set_source_surface(cr, part, GAP, y);
        cairo_paint(cr);
        y += cairo_image_surface_get_height(part) + GAP;
        cairo_surface_destroy(part);
    }
    site_store_release(ctx->sites, snap);
    cairo_destroy(cr);
    cairo_surface_flush(sheet);
    buf_reset(&res->body);
    if (ok && image_encode_png(sheet, false, &res->body)) {
        res->status = 200;
        response_set_type(res, "image/png");
        response_set_header(res, "Cache-Control", "public, max-age=300");
    } else {
        response_error(res, 500, "legend could not be drawn");
    }
    cairo_surface_destroy(sheet);
}

/* An empty glyphs message: valid PBF for a range the font does not cover, so that
 * MapLibre draws nothing there instead of logging a failed request. */
static void send_glyphs(struct request *req, struct response *res, const char *rest)
{
    char path[256];
    if (snprintf(path, sizeof path, "glyphs/%s", rest) >= (int)sizeof path) {
        response_error(res, 404, "no such glyphs");
        return;
    }
    const struct static_asset *a = static_asset_find(path);
    if (a) {
        static_asset_send(req, res, a, "public, max-age=86400");
        return;
    }
    const char *slash = strchr(rest, '/');
    unsigned lo, hi;
    char tail[8];
    if (!slash || (size_t)(slash - rest) != strlen(MAPLIBRE_FONT) || strncmp(rest, MAPLIBRE_FONT, strlen(MAPLIBRE_FONT)) ||
        sscanf(slash + 1, "%u-%u%7s", &lo, &hi, tail) != 3 || strcmp(tail, ".pbf") || hi < lo || hi > 65535 ||
        lo % 256 || hi != lo + 255) {
        response_error(res, 404, "no such glyphs: fonts are \"%s\", ranges N-N+255.pbf", MAPLIBRE_FONT);
        return;
    }
    res->status = 200;
    response_set_type(res, "application/x-protobuf");
    response_set_header(res, "Cache-Control", "public, max-age=86400");
    buf_reset(&res->body);
}

void handle_styles(struct request *req, struct response *res)
{
    const char *rest = req->path + strlen("/styles/");
    if (!strncmp(rest, "glyphs/", 7)) {
        send_glyphs(req, res, rest + 7);
        return;
    }
    char name[64];
    size_t n = strcspn(rest, "/.");
    if (n == 0 || n >= sizeof name) {
        response_error(res, 404, "no such style");
        return;
    }
    memcpy(name, rest, n);
    name[n] = '\0';
    const struct style_def *def = style_lookup(name);
    if (!def) {
        response_error(res, 404, "no such style: %s (styles: light, high-contrast)", name);
        return;
    }
    const char *what = rest + n;
    if (!strcmp(what, ".json"))
        send_style(req, res, def);
    else if (!strcmp(what, "/legend.json"))
        send_legend_json(req, res, def);
    else if (!strcmp(what, "/legend.png"))
        send_legend_png(req, res, def);
    else
        response_error(res, 404, "no such resource under /styles/%s", name);
}
