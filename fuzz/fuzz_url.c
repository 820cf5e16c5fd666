/* URL handling of the HTTP front end: route matching (server/routes.c), the tile path
 * "{layers}/{z}/{x}/{y}.mvt" (server/route_tiles.c, static: included), the query string
 * as libmicrohttpd hands it over, request_param/_ci, url_encode_component (which must
 * round-trip through libmicrohttpd's decoder) and If-None-Match lists.
 * Input lines: method, path, query string, If-None-Match. */
#include "server/route_tiles.c"

#include "fuzz/fuzz_util.h"
#include "server/routes.h"
#include "util/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *f[4];
    struct fuzz_fields ff;
    fuzz_fields(&ff, data, size, '\n', f, 4);
    const char *method = f[0], *path = f[1];
    (void)routes_match(method, path);

    char err[256];
    unsigned layers;
    int z;
    uint32_t x, y;
    if (!strncmp(path, "/tiles/", 7) && parse_tile_path(path + 7, &layers, &z, &x, &y, err, sizeof err) == 0) {
        if (!tile_valid(z, x, y))
            abort();
    }

    struct request req = {.method = method, .path = path};
    char *query = strdup(f[2]);
    fuzz_request_query(&req, query);
    for (size_t i = 0; i < req.n_params; i++) {
        if (!request_param(&req, req.params[i].key) || !request_param_ci(&req, req.params[i].key))
            abort();
        /* What we write into links must decode back to the same value. */
        struct buf enc;
        buf_init(&enc, 0);
        if (url_encode_component(&enc, req.params[i].value) && enc.data) {
            char *dec = strdup(enc.data);
            MHD_http_unescape(dec);
            if (strcmp(dec, req.params[i].value)) {
                fprintf(stderr, "url_encode_component does not round-trip: '%s' -> '%s'\n", req.params[i].value,
                        enc.data);
                abort();
            }
            free(dec);
        }
        buf_free(&enc);
    }
    (void)etag_list_matches(f[3], "\"abc123\"");
    (void)etag_list_matches(f[3], "W/\"abc123\"");
    free(query);
    fuzz_fields_free(&ff);
    return 0;
}
