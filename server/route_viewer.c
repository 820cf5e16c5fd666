/* GET / (the MapLibre viewer) and GET /viewer/{file} (its scripts and styles, and the
 * OpenLayers WMS page /viewer/wms.html): files embedded at build time
 * (server/static_assets.h). The pages read the credential from their own URL
 * (?access_token=) in the browser; nothing here depends on the caller. */
#include "server/handlers.h"
#include "server/static_assets.h"

#include <string.h>

void handle_viewer(struct request *req, struct response *res)
{
    const char *path = req->path;
    const struct static_asset *a = NULL;
    if (!strcmp(path, "/"))
        a = static_asset_find("index.html");
    else if (!strncmp(path, "/viewer/", 8) && !strstr(path, ".."))
        a = static_asset_find(path[8] ? path + 1 : "index.html");
    if (!a) {
        response_error(res, 404, "no such page: %s", path);
        return;
    }
    /* Revalidate every time (cheap with the ETag) so a new binary's files show at once. */
    static_asset_send(req, res, a, "no-cache");
    response_set_header(res, "X-Content-Type-Options", "nosniff");
}
