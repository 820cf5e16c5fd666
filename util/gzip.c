#include "util/gzip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

bool gzip_compress(const void *data, size_t len, struct buf *out)
{
    return gzip_compress_level(data, len, 6, out);
}

bool gzip_compress_level(const void *data, size_t len, int level, struct buf *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* windowBits 15 + 16 asks zlib for the gzip wrapper; zlib takes uInt lengths. */
    if (len > UINT32_MAX / 2 || deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    uLong bound = deflateBound(&zs, (uLong)len);
    unsigned char *tmp = !out->limit || bound <= out->limit ? malloc(bound) : NULL;
    if (!tmp) {
        deflateEnd(&zs);
        return false;
    }
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    zs.next_out = tmp;
    zs.avail_out = (uInt)bound;
    int rc = deflate(&zs, Z_FINISH);
    size_t produced = bound - zs.avail_out;
    deflateEnd(&zs);
    bool ok = rc == Z_STREAM_END && buf_append(out, tmp, produced);
    free(tmp);
    return ok;
}

bool accepts_gzip(const char *header)
{
    if (!header)
        return false;
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *token = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ')
            p++;
        size_t n = (size_t)(p - token);
        bool gzip = (n == 4 && !strncasecmp(token, "gzip", 4)) || (n == 1 && *token == '*');
        double q = 1.0;
        while (*p == ' ')
            p++;
        if (*p == ';') {
            const char *qp = strstr(p, "q=");
            const char *next = strchr(p, ',');
            if (qp && (!next || qp < next))
                q = strtod(qp + 2, NULL);
        }
        if (gzip)
            return q > 0;
        while (*p && *p != ',')
            p++;
    }
    return false;
}
