/* Who is asking: turns a request's credential into req->scope, once per request, before
 * any handler runs. This module promises:
 *   - no credential: the configured default scope (public, or national when
 *     default_scope = national on closed networks and the demo);
 *   - `Authorization: Bearer TOKEN` or `?access_token=TOKEN` (never both): a token
 *     verified by server/auth_token.h, its claims widened by server/auth_scope.h;
 *   - `Authorization: Basic` with an API key id and secret (server/auth_keys.h);
 *   - any credential that does not check out is a 401 with WWW-Authenticate (Bearer
 *     error="invalid_token" and a description, or Basic realm="rbmap"), whatever the
 *     default scope; the reason goes to stderr with the client address, never the
 *     credential itself;
 *   - 503 (not 401) when a valid-looking credential cannot be checked now: the
 *     territories are not loaded yet or the database is down for an API key;
 *   - failures that cost CPU (a bad token signature, an unknown API key id or a wrong
 *     secret) are counted per client address in ctx->auth_failures; once its bucket is
 *     empty, a credential from that address is answered 429 with Retry-After before any
 *     signature check or PBKDF2 runs.
 * The territory index is loaded at start; if the database is down then, it is loaded
 * on the first request that needs it (at most one attempt every few seconds). */
#ifndef RBMAP_SERVER_AUTH_H
#define RBMAP_SERVER_AUTH_H
#include "db/pool.h"
#include "server/auth_token.h"
#include "server/config.h"
#include "server/http.h"

#include <stddef.h>

struct auth_state;

/* Reads the configured keys (jwt_secret or jwt_secret_file, jwt_public_key_file, else
 * jwt_private_key_file). A key that is configured but unreadable is an error: a server
 * that silently refuses every token would look like a platform bug. pool may be NULL
 * (tests): API keys are then refused with 503 and territories never loaded. */
struct auth_state *auth_create(const struct config *cfg, struct db_pool *pool, char *err, size_t errlen);
void auth_free(struct auth_state *auth);

/* The configured signing and verification keys from cfg (as auth_create reads them);
 * for `rbmap token`. Returns NULL with err; an empty set is not an error. */
struct jwt_keys *auth_load_keys(const struct config *cfg, bool want_private, char *err, size_t errlen);

/* Sets req->scope. Returns 0 to go on, or -1 when res already holds the 401/400/503. */
int auth_resolve(struct server_ctx *ctx, struct request *req, struct response *res);

#endif
