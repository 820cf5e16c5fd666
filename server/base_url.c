#include "server/base_url.h"

#include "server/context.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Host headers are client text written back into documents: only host characters. */
static bool host_is_safe(const char *host)
{
    if (!host || !*host || strlen(host) > 255)
        return false;
    for (const char *p = host; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr(".-:[]_", *p))
            return false;
    return true;
}

void request_base_url(const struct request *req, char *out, size_t outlen)
{
    const struct config *cfg = req->ctx ? req->ctx->cfg : NULL;
    if (cfg && cfg->public_url[0]) {
        snprintf(out, outlen, "%s", cfg->public_url);
        size_t n = strlen(out);
        while (n && out[n - 1] == '/')
            out[--n] = '\0';
        return;
    }
    const char *proto = request_header(req, "X-Forwarded-Proto");
    const char *host = request_header(req, "X-Forwarded-Host");
    if (!host_is_safe(host))
        host = request_header(req, "Host");
    if (!proto || (strcmp(proto, "https") && strcmp(proto, "http")))
        proto = "http";
    if (host_is_safe(host))
        snprintf(out, outlen, "%s://%s", proto, host);
    else if (cfg)
        snprintf(out, outlen, "http://%s:%d", cfg->listen_host, cfg->listen_port);
    else
        snprintf(out, outlen, "http://localhost");
}
