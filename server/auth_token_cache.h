/* Verified tokens, remembered until they expire. A map view sends the same token with
 * each of its dozens of tile requests; an EdDSA or ES256 verification costs 100-500 µs
 * of CPU, a lookup here a SHA-256 of the token (about 1 µs). Exact, not approximate:
 * keys and territories do not change while the server runs, a token cannot be revoked
 * before its exp, and an entry is only used while now < valid_until (exp plus the clock
 * skew, the same bound jwt_verify applies). Only successes are stored. Entries are keyed
 * by the full SHA-256 of the token, compared in full: a collision of slots only evicts. */
#ifndef RBMAP_SERVER_AUTH_TOKEN_CACHE_H
#define RBMAP_SERVER_AUTH_TOKEN_CACHE_H
#include "db/scope.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct token_cache;

struct token_cache *token_cache_new(size_t slots);
void token_cache_free(struct token_cache *cache);
/* True and *out filled when this exact token was verified and is still valid at now. */
bool token_cache_get(struct token_cache *cache, const char *token, size_t len, time_t now, struct scope *out);
void token_cache_put(struct token_cache *cache, const char *token, size_t len, time_t valid_until,
                     const struct scope *scope);

#endif
