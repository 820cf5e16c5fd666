#include "server/auth.h"

#include "db/territory_index.h"
#include "server/auth_keys.h"
#include "server/auth_scope.h"
#include "server/auth_token_cache.h"
#include "server/context.h"
#include "server/metrics.h"
#include "server/rate_limit.h"

#include <math.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define INDEX_RETRY_S 5
#define TOKEN_CACHE_SLOTS 2048 /* about 1.3 MB */

struct auth_state {
    const struct config *cfg;
    struct db_pool *pool;
    struct jwt_keys *keys;
    struct jwt_policy policy;
    struct api_key_cache *key_cache;
    struct token_cache *tokens;
    struct territory_index *_Atomic index; /* published once, read without a lock */
    pthread_mutex_t index_lock;            /* one loader at a time */
    time_t index_next_attempt;
};

struct jwt_keys *auth_load_keys(const struct config *cfg, bool want_private, char *err, size_t errlen)
{
    struct jwt_keys *keys = jwt_keys_new();
    if (!keys) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const char *pem = want_private ? cfg->jwt_private_key_file
                      : cfg->jwt_public_key_file[0] ? cfg->jwt_public_key_file : cfg->jwt_private_key_file;
    char inner[512];
    int rc = 0;
    if (cfg->jwt_secret[0] && cfg->jwt_secret_file[0]) {
        snprintf(inner, sizeof inner, "set jwt_secret or jwt_secret_file, not both");
        rc = -1;
    } else if (cfg->jwt_secret[0]) {
        rc = jwt_keys_set_secret(keys, cfg->jwt_secret, strlen(cfg->jwt_secret), inner, sizeof inner);
    } else if (cfg->jwt_secret_file[0]) {
        rc = jwt_keys_load_secret_file(keys, cfg->jwt_secret_file, inner, sizeof inner);
    }
    if (rc == 0 && pem[0])
        rc = jwt_keys_load_pem_file(keys, pem, inner, sizeof inner);
    if (rc < 0) {
        snprintf(err, errlen, "JWT key: %s", inner);
        jwt_keys_free(keys);
        return NULL;
    }
    return keys;
}

/* The index if loaded; otherwise one attempt to load it (rate-limited), so a database
 * that was down at start is picked up once it comes back. */
static const struct territory_index *get_index(struct auth_state *a)
{
    struct territory_index *ti = atomic_load(&a->index);
    if (ti || !a->pool)
        return ti;
    pthread_mutex_lock(&a->index_lock);
    ti = atomic_load(&a->index);
    time_t now = time(NULL);
    if (!ti && now >= a->index_next_attempt) {
        a->index_next_attempt = now + INDEX_RETRY_S;
        char err[1024];
        PGconn *conn = db_pool_acquire(a->pool, a->cfg->db_wait_ms, err, sizeof err);
        if (conn) {
            ti = territory_index_load(conn, err, sizeof err);
            db_pool_release(a->pool, conn, PQstatus(conn) != CONNECTION_OK);
        }
        if (ti) {
            struct territory_index_counts c;
            territory_index_get_counts(ti, &c);
            fprintf(stderr, "rbmap: auth: territory index loaded (%zu régions, %zu départements, %zu communes)\n",
                    c.regions, c.departements, c.cities);
            atomic_store(&a->index, ti);
        } else {
            fprintf(stderr, "rbmap: auth: warning: territory index not loaded (%s); retrying on demand\n", err);
        }
    }
    pthread_mutex_unlock(&a->index_lock);
    return ti;
}

struct auth_state *auth_create(const struct config *cfg, struct db_pool *pool, char *err, size_t errlen)
{
    if (!cfg->jwt_audience[0]) {
        snprintf(err, errlen, "jwt_audience must not be empty");
        return NULL;
    }
    struct auth_state *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->cfg = cfg;
    a->pool = pool;
    a->policy = (struct jwt_policy){.audience = cfg->jwt_audience, .clock_skew_s = cfg->jwt_clock_skew_s,
                                    .max_len = JWT_MAX_LEN};
    atomic_init(&a->index, NULL);
    pthread_mutex_init(&a->index_lock, NULL);
    a->keys = auth_load_keys(cfg, false, err, errlen);
    a->key_cache = api_key_cache_new();
    a->tokens = token_cache_new(TOKEN_CACHE_SLOTS);
    if (!a->keys || !a->key_cache || !a->tokens) {
        if (a->keys)
            snprintf(err, errlen, "out of memory");
        auth_free(a);
        return NULL;
    }
    if (jwt_keys_empty(a->keys))
        fprintf(stderr, "rbmap: auth: no JWT key configured: tokens are refused (API keys still work)\n");
    get_index(a);
    return a;
}

void auth_free(struct auth_state *a)
{
    if (!a)
        return;
    territory_index_free(atomic_load(&a->index));
    pthread_mutex_destroy(&a->index_lock);
    api_key_cache_free(a->key_cache);
    token_cache_free(a->tokens);
    jwt_keys_free(a->keys);
    free(a);
}

/* error_description is a quoted-string: keep it to printable ASCII without quotes. */
static void header_safe(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    for (; *in && o + 1 < outlen; in++)
        out[o++] = (*in >= 0x20 && *in < 0x7f && *in != '"' && *in != '\\') ? *in : '?';
    out[o] = '\0';
}

static int refuse(struct request *req, struct response *res, int status, const char *challenge, const char *what,
                  const char *reason)
{
    char safe[256], value[400];
    header_safe(reason, safe, sizeof safe);
    fprintf(stderr, "rbmap: auth: %s refused for %s on %s: %s\n", what, req->remote_addr, req->path, safe);
    scope_public(&req->scope); /* what the access log records for a refused request */
    if (status == 503) {
        response_error(res, 503, "credential cannot be checked now: %s", safe);
        response_set_header(res, "Retry-After", "5");
        return -1;
    }
    if (!strcmp(challenge, "Basic"))
        snprintf(value, sizeof value, "Basic realm=\"rbmap\", charset=\"UTF-8\"");
    else
        snprintf(value, sizeof value, "Bearer realm=\"rbmap\", error=\"%s\", error_description=\"%s\"",
                 status == 400 ? "invalid_request" : "invalid_token", safe);
    response_error(res, status, "%s: %s", what, safe);
    response_set_header(res, "WWW-Authenticate", value);
    return -1;
}

/* *costly is set when the credential failed a check that costs CPU (a signature or a
 * PBKDF2): those failures are counted per address (auth_failures_per_minute). */
static int resolve_token(struct auth_state *a, const char *token, struct request *req, struct response *res,
                         bool *costly)
{
    char reason[256];
    size_t len = strlen(token);
    time_t now = time(NULL);
    struct scope scope;
    if (len <= a->policy.max_len && token_cache_get(a->tokens, token, len, now, &scope)) {
        req->scope = scope;
        return 0;
    }
    json_t *claims = jwt_verify(a->keys, &a->policy, token, len, now, reason, sizeof reason);
    if (!claims) {
        *costly = !strcmp(reason, "bad signature");
        return refuse(req, res, 401, "Bearer", "invalid token", reason);
    }
    int rc = auth_scope_from_claims(claims, get_index(a), &scope, reason, sizeof reason);
    /* Valid while now < exp + skew, as jwt_verify decides; capped so the cast is safe. */
    double until = ceil(json_number_value(json_object_get(claims, "exp")) + a->policy.clock_skew_s);
    json_decref(claims);
    if (rc < 0)
        return refuse(req, res, rc == AUTH_SCOPE_NO_INDEX ? 503 : 401, "Bearer", "invalid token", reason);
    token_cache_put(a->tokens, token, len, until > (double)now + 366 * 86400.0 ? now + 366 * 86400 : (time_t)until,
                    &scope);
    req->scope = scope;
    return 0;
}

static int resolve_api_key(struct auth_state *a, const char *b64, struct request *req, struct response *res,
                           bool *costly)
{
    char id[API_KEY_ID_MAX + 1], secret[API_KEY_SECRET_MAX + 1], reason[300];
    if (api_key_parse_basic(b64, id, secret) < 0)
        return refuse(req, res, 401, "Basic", "invalid API key", "malformed Basic credentials");
    int rc = API_KEY_UNAVAILABLE;
    snprintf(reason, sizeof reason, "no database");
    PGconn *conn = a->pool ? db_pool_acquire(a->pool, a->cfg->db_wait_ms, reason, sizeof reason) : NULL;
    struct scope scope;
    if (conn) {
        rc = api_key_check(conn, a->key_cache, id, secret, get_index(a), &scope, reason, sizeof reason);
        db_pool_release(a->pool, conn, PQstatus(conn) != CONNECTION_OK);
    }
    OPENSSL_cleanse(secret, sizeof secret);
    if (rc != API_KEY_OK) {
        *costly = rc == API_KEY_INVALID; /* an unknown id or a wrong secret: guessing */
        char detail[400];
        snprintf(detail, sizeof detail, "%s (key %.64s)", reason, id);
        return refuse(req, res, rc == API_KEY_UNAVAILABLE ? 503 : 401, "Basic", "invalid API key", detail);
    }
    req->scope = scope;
    return 0;
}

static size_t count_named(const struct kv *items, size_t n, const char *name)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += !strcasecmp(items[i].key, name);
    return count;
}

/* "Scheme credentials" with a case-insensitive scheme; the credentials part or NULL. */
static const char *after_scheme(const char *header, const char *scheme)
{
    size_t n = strlen(scheme);
    if (strncasecmp(header, scheme, n) || header[n] != ' ')
        return NULL;
    header += n;
    while (*header == ' ')
        header++;
    return header;
}

/* Checked before any costly verification: an address that failed too often waits. */
static int too_many_failures(struct server_ctx *ctx, struct request *req, struct response *res, int wait)
{
    char seconds[16];
    snprintf(seconds, sizeof seconds, "%d", wait);
    fprintf(stderr, "rbmap: auth: credential refused unchecked for %s on %s: too many failed attempts\n",
            req->remote_addr, req->path);
    scope_public(&req->scope);
    metrics_count_rejection(ctx->metrics, METRICS_REJECT_AUTH_FAILURES);
    response_error(res, 429, "too many failed credential attempts from this address; retry in %d s", wait);
    response_set_header(res, "Retry-After", seconds);
    return -1;
}

static int resolve_credential(struct server_ctx *ctx, size_t n_params, struct request *req, struct response *res)
{
    struct auth_state *a = ctx->auth;
    double now = rate_limiter_now();
    int wait = rate_limiter_peek(ctx->auth_failures, req->remote_addr, now);
    if (wait)
        return too_many_failures(ctx, req, res, wait);
    bool costly = false;
    int rc;
    const char *header = request_header(req, "Authorization"), *cred;
    if (n_params)
        rc = resolve_token(a, request_param_ci(req, "access_token"), req, res, &costly);
    else if ((cred = after_scheme(header, "Bearer")))
        rc = resolve_token(a, cred, req, res, &costly);
    else if ((cred = after_scheme(header, "Basic")))
        rc = resolve_api_key(a, cred, req, res, &costly);
    else
        rc = refuse(req, res, 401, "Bearer", "invalid credential",
                    "unsupported authorization scheme (Bearer or Basic)");
    if (costly)
        rate_limiter_take(ctx->auth_failures, req->remote_addr, now);
    return rc;
}

int auth_resolve(struct server_ctx *ctx, struct request *req, struct response *res)
{
    if (ctx->cfg->default_scope_national)
        scope_national(&req->scope, 0);
    else
        scope_public(&req->scope);
    size_t n_headers = count_named(req->headers, req->n_headers, "Authorization");
    size_t n_params = count_named(req->params, req->n_params, "access_token");
    if (!n_headers && !n_params)
        return 0;
    if (n_headers + n_params > 1)
        return refuse(req, res, 400, "Bearer", "invalid request", "more than one credential in the request");
    struct auth_state *a = ctx->auth;
    if (!a)
        return refuse(req, res, 401, "Bearer", "invalid token", "credentials are not accepted by this server");
    return resolve_credential(ctx, n_params, req, res);
}
