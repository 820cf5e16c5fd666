/* GET /export/{collection}.{format}: one collection as a file written by GDAL/OGR
 * (export/export.h), with the filters of every endpoint (status, territory, field_type,
 * date), bbox=W,S,E,N in degrees, crs= (default EPSG:4326) and level= for boundaries
 * and territories. The caller's scope decides what is in the file: the public scope
 * gets boundaries and territory counts, and 403 for sites and actions (as /clusters:
 * the collection exists, the caller may not have it). */
#include "export/export.h"
#include "server/context.h"
#include "server/handlers.h"
#include "server/request_filters.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_bbox(const char *text, double out[4], char *err, size_t errlen)
{
    const char *p = text;
    for (int i = 0; i < 4; i++) {
        char *end;
        out[i] = strtod(p, &end);
        if (end == p || !isfinite(out[i]) || *end != (i < 3 ? ',' : '\0'))
            goto bad;
        p = end + 1;
    }
    if (out[0] >= -180 && out[2] <= 180 && out[1] >= -90 && out[3] <= 90 && out[0] < out[2] && out[1] < out[3])
        return 0;
bad:
    snprintf(err, errlen, "bbox: expected west,south,east,north in degrees (WGS84) with west < east and south < "
             "north, not '%.60s'", text);
    return -1;
}

static void send_file(struct response *res, const struct export_query *q, const unsigned char *data, size_t len,
                      size_t features)
{
    if (!buf_append(&res->body, data, len)) {
        buf_reset(&res->body);
        response_error(res, 413, "the %s file is larger than the server sends (%zu bytes); narrow the filters",
                       q->format->name, len);
        return;
    }
    res->status = 200;
    response_set_type(res, q->format->mime);
    char name[128], disposition[192], count[32];
    export_file_name(q, name, sizeof name);
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", name);
    response_set_header(res, "Content-Disposition", disposition);
    snprintf(count, sizeof count, "%zu", features);
    response_set_header(res, "X-Feature-Count", count);
    response_set_header(res, "Content-Crs", q->crs->code);
    response_set_header(res, "Cache-Control", q->scope->kind == SCOPE_PUBLIC ? "public, max-age=60" : "private, no-store");
}

void handle_export(struct request *req, struct response *res)
{
    struct server_ctx *ctx = req->ctx;
    const char *name = req->path + strlen("/export/");
    char err[1024];
    struct export_query q = {.scope = &req->scope, .max_features = (size_t)ctx->cfg->export_max_features};
    enum export_collection collection;
    if (strncmp(req->path, "/export/", 8) || export_parse_name(name, &collection, &q.format, err, sizeof err) < 0) {
        response_error(res, 404, "%s", strncmp(req->path, "/export/", 8) ? "not found" : err);
        return;
    }
    q.collection = collection;
    const char *crs_text = request_param(req, "crs");
    if (!(q.crs = crs_lookup(crs_text ? crs_text : "EPSG:4326", err, sizeof err))) {
        response_error(res, 400, "crs: %s", err);
        return;
    }
    const char *bbox = request_param(req, "bbox");
    if (bbox && parse_bbox(bbox, q.bbox, err, sizeof err) < 0) {
        response_error(res, 400, "%s", err);
        return;
    }
    q.has_bbox = bbox != NULL;
    q.level = request_param(req, "level");
    if (export_check_query(&q, err, sizeof err) != EXPORT_OK) {
        response_error(res, 400, "%s", err);
        return;
    }
    struct export_sources src = {.sites = site_store_acquire(ctx->sites),
                                 .actions = action_store_acquire(ctx->actions),
                                 .boundaries = atomic_load(&ctx->boundaries),
                                 .territories = atomic_load(&ctx->territories)};
    struct site_filter filter;
    if (request_site_filter(req, src.sites, &filter, res) == 0) {
        q.filter = &filter;
        unsigned char *data;
        size_t len, features;
        int rc = export_run(&q, &src, &data, &len, &features, err, sizeof err);
        if (rc == EXPORT_OK) {
            send_file(res, &q, data, len, features);
            res->features = (long long)features; /* for the audit log */
        }
        else
            response_error(res, rc, "%s", err);
        export_bytes_free(data);
    }
    action_store_release(src.actions);
    site_store_release(ctx->sites, src.sites);
}
