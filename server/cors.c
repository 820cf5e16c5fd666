#include "server/cors.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_wildcard(const char *config)
{
    while (*config == ' ')
        config++;
    return !*config || !strcmp(config, "*");
}

void cors_decide(const char *config, const char *origin, struct cors_decision *out)
{
    memset(out, 0, sizeof *out);
    if (!config || is_wildcard(config)) {
        out->allowed = true;
        snprintf(out->allow_origin, sizeof out->allow_origin, "*");
        return;
    }
    out->vary_origin = true;
    if (!origin || !*origin) {
        out->allowed = true; /* not a cross-origin browser request: nothing to allow */
        return;
    }
    size_t origin_len = strlen(origin);
    const char *p = config;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *start = p;
        while (*p && *p != ',')
            p++;
        const char *end = p;
        while (end > start && end[-1] == ' ')
            end--;
        size_t n = (size_t)(end - start);
        /* An entry `*` inside a list means nothing: a list is a list. */
        if (n && n == origin_len && n < sizeof out->allow_origin && !strncasecmp(start, origin, n)) {
            out->allowed = true;
            out->credentials = true;
            memcpy(out->allow_origin, start, n);
            out->allow_origin[n] = '\0';
            return;
        }
    }
}
