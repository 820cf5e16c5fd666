/* The URL clients reach this server at, for links it writes (TileJSON, OGC links):
 * the configured public_url, else X-Forwarded-Proto/-Host from a proxy, else Host. */
#ifndef RBMAP_SERVER_BASE_URL_H
#define RBMAP_SERVER_BASE_URL_H
#include "server/http.h"

#include <stddef.h>

/* Writes "scheme://host[:port][/prefix]" without a trailing slash. */
void request_base_url(const struct request *req, char *out, size_t outlen);

#endif
