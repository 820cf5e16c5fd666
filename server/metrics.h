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

#endif
