/* OGC API Features under /ogc (Parts 1 and 2; Part 3 when CQL2 is built in):
 *   /ogc                                   landing page
 *   /ogc/conformance, /ogc/api             conformance classes, OpenAPI 3.0
 *   /ogc/collections[/{id}]                collections (those the scope may read)
 *   /ogc/collections/{id}/items[/{fid}]    features (GeoJSON, streamed)
 *   /ogc/collections/{id}/queryables       JSON Schema of the properties
 * A collection the caller's scope may not read (sites, actions, clusters for the public)
 * is not listed and answers 404, like a feature outside the scope. Every endpoint
 * refuses undeclared parameters (400). f=html or a browser's Accept gives HTML. */
#include "ogc/ogc_filter.h"
#include "ogc/ogc_html.h"
#include "ogc/ogc_items.h"
#include "ogc/ogc_meta.h"
#include "ogc/ogc_openapi.h"
#include "server/base_url.h"
#include "server/context.h"
#include "server/handlers.h"
#include "server/request_filters.h"
#include "tiles/layer_catalog.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static void send_doc(struct request *req, struct response *res, json_t *doc, const char *type, const char *title)
{
    if (!doc) {
        response_error(res, 503, "out of memory");
        return;
    }
    if (ogc_wants_html(req)) {
        ogc_html_page(res, title, doc);
        res->status = 200;
    } else {
        response_json(res, 200, doc);
        response_set_type(res, type);
    }
    json_decref(doc);
}

static int check_f(const struct request *req, struct response *res)
{
    const char *f = request_param(req, "f");
    if (f && strcmp(f, "json") && strcmp(f, "html")) {
        response_error(res, 400, "f: expected json or html");
        return -1;
    }
    return 0;
}

static void collection_request(struct request *req, struct response *res, struct ogc_run *run, const char *rest,
                               const char *base)
{
    size_t id_len = strcspn(rest, "/");
    char id[64];
    snprintf(id, sizeof id, "%.*s", (int)(id_len < sizeof id ? id_len : sizeof id - 1), rest);
    const struct ogc_collection *c = id_len < sizeof id ? ogc_collection_find(id, &req->scope) : NULL;
    if (!c) {
        response_error(res, 404, "no collection '%.60s'%s; see /ogc/collections", id,
                       req->scope.kind == SCOPE_PUBLIC ? " (sites, actions and clusters need credentials)" : "");
        return;
    }
    const char *tail = rest + id_len;
    const struct config *cfg = req->ctx->cfg;
    if (!*tail) {
        if (ogc_check_params(req, ogc_meta_params, res) == 0 && check_f(req, res) == 0)
            send_doc(req, res, ogc_collection_doc(run, c, base), "application/json", c->title);
        return;
    }
    if (!strcmp(tail, "/queryables")) {
        if (ogc_check_params(req, ogc_meta_params, res) == 0 && check_f(req, res) == 0)
            send_doc(req, res, ogc_queryables_doc(run, c, base), "application/schema+json", c->title);
        return;
    }
    bool items = !strcmp(tail, "/items");
    const char *fid = !strncmp(tail, "/items/", 7) && tail[7] && !strchr(tail + 7, '/') ? tail + 7 : NULL;
    if (!items && !fid) {
        response_error(res, 404, "unknown resource under /ogc/collections/%s (items, items/{fid}, queryables)", c->id);
        return;
    }
    const char *names[32];
    struct ogc_filter *filter = NULL;
    if (ogc_check_params(req, items ? ogc_items_params(c, names) : ogc_item_params, res) < 0 || check_f(req, res) < 0)
        return;
    if (items) {
        if (ogc_parse_query(req, cfg->ogc_limit_default, cfg->ogc_limit_max, TILE_LAYER_MAX_ZOOM, &run->q, res) < 0 ||
            ogc_check_property_names(run, c, res) < 0)
            return;
        if (c->site_filters && request_site_filter(req, run->sites, &run->filter, res) < 0)
            return;
        if (ogc_filter_parse(req, c, run, &filter, res) < 0)
            return;
    } else {
        run->q.crs = NULL;
        if (ogc_parse_crs(req, "crs", &run->q.crs, res) < 0)
            return;
        run->q.zoom = c->zoom_required ? 0 : -1; /* clusters: ids are known at every zoom */
    }
    int status = 0;
    char err[300] = "";
    if (c->open && c->open(run, &status, err, sizeof err) < 0) {
        response_error(res, status ? status : 503, "%s", err);
        ogc_filter_free(filter);
        return;
    }
    if (items)
        ogc_items_respond(run, c, filter, base, ogc_wants_html(req), res);
    else
        ogc_item_respond(run, c, fid, base, ogc_wants_html(req), res);
    if (c->close)
        c->close(run);
    ogc_filter_free(filter);
}

void handle_ogc(struct request *req, struct response *res)
{
    const char *path = req->path + strlen("/ogc");
    struct server_ctx *ctx = req->ctx;
    char base[1024];
    request_base_url(req, base, sizeof base - 8);
    strcat(base, "/ogc");
    if (!*path || !strcmp(path, "/")) {
        if (ogc_check_params(req, ogc_meta_params, res) == 0 && check_f(req, res) == 0)
            send_doc(req, res, ogc_landing_doc(base), "application/json", "rbmap OGC API Features");
        return;
    }
    if (!strcmp(path, "/conformance")) {
        if (ogc_check_params(req, ogc_meta_params, res) == 0 && check_f(req, res) == 0)
            send_doc(req, res, ogc_conformance_doc(), "application/json", "Conformance");
        return;
    }
    bool api = !strcmp(path, "/api");
    bool collections = !strcmp(path, "/collections") || !strcmp(path, "/collections/");
    bool one = !strncmp(path, "/collections/", 13) && path[13];
    if (!api && !collections && !one) {
        response_error(res, 404, "unknown OGC API resource '%.80s'", req->path);
        return;
    }
    struct ogc_run run = {.req = req, .scope = &req->scope};
    run.justice = req->scope.kind != SCOPE_PUBLIC && (req->scope.flags & SCOPE_FLAG_JUSTICE);
    run.flags = feature_flags(&req->scope);
    run.sites = site_store_acquire(ctx->sites);
    run.actions = action_store_acquire(ctx->actions);
    run.boundaries = atomic_load(&ctx->boundaries);
    run.territories = atomic_load(&ctx->territories);
    site_filter_init(&run.filter);
    run.q.zoom = -1;
    if (api) {
        if (ogc_check_params(req, ogc_meta_params, res) == 0 && check_f(req, res) == 0)
            send_doc(req, res, ogc_openapi_doc(&run, base, ctx->cfg->ogc_limit_default, ctx->cfg->ogc_limit_max),
                     "application/vnd.oai.openapi+json;version=3.0", "rbmap OGC API Features: API definition");
    } else if (collections) {
        if (ogc_check_params(req, ogc_meta_params, res) == 0 && check_f(req, res) == 0)
            send_doc(req, res, ogc_collections_doc(&run, base), "application/json", "Collections");
    } else {
        collection_request(req, res, &run, path + 13, base);
    }
    action_store_release(run.actions);
    site_store_release(ctx->sites, run.sites);
}
