#include "server/tiles_common.h"

#include "server/context.h"

#include <stdio.h>
#include <string.h>

void tiles_cache_key(const struct tile_request *rq, char *out, size_t outlen)
{
    char filter[512], scope[512];
    site_filter_key(rq->filter, filter, sizeof filter);
    scope_describe(rq->scope, scope, sizeof scope);
    snprintf(out, outlen, "L%u|%d/%u/%u|%s|%s", rq->layers, rq->z, rq->x, rq->y, filter, scope);
}

void tiles_set_cache_headers(const struct request *req, struct response *res)
{
    char value[64];
    int max_age = req->ctx ? req->ctx->cfg->tile_max_age_s : 5;
    snprintf(value, sizeof value, "%s, max-age=%d", req->scope.kind == SCOPE_PUBLIC ? "public" : "private", max_age);
    response_set_header(res, "Cache-Control", value);
}

void tiles_set_proxy_expiry(const struct request *req, struct response *res)
{
    if (req->scope.kind != SCOPE_PUBLIC)
        return;
    /* "@1" is an absolute expiry (1 s after 1970): nginx stores the answer (a plain 0
     * would forbid that) but takes it as stale from the start. */
    char value[16];
    int proxy_age = req->ctx ? req->ctx->cfg->proxy_cache_max_age_s : 0;
    if (proxy_age > 0)
        snprintf(value, sizeof value, "%d", proxy_age);
    else
        snprintf(value, sizeof value, "@1");
    response_set_header(res, "X-Accel-Expires", value);
}

bool etag_list_matches(const char *header, const char *etag)
{
    const char *p = header;
    while (*p == ' ')
        p++;
    if (!strcmp(p, "*"))
        return true;
    size_t n = strlen(etag);
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!strncmp(p, "W/", 2))
            p += 2;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        const char *last = end;
        while (last > p && last[-1] == ' ')
            last--;
        if ((size_t)(last - p) == n && !memcmp(p, etag, n))
            return true;
        p = end;
    }
    return false;
}
