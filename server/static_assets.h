/* The viewer's files (HTML, bundled MapLibre/OpenLayers JS and CSS, glyph PBFs),
 * embedded at build time by web/embed_assets.sh (build/gen/web_embedded.c, from the
 * npm build in web/build.mjs) so that `rbmap serve` needs no directory and no CDN.
 * Each file is stored gzipped with its entity tag; clients that do not accept gzip get
 * it inflated. */
#ifndef RBMAP_SERVER_STATIC_ASSETS_H
#define RBMAP_SERVER_STATIC_ASSETS_H
#include "server/http.h"

#include <stddef.h>

struct static_asset {
    const char *path;          /* relative, e.g. "index.html", "viewer/viewer.js" */
    const char *content_type;
    const unsigned char *gz;   /* gzip of the file */
    size_t gz_len, raw_len;
    const char *etag;          /* quoted strong tag of the content */
};

extern const struct static_asset rbmap_static_assets[];
extern const size_t rbmap_static_asset_count;

/* NULL when no embedded file has this path. */
const struct static_asset *static_asset_find(const char *path);

/* 200 with the file (gzip when accepted), or 304 when If-None-Match matches.
 * cache_control: the Cache-Control value to send. */
void static_asset_send(struct request *req, struct response *res, const struct static_asset *a,
                       const char *cache_control);

#endif
