/* The /geocode endpoints as handlers (server/route_geocode.c) on the real index when
 * one is at hand (RBMAP_GEOCODER_INDEX, else var/ban.idx; without one they answer 503
 * and only parameter parsing is fuzzed): q, autocomplete, limit, type, postcode,
 * citycode, lon/lat. Every answer must be a 4xx or 200 with valid JSON.
 * Input: a query string; a first byte 'R' asks /geocode/reverse instead of search. */
#include "fuzz/fuzz_util.h"
#include "server/handlers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct server_ctx *ctx = fuzz_geocoder_ctx("fuzz_geocode");
    if (size > 4096)
        return 0;
    bool reverse = size && data[0] == 'R';
    char *query = fuzz_cstr(data + reverse, size - reverse);
    struct request req = {.method = "GET", .path = reverse ? "/geocode/reverse" : "/geocode/search", .ctx = ctx};
    fuzz_request_query(&req, query);
    struct response res;
    response_init(&res);
    if (reverse)
        handle_geocode_reverse(&req, &res);
    else
        handle_geocode_search(&req, &res);
    fuzz_check_response(&res);
    response_free(&res);
    free(query);
    return 0;
}
