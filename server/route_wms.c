/* GET /wms: WMS 1.1.1 and 1.3.0 (GetCapabilities, GetMap, GetFeatureInfo,
 * GetLegendGraphic) rendered from memory with cairo, for the caller's scope, with the
 * DESIGN.md filters (status, territory, field_type, date) as vendor parameters. */
#include "server/base_url.h"
#include "server/context.h"
#include "server/handlers.h"
#include "server/tiles_common.h"
#include "styles/legend.h"
#include "wms/image_encode.h"
#include "wms/wms_capabilities.h"
#include "wms/wms_cleanup.h"
#include "wms/wms_exception.h"
#include "wms/wms_extent.h"
#include "wms/wms_featureinfo.h"
#include "wms/wms_render.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Size and format of an exception image, read on their own so that an error in any
 * other parameter can still be answered as the image the client waits for. */
static void exception_image(const struct request *req, const struct config *cfg, struct wms_exception_image *img)
{
    memset(img, 0, sizeof *img);
    const char *w = request_param_ci(req, "WIDTH"), *h = request_param_ci(req, "HEIGHT");
    const char *f = request_param_ci(req, "FORMAT");
    char *end;
    long lw = w ? strtol(w, &end, 10) : 0;
    if (!w || *end || lw < 1 || lw > cfg->wms_max_width)
        return;
    long lh = h ? strtol(h, &end, 10) : 0;
    if (!h || *end || lh < 1 || lh > cfg->wms_max_height)
        return;
    img->width = (int)lw;
    img->height = (int)lh;
    img->format = f && (!strcasecmp(f, "image/jpeg") || !strcasecmp(f, "image/jpg")) ? WMS_FORMAT_JPEG : WMS_FORMAT_PNG;
    wms_parse_background(req, &img->transparent, &img->bgcolor);
}

static void send_error(struct request *req, struct response *res, enum wms_version v, enum wms_exceptions how,
                       const struct wms_error *e)
{
    struct wms_exception_image img;
    exception_image(req, req->ctx->cfg, &img);
    wms_exception_send(res, v, how, &img, e);
}

/* The DESIGN.md filters; keys case-insensitive like every WMS key. */
static int read_filters(const struct request *req, const struct site_snapshot *snap, struct site_filter *f,
                        struct wms_error *e)
{
    site_filter_init(f);
    static const char *const keys[] = {"status", "territory", "field_type", "date"};
    int (*const parsers[])(struct site_filter *, const char *, char *, size_t) = {
        site_filter_parse_status, site_filter_parse_territory, site_filter_parse_field_type, site_filter_parse_date};
    for (int i = 0; i < 4; i++)
        if (parsers[i](f, request_param_ci(req, keys[i]), e->message, sizeof e->message) < 0) {
            e->code = NULL;
            e->locator = keys[i];
            return -1;
        }
    if (site_filter_resolve(f, snap, e->message, sizeof e->message) < 0) {
        e->code = NULL;
        e->locator = "field_type";
        return -1;
    }
    return 0;
}

static void acquire_sources(struct server_ctx *ctx, struct wms_sources *src)
{
    *src = (struct wms_sources){.sites = site_store_acquire(ctx->sites), .actions = action_store_acquire(ctx->actions),
                                .boundaries = atomic_load(&ctx->boundaries),
                                .territories = atomic_load(&ctx->territories)};
}

static void release_sources(struct server_ctx *ctx, struct wms_sources *src)
{
    action_store_release(src->actions);
    site_store_release(ctx->sites, src->sites);
}

static void get_capabilities(struct request *req, struct response *res)
{
    struct server_ctx *ctx = req->ctx;
    char base[512];
    request_base_url(req, base, sizeof base);
    struct wms_sources src;
    acquire_sources(ctx, &src);
    struct wms_extent extents[WMS_LAYER_COUNT];
    wms_layer_extents(&src, &req->scope, extents);
    struct wms_capabilities_input in = {.version = wms_negotiate_version(req), .base_url = base,
                                        .max_width = ctx->cfg->wms_max_width, .max_height = ctx->cfg->wms_max_height,
                                        .types = src.sites->field_types, .n_types = src.sites->n_field_types,
                                        .update_sequence = (unsigned long long)src.sites->version,
                                        .extents = extents};
    wms_capabilities_write(&res->body, &in);
    release_sources(ctx, &src);
    res->status = 200;
    response_set_type(res, in.version == WMS_1_3_0 ? "text/xml; charset=UTF-8"
                                                   : "application/vnd.ogc.wms_xml; charset=UTF-8");
}

static void render_map(struct request *req, struct response *res, const struct wms_map_request *m,
                       const struct wms_sources *src, const struct site_filter *filter)
{
    /* WIDTH and HEIGHT are bounded by wms_max_width/height (4096 x 4096 = 64 MiB). */
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, m->width, m->height);
    cairo_t *cr = cairo_create(surface);
    bool alpha = m->transparent && m->format == WMS_FORMAT_PNG;
    if (!alpha) {
        cairo_set_source_rgb(cr, ((m->bgcolor >> 16) & 0xff) / 255.0, ((m->bgcolor >> 8) & 0xff) / 255.0,
                             (m->bgcolor & 0xff) / 255.0);
        cairo_paint(cr);
    }
    struct wms_frame frame;
    wms_frame_init(&frame, m->crs, m->bbox, m->width, m->height);
    int rc = cairo_status(cr) == CAIRO_STATUS_SUCCESS ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < m->n_layers; i++) {
        struct wms_draw d = {cr, &frame, m->styles[i], filter, &req->scope, src};
        rc = wms_draw_layer(&d, m->layers[i]);
    }
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        rc = -1;
    cairo_destroy(cr);
    if (rc == 0)
        rc = (m->format == WMS_FORMAT_PNG ? image_encode_png(surface, alpha, &res->body)
                                          : image_encode_jpeg(surface, &res->body))
                 ? 0
                 : -1;
    cairo_surface_destroy(surface);
    if (rc < 0) {
        buf_reset(&res->body);
        response_error(res, 503, "the map could not be rendered (out of memory)");
        return;
    }
    res->status = 200;
    response_set_type(res, m->format == WMS_FORMAT_PNG ? "image/png" : "image/jpeg");
    tiles_set_cache_headers(req, res);
}

static void get_map(struct request *req, struct response *res, bool info)
{
    struct server_ctx *ctx = req->ctx;
    struct wms_error e = {0};
    struct wms_info_request q;
    int rc = info ? wms_parse_info(req, ctx->cfg->wms_max_width, ctx->cfg->wms_max_height, &q, &e)
                  : wms_parse_map(req, ctx->cfg->wms_max_width, ctx->cfg->wms_max_height, &q.map, &e);
    enum wms_version v = rc == 0 ? q.map.version : wms_negotiate_version(req);
    enum wms_exceptions how = info ? WMS_EXC_XML : wms_parse_exceptions(req);
    if (rc < 0) {
        send_error(req, res, v, how, &e);
        return;
    }
    struct wms_sources src;
    acquire_sources(ctx, &src);
    struct site_filter filter;
    if (read_filters(req, src.sites, &filter, &e) < 0)
        send_error(req, res, v, how, &e);
    else if (info)
        wms_feature_info(&q, &src, &filter, &req->scope, res);
    else
        render_map(req, res, &q.map, &src, &filter);
    release_sources(ctx, &src);
}

static void get_legend(struct request *req, struct response *res)
{
    struct server_ctx *ctx = req->ctx;
    enum wms_version v = wms_negotiate_version(req);
    struct wms_error e = {0};
    const char *name = request_param_ci(req, "LAYER"), *style = request_param_ci(req, "STYLE");
    const char *format = request_param_ci(req, "FORMAT");
    const struct wms_layer *l = name ? wms_layer_lookup(name, strlen(name)) : NULL;
    const struct style_def *st = style && *style && strcmp(style, "default") ? style_lookup(style) : style_default();
    if (!name || !*name) {
        e = (struct wms_error){"MissingParameterValue", "LAYER", "LAYER is required"};
    } else if (!l) {
        e = (struct wms_error){"LayerNotDefined", "LAYER", ""};
        snprintf(e.message, sizeof e.message, "layer '%.64s' is not defined", name);
    } else if (!st) {
        e = (struct wms_error){"StyleNotDefined", "STYLE", ""};
        snprintf(e.message, sizeof e.message, "style '%.64s' is not defined (light, high-contrast)", style);
    } else if (format && *format && strncasecmp(format, "image/png", 9)) {
        e = (struct wms_error){"InvalidFormat", "FORMAT", "GetLegendGraphic FORMAT must be image/png"};
    }
    if (e.message[0]) {
        wms_exception_xml(res, v, &e);
        return;
    }
    const struct site_snapshot *snap = site_store_acquire(ctx->sites);
    struct legend_input in = {st, l->legend, snap->field_types, snap->n_field_types};
    cairo_surface_t *surface = legend_render(&in);
    bool ok = surface && image_encode_png(surface, true, &res->body);
    if (surface)
        cairo_surface_destroy(surface);
    site_store_release(ctx->sites, snap);
    if (!ok) {
        buf_reset(&res->body);
        response_error(res, 503, "the legend could not be rendered");
        return;
    }
    res->status = 200;
    response_set_type(res, "image/png");
}

void handle_wms(struct request *req, struct response *res)
{
    if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
        response_error(res, 405, "WMS answers GET only");
        return;
    }
    wms_cleanup_register();
    struct wms_error e = {0};
    enum wms_operation op;
    if (wms_parse_operation(req, &op, &e) < 0) {
        wms_exception_xml(res, wms_negotiate_version(req), &e);
        return;
    }
    switch (op) {
    case WMS_GET_CAPABILITIES:
        get_capabilities(req, res);
        break;
    case WMS_GET_MAP:
        get_map(req, res, false);
        break;
    case WMS_GET_FEATURE_INFO:
        get_map(req, res, true);
        break;
    case WMS_GET_LEGEND_GRAPHIC:
        get_legend(req, res);
        break;
    }
}
