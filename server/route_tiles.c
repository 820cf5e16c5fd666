/* GET /tiles/{layers}/{z}/{x}/{y}.mvt: vector tiles rendered from memory, cached per
 * (layers, tile, filters, scope), evicted by area when the data changes.
 * Empty tiles answer 204 No Content (MapLibre and OpenLayers treat it as empty). */
#include "server/context.h"
#include "server/handlers.h"
#include "server/request_filters.h"
#include "server/tiles_common.h"
#include "tiles/render.h"
#include "tiles/render_gzip.h"
#include "tiles/tile_cache.h"
#include "tiles/tile_math.h"
#include "util/gzip.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses "{layers}/{z}/{x}/{y}.mvt" (also .pbf). */
static int parse_tile_path(const char *rest, unsigned *layers, int *z, uint32_t *x, uint32_t *y, char *err,
                           size_t errlen)
{
    const char *slash = strchr(rest, '/');
    if (!slash) {
        snprintf(err, errlen, "expected /tiles/{layers}/{z}/{x}/{y}.mvt");
        return -1;
    }
    if (tile_layers_parse(rest, (size_t)(slash - rest), layers, err, errlen) < 0)
        return -1;
    long long v[3];
    const char *p = slash + 1;
    for (int i = 0; i < 3; i++) {
        if (*p < '0' || *p > '9') {
            snprintf(err, errlen, "tile coordinates must be /{z}/{x}/{y}.mvt with non-negative integers");
            return -1;
        }
        v[i] = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            if (++digits > 9) {
                snprintf(err, errlen, "tile coordinate too large");
                return -1;
            }
            v[i] = v[i] * 10 + (*p++ - '0');
        }
        if (i < 2 && *p++ != '/') {
            snprintf(err, errlen, "tile coordinates must be /{z}/{x}/{y}.mvt");
            return -1;
        }
    }
    if (strcmp(p, ".mvt") && strcmp(p, ".pbf")) {
        snprintf(err, errlen, "tiles end in .mvt or .pbf");
        return -1;
    }
    if (v[0] > TILE_LAYER_MAX_ZOOM) {
        snprintf(err, errlen, "zoom %lld is out of range (0-%d)", v[0], TILE_LAYER_MAX_ZOOM);
        return -1;
    }
    if (!tile_valid((int)v[0], v[1], v[2])) {
        snprintf(err, errlen, "tile %lld/%lld/%lld does not exist: x and y must be below 2^z", v[0], v[1], v[2]);
        return -1;
    }
    *z = (int)v[0];
    *x = (uint32_t)v[1];
    *y = (uint32_t)v[2];
    return 0;
}

/* Sends a tile. `owned`, when given, is a buffer holding exactly data/len that the
 * response may take over instead of copying (a freshly rendered tile). */
static void send_tile_buf(struct request *req, struct response *res, const void *data, size_t len,
                          const char *etag, bool gzipped, struct buf *owned)
{
    response_set_header(res, "ETag", etag);
    response_set_header(res, "Vary", "Accept-Encoding");
    tiles_set_cache_headers(req, res);
    tiles_set_proxy_expiry(req, res);
    const char *inm = request_header(req, "If-None-Match");
    if (inm && etag_list_matches(inm, etag)) {
        res->status = 304;
        return;
    }
    if (len == 0) {
        res->status = 204;
        return;
    }
    res->status = 200;
    response_set_type(res, "application/vnd.mapbox-vector-tile");
    if (gzipped)
        response_set_header(res, "Content-Encoding", "gzip");
    if (owned && !res->body.len && owned->data == data && owned->len == len) {
        buf_free(&res->body);
        res->body = *owned;
        buf_init(owned, owned->limit);
    } else {
        buf_append(&res->body, data, len);
    }
}

static void send_tile(struct request *req, struct response *res, const void *data, size_t len, const char *etag,
                      bool gzipped)
{
    send_tile_buf(req, res, data, len, etag, gzipped, NULL);
}

/* Stores one encoding of a tile. The generation was read before the snapshots, so a
 * tile drawn from data an eviction has since replaced is refused by the cache (it is
 * still sent: it was right when the request came). */
static void store(struct server_ctx *ctx, const struct tile_request *rq, uint64_t generation, const char *key,
                  const void *data, size_t len, const char *etag)
{
    struct tile_bbox bounds;
    tile_query_bbox(rq->z, rq->x, rq->y, TILE_EXTENT, TILE_POINT_BUFFER, &bounds);
    /* A cluster (or a territory bubble) depends on sites far outside its tile: any
     * change anywhere evicts it. */
    if (rq->layers & (1u << LAYER_CLUSTERS | 1u << LAYER_TERRITORIES))
        bounds = (struct tile_bbox){-180, -90, 180, 90};
    struct tile_cache_entry e = {.key = key, .z = rq->z, .x = rq->x, .y = rq->y, .bounds = bounds,
                                 .data = data ? data : "", .len = len, .etag = etag, .generation = generation};
    tile_cache_put(ctx->tiles, &e);
}

/* Gzips raw tile bytes, caches and sends them. Only done for a client that accepts
 * gzip: a render no gzip client asks for is never compressed. */
static void gzip_store_send(struct request *req, struct response *res, const struct tile_request *rq,
                            uint64_t generation, const char *gz_key, const void *raw, size_t len,
                            const char *raw_etag)
{
    if (len == 0) {
        send_tile(req, res, "", 0, raw_etag, false);
        return;
    }
    struct buf gz;
    buf_init(&gz, 64 * 1024 * 1024);
    if (!tile_gzip(raw, len, &gz)) {
        buf_free(&gz);
        response_error(res, 503, "tile could not be compressed (out of memory)");
        return;
    }
    char etag[TILE_ETAG_MAX];
    tile_etag_gzip(raw_etag, etag);
    store(req->ctx, rq, generation, gz_key, gz.data, gz.len, etag);
    send_tile_buf(req, res, gz.data, gz.len, etag, true, &gz);
    buf_free(&gz);
}

/* Renders, caches the raw encoding and sends the one asked for. */
static void render_store_send(struct request *req, struct response *res, const struct tile_request *rq,
                              const struct tile_sources *src, uint64_t generation, const char *key,
                              const char *gz_key, bool want_gzip)
{
    struct buf raw;
    buf_init(&raw, 64 * 1024 * 1024);
    struct tile_render_stats stats;
    if (tile_render(rq, src, &raw, &stats) < 0) {
        buf_free(&raw);
        response_error(res, 503, "tile could not be rendered (out of memory)");
        return;
    }
    char etag[TILE_ETAG_MAX];
    tile_etag(raw.data ? raw.data : "", raw.len, etag);
    store(req->ctx, rq, generation, key, raw.data, raw.len, etag);
    if (want_gzip)
        gzip_store_send(req, res, rq, generation, gz_key, raw.data, raw.len, etag);
    else
        send_tile_buf(req, res, raw.data, raw.len, etag, false, &raw);
    buf_free(&raw);
}

void handle_tiles(struct request *req, struct response *res)
{
    const char *rest = req->path + strlen("/tiles/");
    size_t len = strlen(rest);
    if (len > 5 && !strcmp(rest + len - 5, ".json")) {
        handle_tilejson(req, res);
        return;
    }
    struct server_ctx *ctx = req->ctx;
    struct tile_request rq = {.scope = &req->scope};
    char err[256];
    if (parse_tile_path(rest, &rq.layers, &rq.z, &rq.x, &rq.y, err, sizeof err) < 0) {
        response_error(res, 400, "%s", err);
        return;
    }
    uint64_t generation = tile_cache_generation(ctx->tiles);
    struct tile_sources src = {.sites = site_store_acquire(ctx->sites), .actions = action_store_acquire(ctx->actions),
                               .boundaries = atomic_load(&ctx->boundaries),
                               .territories = atomic_load(&ctx->territories)};
    struct site_filter filter;
    if (request_site_filter(req, src.sites, &filter, res) == 0) {
        rq.filter = &filter;
        bool want_gzip = accepts_gzip(request_header(req, "Accept-Encoding"));
        char key[1024], gz_key[1040];
        tiles_cache_key(&rq, key, sizeof key);
        snprintf(gz_key, sizeof gz_key, "%s|gz", key);
        const struct tile_value *v = want_gzip ? tile_cache_get(ctx->tiles, gz_key, rq.z, rq.x, rq.y) : NULL;
        if (v) {
            send_tile(req, res, v->data, v->len, v->etag, true);
        } else if ((v = tile_cache_get(ctx->tiles, key, rq.z, rq.x, rq.y))) {
            if (want_gzip)
                gzip_store_send(req, res, &rq, generation, gz_key, v->data, v->len, v->etag);
            else
                send_tile(req, res, v->data, v->len, v->etag, false);
        } else {
            render_store_send(req, res, &rq, &src, generation, key, gz_key, want_gzip);
        }
        tile_value_release(v);
    }
    action_store_release(src.actions);
    site_store_release(ctx->sites, src.sites);
}
