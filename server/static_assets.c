#include "server/static_assets.h"

#include "server/tiles_common.h"
#include "util/gzip.h"

#include <string.h>
#include <zlib.h>

const struct static_asset *static_asset_find(const char *path)
{
    for (size_t i = 0; path && i < rbmap_static_asset_count; i++)
        if (!strcmp(rbmap_static_assets[i].path, path))
            return &rbmap_static_assets[i];
    return NULL;
}

/* Inflates the stored gzip into out; false if it is not what the build wrote. */
static bool inflate_asset(const struct static_asset *a, struct buf *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return false;
    buf_reset(out);
    unsigned char chunk[16384];
    zs.next_in = (unsigned char *)a->gz;
    zs.avail_in = (uInt)a->gz_len;
    int rc;
    do {
        zs.next_out = chunk;
        zs.avail_out = sizeof chunk;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END)
            break;
        buf_append(out, chunk, sizeof chunk - zs.avail_out);
    } while (rc != Z_STREAM_END);
    inflateEnd(&zs);
    return rc == Z_STREAM_END && !out->overflow && out->len == a->raw_len;
}

void static_asset_send(struct request *req, struct response *res, const struct static_asset *a,
                       const char *cache_control)
{
    response_set_header(res, "ETag", a->etag);
    response_set_header(res, "Cache-Control", cache_control);
    response_set_header(res, "Vary", "Accept-Encoding");
    response_set_type(res, a->content_type);
    const char *inm = request_header(req, "If-None-Match");
    if (inm && etag_list_matches(inm, a->etag)) {
        res->status = 304;
        return;
    }
    res->status = 200;
    if (accepts_gzip(request_header(req, "Accept-Encoding"))) {
        response_set_header(res, "Content-Encoding", "gzip");
        buf_reset(&res->body);
        buf_append(&res->body, a->gz, a->gz_len);
        return;
    }
    if (!inflate_asset(a, &res->body))
        response_error(res, 500, "embedded file %s is corrupt", a->path);
}
