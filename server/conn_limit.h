/* Open connections per client address, counted by the server itself (libmicrohttpd's
 * own per-IP limit closes the extra connections on accept, which a client sees as a
 * reset, not as an answer). A connection opened past the limit is marked; the HTTP
 * front end answers its requests 503 with Retry-After and closes it. Thread-safe: the
 * counts change from every libmicrohttpd thread. */
#ifndef RBMAP_SERVER_CONN_LIMIT_H
#define RBMAP_SERVER_CONN_LIMIT_H
#include <stdbool.h>

struct conn_limit;

/* per_address: connections one address may hold open at once (0 = no limit). */
struct conn_limit *conn_limit_create(int per_address);
void conn_limit_destroy(struct conn_limit *cl);
/* A connection from `addr` opened: counts it; false when it is one too many. Every
 * call is balanced by one conn_limit_closed, within the limit or not. */
bool conn_limit_opened(struct conn_limit *cl, const char *addr);
void conn_limit_closed(struct conn_limit *cl, const char *addr);
/* Connections open from `addr` now (for tests and diagnostics). */
int conn_limit_open_count(struct conn_limit *cl, const char *addr);

#endif
