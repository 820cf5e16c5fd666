/* gzip for HTTP responses (zlib). */
#ifndef RBMAP_UTIL_GZIP_H
#define RBMAP_UTIL_GZIP_H
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* Appends the gzip form of data to out; false on failure. gzip_compress uses zlib's
 * balanced level 6; level 1 is for bytes compressed on the request path (tiles). */
bool gzip_compress(const void *data, size_t len, struct buf *out);
bool gzip_compress_level(const void *data, size_t len, int level, struct buf *out);
/* True when an Accept-Encoding header value accepts gzip (and does not refuse it with q=0). */
bool accepts_gzip(const char *accept_encoding);

#endif
