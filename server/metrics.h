/* Request counters and latency histograms per route, rendered as Prometheus text. */
#ifndef RBMAP_SERVER_METRICS_H
#define RBMAP_SERVER_METRICS_H
#include "util/buf.h"

#include <stddef.h>

struct metrics;

/* route_names: the fixed list of route names (server/routes.c); n_routes of them. */
struct metrics *metrics_create(const char *const *route_names, size_t n_routes);
void metrics_destroy(struct metrics *m);
/* route_index < n_routes, or n_routes for "no route matched". */
void metrics_observe(struct metrics *m, size_t route_index, int status, double seconds);
void metrics_render(struct metrics *m, struct buf *out);
/* The request admission (server/admission.h) whose gauges and counters render too. */
struct admission;
void metrics_attach_admission(struct metrics *m, struct admission *a);

/* Requests refused before any handler ran, by reason (rbmap_rejected_requests_total). */
enum metrics_rejection {
    METRICS_REJECT_RATE_LIMIT,    /* 429: the credential's or address's bucket is empty */
    METRICS_REJECT_AUTH_FAILURES, /* 429: too many failed credential checks from an address */
    METRICS_REJECT_CORS,          /* 403: a preflight from an origin not in cors_origins */
    METRICS_REJECT_CONNECTIONS,   /* 503: a connection past per_ip_connection_limit */
    METRICS_REJECT_COUNT
};
void metrics_count_rejection(struct metrics *m, enum metrics_rejection reason);

#endif
