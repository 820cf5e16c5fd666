/* The request and response every handler sees. The libmicrohttpd front end
 * (server/http.c) fills a request from the connection and sends the response back;
 * handlers never touch libmicrohttpd, so they can be unit-tested and fuzzed directly. */
#ifndef RBMAP_SERVER_HTTP_H
#define RBMAP_SERVER_HTTP_H
#include "db/scope.h"
#include "util/buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct server_ctx; /* server/context.h */

struct kv {
    char *key;
    char *value;
};

#define REQUEST_MAX_PARAMS 64
#define REQUEST_MAX_HEADERS 64

struct request {
    const char *method;       /* "GET", "POST", ... */
    const char *path;         /* decoded path, without the query string */
    struct kv params[REQUEST_MAX_PARAMS]; /* query-string arguments, in order */
    size_t n_params;
    struct kv headers[REQUEST_MAX_HEADERS];
    size_t n_headers;
    const char *body;         /* POST body (bounded by config max_body_bytes), may be NULL */
    size_t body_len;
    char remote_addr[64];
    struct scope scope;       /* who is asking: every data path filters by it */
    struct server_ctx *ctx;
};

#define RESPONSE_MAX_HEADERS 16

struct response {
    int status;
    char content_type[96];
    struct buf body;
    struct kv headers[RESPONSE_MAX_HEADERS];
    size_t n_headers;
    long long features; /* -1: unknown; handlers of site-level data set how many features
                           they returned, for the audit log (server/audit_log.h) */
};

/* Query parameter by exact name; NULL when absent. */
const char *request_param(const struct request *req, const char *name);
/* Query parameter by case-insensitive name (WMS and other OGC key-value requests). */
const char *request_param_ci(const struct request *req, const char *name);
/* Header by case-insensitive name. */
const char *request_header(const struct request *req, const char *name);
/* Content-Type without parameters (no "; charset=..."), lower case, into out. */
void request_content_type(const struct request *req, char *out, size_t outlen);

void response_init(struct response *res);
void response_free(struct response *res);
void response_set_header(struct response *res, const char *name, const char *value);
void response_set_type(struct response *res, const char *content_type);
/* A JSON body; the document is not stolen. */
void response_json(struct response *res, int status, const json_t *doc);
/* {"error": {"status": N, "message": "..."}} with the formatted message. */
void response_error(struct response *res, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

typedef void (*handler_fn)(struct request *req, struct response *res);

#endif
