/* The batch geocoder (server/route_geocode_csv.c): a multipart upload whose "data" part
 * is a CSV, with columns/postcode/citycode/delimiter/result_columns parts, geocoded
 * against the real index (RBMAP_GEOCODER_INDEX, else var/ban.idx; without an index the
 * handler answers 503 before parsing). Every answer must be 200 or a 4xx.
 * Input: first byte 'R' for /geocode/reverse/csv; then the multipart body with the
 * boundary "XyZ" (the Content-Type is fixed, fuzz_multipart covers the rest). */
#include "fuzz/fuzz_util.h"
#include "server/handlers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct server_ctx *ctx = fuzz_geocoder_ctx("fuzz_geocode_csv");
    if (size > 16384)
        return 0;
    bool reverse = size && data[0] == 'R';
    size_t len = size - (size ? 1 : 0);
    char *body = malloc(len ? len : 1); /* exact size: ASan sees overreads */
    memcpy(body, data + (size ? 1 : 0), len);
    struct request req = {.method = "POST", .path = reverse ? "/geocode/reverse/csv" : "/geocode/search/csv",
                          .body = body, .body_len = len, .ctx = ctx};
    req.headers[req.n_headers++] = (struct kv){"Content-Type", "multipart/form-data; boundary=XyZ"};
    struct response res;
    response_init(&res);
    if (reverse)
        handle_geocode_reverse_csv(&req, &res);
    else
        handle_geocode_search_csv(&req, &res);
    fuzz_check_response(&res);
    response_free(&res);
    free(body);
    return 0;
}
