/* Percent-encoding for URLs rbmap writes (TileJSON, links). */
#ifndef RBMAP_UTIL_URL_H
#define RBMAP_UTIL_URL_H
#include "util/buf.h"

#include <stdbool.h>

/* Appends text percent-encoded as a query component (RFC 3986 unreserved kept). */
bool url_encode_component(struct buf *out, const char *text);

#endif
