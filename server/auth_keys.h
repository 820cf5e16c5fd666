/* API keys for GIS clients: HTTP Basic, key id as user name, secret as password.
 * Rows live in rbmap_api_keys (db/migrations/004_api_keys.sql). This module promises:
 *   - secrets are stored only as PBKDF2-HMAC-SHA256 (random 16-byte salt,
 *     API_KEY_ITERATIONS rounds) and compared in constant time;
 *   - every check reads the key's row (bound parameters), so a revocation or an expiry
 *     takes effect on the next request;
 *   - only the PBKDF2 result is cached (API_KEY_CACHE_TTL_S), keyed by a SHA-256 of the
 *     id, the secret and the stored hash, so the 100 requests of a WMS client cost one
 *     PBKDF2 and a changed hash invalidates the entry by itself. Failures are never
 *     cached (a wrong secret always costs a PBKDF2: the rate limit will bound that);
 *   - the secret is checked before the key's state, so without it nobody learns whether
 *     a key id exists, is revoked or has expired. */
#ifndef RBMAP_SERVER_AUTH_KEYS_H
#define RBMAP_SERVER_AUTH_KEYS_H
#include "db/scope.h"
#include "db/territory_index.h"

#include <libpq-fe.h>
#include <stddef.h>

#define API_KEY_ITERATIONS 100000
#define API_KEY_CACHE_TTL_S 300
#define API_KEY_ID_MAX 64
#define API_KEY_SECRET_MAX 128

struct api_key_cache;
struct api_key_cache *api_key_cache_new(void);
void api_key_cache_free(struct api_key_cache *cache);

/* The base64 part of "Authorization: Basic ..." into id and secret; -1 if malformed. */
int api_key_parse_basic(const char *b64, char id[API_KEY_ID_MAX + 1], char secret[API_KEY_SECRET_MAX + 1]);

enum { API_KEY_OK = 0, API_KEY_INVALID = -1, /* 401 */ API_KEY_UNAVAILABLE = -2 /* 503 */ };

/* Checks id/secret against the database and fills the key's widened scope. cache may
 * be NULL (no caching). ti may be NULL for national keys; a territorial key then gets
 * API_KEY_UNAVAILABLE. reason is safe to log (no secret). */
int api_key_check(PGconn *conn, struct api_key_cache *cache, const char *id, const char *secret,
                  const struct territory_index *ti, struct scope *out, char *reason, size_t reasonlen);

/* Creates a key: areas and flags in the claims' text forms (checked by the caller),
 * label may be "", expires NULL (never) or a date YYYY-MM-DD (valid through that day,
 * Paris time) or a timestamp PostgreSQL understands; it must be in the future. Fills
 * the new id and secret (shown once, never stored). */
int api_key_create(PGconn *conn, const char *const *areas, size_t n_areas, const char *const *flags,
                   size_t n_flags, const char *label, const char *expires, char id[API_KEY_ID_MAX + 1],
                   char secret[API_KEY_SECRET_MAX + 1], char *err, size_t errlen);

/* Hex PBKDF2-HMAC-SHA256 of secret (64 characters + NUL into out). */
int api_key_hash(const char *secret, const char *salt_hex, int iterations, char out[65]);

#endif
