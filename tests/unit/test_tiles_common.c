/* HTTP cache headers and ETag matching of the tile endpoints (server/tiles_common.h),
 * on hand-made requests. */
#include "server/config.h"
#include "server/context.h"
#include "server/tiles_common.h"
#include "unit.h"

#include <string.h>

static const char *header(const struct response *res, const char *name)
{
    for (size_t i = 0; i < res->n_headers; i++)
        if (!strcmp(res->headers[i].key, name))
            return res->headers[i].value;
    return NULL;
}

static void headers_for(enum scope_kind kind, int proxy_max_age, struct response *res)
{
    static struct config cfg;
    static struct server_ctx ctx;
    config_defaults(&cfg);
    cfg.proxy_cache_max_age_s = proxy_max_age;
    ctx.cfg = &cfg;
    struct request req = {.method = "GET", .path = "/tiles/sites/5/16/11.mvt", .ctx = &ctx};
    req.scope.kind = kind;
    response_init(res);
    tiles_set_cache_headers(&req, res);
    tiles_set_proxy_expiry(&req, res);
}

static void test_public_tiles_are_revalidated_by_nginx(void)
{
    struct response res;
    headers_for(SCOPE_PUBLIC, 0, &res);
    CHECK_STR(header(&res, "Cache-Control"), "public, max-age=5");
    CHECK_STR(header(&res, "X-Accel-Expires"), "@1"); /* stored, already expired */
    response_free(&res);
    headers_for(SCOPE_PUBLIC, 30, &res);
    CHECK_STR(header(&res, "X-Accel-Expires"), "30");
    response_free(&res);
    /* Read with a credential: private, and nothing for a shared cache. */
    headers_for(SCOPE_NATIONAL, 0, &res);
    CHECK_STR(header(&res, "Cache-Control"), "private, max-age=5");
    CHECK(header(&res, "X-Accel-Expires") == NULL);
    response_free(&res);
}

static void test_etag_lists(void)
{
    CHECK(etag_list_matches("\"a1\"", "\"a1\""));
    CHECK(etag_list_matches(" *", "\"a1\""));
    CHECK(etag_list_matches("\"x\", W/\"a1\"", "\"a1\""));
    CHECK(etag_list_matches("\"x\" ,\"a1\" ", "\"a1\""));
    CHECK(!etag_list_matches("\"a1-gz\"", "\"a1\""));
    CHECK(!etag_list_matches("\"a\"", "\"a1\""));
    CHECK(!etag_list_matches("", "\"a1\""));
}

int main(void)
{
    RUN(test_public_tiles_are_revalidated_by_nginx);
    RUN(test_etag_lists);
    return UNIT_REPORT();
}
