/* Which web origins may read our responses (config cors_origins). This module promises:
 *   - `*` (the default): any origin, `Access-Control-Allow-Origin: *`, never with
 *     credentials (browsers forbid the pair; our tokens travel in headers anyway);
 *   - a comma list of origins (https://a.fr,https://b.fr): the configured spelling of the
 *     request's Origin is echoed only when it is listed (compared case-insensitively),
 *     with `Access-Control-Allow-Credentials: true`; other origins get no Allow-Origin;
 *     every response then carries `Vary: Origin`, since it depends on the Origin;
 *   - nothing here reads more than the two strings it is given. */
#ifndef RBMAP_SERVER_CORS_H
#define RBMAP_SERVER_CORS_H
#include <stdbool.h>
#include <stddef.h>

struct cors_decision {
    bool allowed;            /* the Origin may read the response (or preflight passes) */
    char allow_origin[256];  /* value of Access-Control-Allow-Origin, "" for none */
    bool credentials;        /* send Access-Control-Allow-Credentials: true */
    bool vary_origin;        /* send Vary: Origin */
};

/* config: cfg->cors_origins; origin: the request's Origin header or NULL. A request
 * without Origin (not from a browser page) is allowed. */
void cors_decide(const char *config, const char *origin, struct cors_decision *out);

#endif
