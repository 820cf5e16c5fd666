#include "tiles/render_gzip.h"

#include "util/gzip.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

bool tile_gzip(const void *data, size_t len, struct buf *out)
{
    return gzip_compress_level(data, len, 1, out);
}

void tile_etag(const void *data, size_t len, char *out)
{
    const Bytef *p = data;
    uLong crc = crc32(0L, Z_NULL, 0), adler = adler32(0L, Z_NULL, 0);
    /* zlib takes uInt lengths: feed big inputs in slices. */
    for (size_t done = 0; done < len;) {
        uInt n = len - done > (1u << 30) ? (1u << 30) : (uInt)(len - done);
        crc = crc32(crc, p + done, n);
        adler = adler32(adler, p + done, n);
        done += n;
    }
    snprintf(out, TILE_ETAG_MAX, "\"%08lx%08lx-%zx\"", crc & 0xffffffffUL, adler & 0xffffffffUL, len);
}

void tile_etag_gzip(const char *raw_etag, char *out)
{
    size_t n = strlen(raw_etag);
    if (n && raw_etag[n - 1] == '"')
        n--;
    snprintf(out, TILE_ETAG_MAX, "%.*s-gz\"", (int)n, raw_etag);
}
