/* What the tile endpoints share: cache keys, HTTP cache headers, ETag matching. */
#ifndef RBMAP_SERVER_TILES_COMMON_H
#define RBMAP_SERVER_TILES_COMMON_H
#include "server/http.h"
#include "tiles/render.h"

#include <stdbool.h>
#include <stddef.h>

/* Layers, tile, filters and scope (with its flags): two requests share a cached tile
 * only when all of them are equal, so one scope never reads another's entry. */
void tiles_cache_key(const struct tile_request *rq, char *out, size_t outlen);
/* Cache-Control: public for the public scope, private once credentials are involved. */
void tiles_set_cache_headers(const struct request *req, struct response *res);
/* For a public answer with an ETag: X-Accel-Expires (proxy_cache_max_age_s) for nginx's
 * cache. 0 stores it already expired, so nginx revalidates every request with
 * If-None-Match (a 304 while the tile is unchanged) and an edit shows through it as
 * soon as the instance has it, instead of after tile_max_age_s. */
void tiles_set_proxy_expiry(const struct request *req, struct response *res);
/* If-None-Match: "*" or a comma list of entity tags, weak ones compared weakly. */
bool etag_list_matches(const char *if_none_match, const char *etag);

void handle_tilejson(struct request *req, struct response *res);

#endif
