/* The /reproject endpoint (server/route_reproject.c) end to end: from/to CRS text,
 * GET coords=, or a POST body as JSON, CSV or with another Content-Type, through PROJ
 * and back into JSON or CSV. Every answer must be a 4xx or a 200 (valid JSON when JSON).
 * Input: first byte picks the method and Content-Type; then lines from, to, and the
 * coords value or the body (the rest, any bytes). */
#include "fuzz/fuzz_util.h"
#include "server/handlers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || size > 8192)
        return 0;
    static const char *const types[] = {"application/json", "text/csv", "text/csv; charset=utf-8", NULL,
                                        "application/x-www-form-urlencoded"};
    uint8_t mode = data[0];
    const char *f[3];
    struct fuzz_fields ff;
    fuzz_fields(&ff, data + 1, size - 1, '\n', f, 3);
    bool post = mode & 1;
    const char *type = types[(mode >> 1) % 5];
    struct request req = {.method = post ? "POST" : "GET", .path = "/reproject"};
    req.params[req.n_params++] = (struct kv){"from", (char *)f[0]};
    req.params[req.n_params++] = (struct kv){"to", (char *)f[1]};
    if (post) {
        if (type)
            req.headers[req.n_headers++] = (struct kv){"Content-Type", (char *)type};
        req.body = f[2];
        req.body_len = ff.rest_len;
    } else {
        req.params[req.n_params++] = (struct kv){"coords", (char *)f[2]};
    }
    struct response res;
    response_init(&res);
    handle_reproject(&req, &res);
    fuzz_check_response(&res);
    response_free(&res);
    fuzz_fields_free(&ff);
    return 0;
}
