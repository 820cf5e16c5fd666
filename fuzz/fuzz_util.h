/* What every harness shares: the fuzz input cut into NUL-terminated fields.
 * fuzz_fields(data, size, sep, f, n) copies the input once and splits it on `sep`
 * (newline for text parsers, so corpus files stay readable); missing fields are "".
 * The last field keeps the rest of the input, separators included; rest_len is its
 * length (0 when the input has fewer fields). */
#ifndef RBMAP_FUZZ_UTIL_H
#define RBMAP_FUZZ_UTIL_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_fields {
    char *copy;
    size_t rest_len; /* length of the last field (it may hold NUL bytes) */
};

static inline void fuzz_fields(struct fuzz_fields *ff, const uint8_t *data, size_t size, char sep, const char **f,
                               size_t n)
{
    ff->copy = malloc(size + 1);
    memcpy(ff->copy, data, size);
    ff->copy[size] = '\0';
    char *p = ff->copy, *end = ff->copy + size;
    for (size_t i = 0; i < n; i++) {
        f[i] = p;
        char *s = i + 1 < n ? memchr(p, sep, (size_t)(end - p)) : NULL;
        if (!s) {
            ff->rest_len = i + 1 == n ? (size_t)(end - p) : 0;
            for (size_t j = i + 1; j < n; j++)
                f[j] = end;
            return;
        }
        *s = '\0';
        p = s + 1;
    }
}

static inline void fuzz_fields_free(struct fuzz_fields *ff)
{
    free(ff->copy);
}

/* A NUL-terminated copy of the whole input (embedded NULs cut the string short, as
 * they would in a C parameter). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#include "server/http.h"
#include <microhttpd.h>
/* Fills req's query parameters from a raw query string, in place, the way the front
 * end sees them after libmicrohttpd: split on '&', key and value on the first '=',
 * both percent-decoded (MHD_http_unescape, '+' kept as libmicrohttpd does). */
static inline void fuzz_request_query(struct request *req, char *query)
{
    char *p = query;
    while (p && *p && req->n_params < REQUEST_MAX_PARAMS) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = '\0';
        char *eq = strchr(p, '=');
        char *value = eq ? eq + 1 : p + strlen(p);
        if (eq)
            *eq = '\0';
        MHD_http_unescape(p);
        MHD_http_unescape(value);
        req->params[req->n_params++] = (struct kv){p, value};
        p = amp ? amp + 1 : NULL;
    }
}

/* What every answer to hostile input must be: a status set, never a 5xx (a client
 * mistake is a 4xx; 503 is allowed where a harness has no database or index), and a
 * JSON body that parses (reflected values escaped). Aborts otherwise, so libFuzzer
 * records the input. */
#include <jansson.h>
#include <stdio.h>
static inline void fuzz_check_response(const struct response *res)
{
    if (res->status < 200 || (res->status >= 500 && res->status != 503)) {
        fprintf(stderr, "fuzz: status %d: %.300s\n", res->status, res->body.data ? res->body.data : "");
        abort();
    }
    if (strstr(res->content_type, "json")) {
        json_error_t jerr;
        json_t *doc = json_loadb(res->body.data, res->body.len, 0, &jerr);
        if (!doc) {
            fprintf(stderr, "fuzz: invalid JSON answer (%s): %.300s\n", jerr.text, res->body.data);
            abort();
        }
        json_decref(doc);
    }
}
/* The server context of the geocoder harnesses: the real index when one is at hand
 * (RBMAP_GEOCODER_INDEX, else var/ban.idx), opened on the first call; without one the
 * handlers answer 503 and only what comes before the search is fuzzed. */
#include "geo/geocode_index.h"
#include "server/context.h"
static inline struct server_ctx *fuzz_geocoder_ctx(const char *harness)
{
    static struct server_ctx ctx;
    static int loaded;
    if (!loaded) {
        loaded = 1;
        const char *path = getenv("RBMAP_GEOCODER_INDEX");
        char err[512];
        ctx.geocoder = gidx_open(path && *path ? path : "var/ban.idx", err, sizeof err);
        if (!ctx.geocoder)
            fprintf(stderr, "%s: no geocoder index (%s): the handlers answer 503\n", harness, err);
    }
    return &ctx;
}
#endif
