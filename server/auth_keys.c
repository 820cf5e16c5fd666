#include "server/auth_keys.h"

#include "server/auth_scope.h"
#include "server/auth_token.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CACHE_SLOTS 1024 /* direct-mapped: a collision only costs one more PBKDF2 */

struct cache_slot {
    unsigned char digest[32];
    time_t verified_at; /* CLOCK_MONOTONIC seconds; 0 = empty */
};

struct api_key_cache {
    pthread_mutex_t lock;
    struct cache_slot slots[CACHE_SLOTS];
};

struct api_key_cache *api_key_cache_new(void)
{
    struct api_key_cache *c = calloc(1, sizeof(*c));
    if (c)
        pthread_mutex_init(&c->lock, NULL);
    return c;
}

void api_key_cache_free(struct api_key_cache *cache)
{
    if (!cache)
        return;
    pthread_mutex_destroy(&cache->lock);
    OPENSSL_cleanse(cache->slots, sizeof cache->slots);
    free(cache);
}

static time_t monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1; /* never 0, which marks an empty slot */
}

/* What a cache entry vouches for: this secret matched this stored hash. */
static void cache_digest(const char *id, const char *secret, const char *hash, const char *salt,
                         unsigned char out[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;
    const char *parts[] = {id, secret, hash, salt};
    bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (size_t i = 0; ok && i < 4; i++) /* with the NULs, so parts cannot slide into each other */
        ok = EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]) + 1);
    if (!ok || !EVP_DigestFinal_ex(ctx, out, &n))
        memset(out, 0, 32);
    EVP_MD_CTX_free(ctx);
}

static bool cache_hit(struct api_key_cache *cache, const unsigned char digest[32])
{
    if (!cache)
        return false;
    struct cache_slot *s = &cache->slots[(digest[0] | (unsigned)digest[1] << 8) % CACHE_SLOTS];
    pthread_mutex_lock(&cache->lock);
    bool hit = s->verified_at && monotonic_s() - s->verified_at < API_KEY_CACHE_TTL_S &&
               CRYPTO_memcmp(s->digest, digest, 32) == 0;
    pthread_mutex_unlock(&cache->lock);
    return hit;
}

static void cache_store(struct api_key_cache *cache, const unsigned char digest[32])
{
    if (!cache)
        return;
    struct cache_slot *s = &cache->slots[(digest[0] | (unsigned)digest[1] << 8) % CACHE_SLOTS];
    pthread_mutex_lock(&cache->lock);
    memcpy(s->digest, digest, 32);
    s->verified_at = monotonic_s();
    pthread_mutex_unlock(&cache->lock);
}

static void to_hex(const unsigned char *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

static int from_hex(const char *in, unsigned char *out, size_t max, size_t *len)
{
    size_t n = strlen(in);
    if (n % 2 || n / 2 > max)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        out[i / 2] = (unsigned char)(i % 2 ? (out[i / 2] << 4) | v : v);
    }
    *len = n / 2;
    return 0;
}

int api_key_hash(const char *secret, const char *salt_hex, int iterations, char out[65])
{
    unsigned char salt[64], dk[32];
    size_t salt_len;
    if (from_hex(salt_hex, salt, sizeof salt, &salt_len) < 0 || iterations < 1 ||
        !PKCS5_PBKDF2_HMAC(secret, (int)strlen(secret), salt, (int)salt_len, iterations, EVP_sha256(), 32, dk))
        return -1;
    to_hex(dk, 32, out);
    return 0;
}

int api_key_parse_basic(const char *b64, char id[API_KEY_ID_MAX + 1], char secret[API_KEY_SECRET_MAX + 1])
{
    unsigned char raw[API_KEY_ID_MAX + API_KEY_SECRET_MAX + 2];
    size_t len;
    if (base64_decode(b64, strlen(b64), false, raw, sizeof raw - 1, &len) < 0)
        return -1;
    raw[len] = '\0';
    char *colon = memchr(raw, ':', len);
    if (!colon || memchr(raw, '\0', len))
        return -1;
    size_t id_len = (size_t)(colon - (char *)raw), secret_len = len - id_len - 1;
    if (id_len == 0 || id_len > API_KEY_ID_MAX || secret_len == 0 || secret_len > API_KEY_SECRET_MAX)
        return -1;
    memcpy(id, raw, id_len);
    id[id_len] = '\0';
    memcpy(secret, colon + 1, secret_len + 1);
    OPENSSL_cleanse(raw, sizeof raw);
    return 0;
}

/* A JSON array of strings (array_to_json of a text[]) into a pointer list into doc. */
static size_t json_strings(const json_t *doc, const char **out, size_t max)
{
    size_t n = 0, i;
    const json_t *v;
    json_array_foreach(doc, i, v)
    {
        if (n < max && json_is_string(v))
            out[n++] = json_string_value(v);
    }
    return json_array_size(doc) > max ? max + 1 : n;
}

int api_key_check(PGconn *conn, struct api_key_cache *cache, const char *id, const char *secret,
                  const struct territory_index *ti, struct scope *out, char *reason, size_t reasonlen)
{
    const char *params[] = {id};
    PGresult *res = PQexecParams(conn,
                                 "SELECT secret_hash, salt, iterations, array_to_json(areas)::text,"
                                 " array_to_json(flags)::text, revoked_at IS NOT NULL,"
                                 " coalesce(expires_at <= now(), false)"
                                 " FROM rbmap_api_keys WHERE key_id = $1",
                                 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(reason, reasonlen, "API keys cannot be checked: %.200s", PQresultErrorMessage(res));
        PQclear(res);
        return API_KEY_UNAVAILABLE;
    }
    if (PQntuples(res) != 1) {
        PQclear(res);
        snprintf(reason, reasonlen, "unknown API key");
        return API_KEY_INVALID;
    }
    const char *hash = PQgetvalue(res, 0, 0), *salt = PQgetvalue(res, 0, 1);
    unsigned char digest[32];
    cache_digest(id, secret, hash, salt, digest);
    bool ok = cache_hit(cache, digest);
    if (!ok) {
        char computed[65];
        ok = api_key_hash(secret, salt, atoi(PQgetvalue(res, 0, 2)), computed) == 0 && strlen(hash) == 64 &&
             CRYPTO_memcmp(computed, hash, 64) == 0;
        if (ok)
            cache_store(cache, digest);
    }
    int rc = API_KEY_INVALID;
    json_t *areas = NULL, *flags = NULL;
    if (!ok)
        snprintf(reason, reasonlen, "wrong secret for API key");
    else if (!strcmp(PQgetvalue(res, 0, 5), "t"))
        snprintf(reason, reasonlen, "API key revoked");
    else if (!strcmp(PQgetvalue(res, 0, 6), "t"))
        snprintf(reason, reasonlen, "API key expired");
    else {
        areas = json_loads(PQgetvalue(res, 0, 3), 0, NULL);
        flags = json_loads(PQgetvalue(res, 0, 4), 0, NULL);
        const char *a[SCOPE_MAX_AREAS], *f[8];
        size_t na = json_strings(areas, a, SCOPE_MAX_AREAS), nf = json_strings(flags, f, 8);
        rc = auth_scope_from_lists(a, na > SCOPE_MAX_AREAS ? 0 : na, f, nf > 8 ? 8 : nf, id, ti, out, reason,
                                   reasonlen);
        if (rc == AUTH_SCOPE_NO_INDEX)
            rc = API_KEY_UNAVAILABLE;
        else if (rc < 0)
            rc = API_KEY_INVALID;
    }
    json_decref(areas);
    json_decref(flags);
    PQclear(res);
    return rc;
}

static int random_hex(size_t bytes, char *out)
{
    unsigned char raw[32];
    if (bytes > sizeof raw || RAND_bytes(raw, (int)bytes) != 1)
        return -1;
    to_hex(raw, bytes, out);
    return 0;
}

static char *json_list(const char *const *items, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(items[i]));
    char *text = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return text;
}

int api_key_create(PGconn *conn, const char *const *areas, size_t n_areas, const char *const *flags,
                   size_t n_flags, const char *label, const char *expires, char id[API_KEY_ID_MAX + 1],
                   char secret[API_KEY_SECRET_MAX + 1], char *err, size_t errlen)
{
    unsigned char raw[32];
    char id_hex[17], salt[33], hash[65], iterations[16];
    if (random_hex(8, id_hex) < 0 || random_hex(16, salt) < 0 || RAND_bytes(raw, sizeof raw) != 1) {
        snprintf(err, errlen, "no randomness available");
        return -1;
    }
    snprintf(id, API_KEY_ID_MAX + 1, "rbk_%s", id_hex);
    base64url_encode(raw, sizeof raw, secret); /* 43 characters, 256 bits */
    OPENSSL_cleanse(raw, sizeof raw);
    snprintf(iterations, sizeof iterations, "%d", API_KEY_ITERATIONS);
    if (api_key_hash(secret, salt, API_KEY_ITERATIONS, hash) < 0) {
        snprintf(err, errlen, "PBKDF2 failed");
        return -1;
    }
    char *areas_json = json_list(areas, n_areas), *flags_json = json_list(flags, n_flags);
    const char *params[] = {id, hash, salt, iterations, areas_json, flags_json, label, expires};
    PGresult *res = PQexecParams(
        conn,
        "WITH e AS (SELECT CASE WHEN $8::text IS NULL THEN NULL"
        " WHEN $8 ~ '^\\d{4}-\\d{2}-\\d{2}$' THEN ($8::date + 1)::timestamp AT TIME ZONE 'Europe/Paris'"
        " ELSE $8::timestamptz END AS at)"
        " INSERT INTO rbmap_api_keys(key_id, secret_hash, salt, iterations, areas, flags, label, expires_at)"
        " SELECT $1, $2, $3, $4::int, ARRAY(SELECT json_array_elements_text($5::json)),"
        " ARRAY(SELECT json_array_elements_text($6::json)), $7, e.at FROM e"
        " WHERE e.at IS NULL OR e.at > now() RETURNING key_id",
        8, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(res));
        rc = -1;
    } else if (PQntuples(res) != 1) {
        snprintf(err, errlen, "the expiry date is in the past");
        rc = -1;
    }
    PQclear(res);
    free(areas_json);
    free(flags_json);
    if (rc < 0)
        OPENSSL_cleanse(secret, API_KEY_SECRET_MAX + 1);
    return rc;
}
