/* The libmicrohttpd front end: accepts connections with a bounded thread pool,
 * turns each request into a `struct request`, routes it, sends the `struct response`,
 * counts it in the metrics and writes the access log. */
#ifndef RBMAP_SERVER_HTTP_SERVER_H
#define RBMAP_SERVER_HTTP_SERVER_H
#include "server/context.h"
#include "server/http.h"

#include <stddef.h>

struct http_server;

struct http_server *http_server_start(struct server_ctx *ctx, char *err, size_t errlen);
/* Stops accepting, lets requests in flight finish (up to drain_seconds), then stops. */
void http_server_stop(struct http_server *server, int drain_seconds);

/* Routes and runs one request (used by the front end, and by tests and fuzzers that
 * need no socket). Returns the index in routes[] (server/routes.h), or a negative
 * number when no route matched (the response is then a 404 or 405). */
int http_dispatch(struct request *req, struct response *res);

#endif
