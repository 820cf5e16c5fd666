/* The DESIGN.md filters (status, territory, field_type, date) read from a query string
 * by server/request_filters.c and db/site_filter.c, resolved against an empty snapshot
 * (every field type label is then unknown: a 400), and the cache key they give.
 * Input: a query string ("status=open,closed&territory=departement:93&date=2024-01-01"). */
#include "db/site_filter.h"
#include "db/site_store.h"
#include "fuzz/fuzz_util.h"
#include "server/http.h"
#include "server/request_filters.h"

static struct site_store *store;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!store)
        store = site_store_create();
    char *query = fuzz_cstr(data, size);
    struct request req = {.method = "GET", .path = "/tiles"};
    fuzz_request_query(&req, query);
    const struct site_snapshot *snap = site_store_acquire(store);
    struct site_filter f;
    struct response res;
    response_init(&res);
    if (request_site_filter(&req, snap, &f, &res) == 0) {
        char key[512];
        site_filter_key(&f, key, sizeof key);
        if (strlen(key) >= sizeof key)
            abort();
        if (f.n_territories > SITE_FILTER_MAX_TERRITORIES || f.n_field_types > SITE_FILTER_MAX_FIELD_TYPES)
            abort();
    } else {
        if (res.status != 400)
            abort();
        fuzz_check_response(&res);
    }
    response_free(&res);
    site_store_release(store, snap);
    free(query);
    return 0;
}
