#include "server/metrics.h"

#include "server/admission.h"

#include <pthread.h>
#include <stdlib.h>

static const double latency_buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define N_BUCKETS (sizeof latency_buckets / sizeof latency_buckets[0])
#define MAX_STATUSES 16 /* distinct status codes tracked per route; more fold into "other" */

struct status_count {
    int status;
    unsigned long long count;
};

struct route_metrics {
    struct status_count statuses[MAX_STATUSES];
    size_t n_statuses;
    unsigned long long other_statuses;
    unsigned long long buckets[N_BUCKETS]; /* non-cumulative; summed when rendered */
    unsigned long long count;
    double sum_seconds;
};

struct metrics {
    pthread_mutex_t lock;
    const char *const *names;
    size_t n_routes;
    struct route_metrics *routes; /* n_routes + 1: the last is "unmatched" */
    unsigned long long rejections[METRICS_REJECT_COUNT];
    struct admission *admission;  /* NULL until the HTTP front end attaches it */
};

static const char *const rejection_names[METRICS_REJECT_COUNT] = {"rate_limit", "auth_failures", "cors",
                                                                     "per_ip_connections"};

void metrics_count_rejection(struct metrics *m, enum metrics_rejection reason)
{
    if (!m || reason >= METRICS_REJECT_COUNT)
        return;
    pthread_mutex_lock(&m->lock);
    m->rejections[reason]++;
    pthread_mutex_unlock(&m->lock);
}

struct metrics *metrics_create(const char *const *route_names, size_t n_routes)
{
    struct metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->routes = calloc(n_routes + 1, sizeof(*m->routes));
    if (!m->routes) {
        free(m);
        return NULL;
    }
    m->names = route_names;
    m->n_routes = n_routes;
    pthread_mutex_init(&m->lock, NULL);
    return m;
}

void metrics_destroy(struct metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m->routes);
    free(m);
}

void metrics_observe(struct metrics *m, size_t route_index, int status, double seconds)
{
    if (route_index > m->n_routes)
        route_index = m->n_routes;
    pthread_mutex_lock(&m->lock);
    struct route_metrics *r = &m->routes[route_index];
    size_t i;
    for (i = 0; i < r->n_statuses && r->statuses[i].status != status; i++)
        ;
    if (i < r->n_statuses)
        r->statuses[i].count++;
    else if (r->n_statuses < MAX_STATUSES)
        r->statuses[r->n_statuses++] = (struct status_count){status, 1};
    else
        r->other_statuses++;
    for (i = 0; i < N_BUCKETS && seconds > latency_buckets[i]; i++)
        ;
    if (i < N_BUCKETS)
        r->buckets[i]++;
    r->count++;
    r->sum_seconds += seconds;
    pthread_mutex_unlock(&m->lock);
}

void metrics_attach_admission(struct metrics *m, struct admission *a) { m->admission = a; }

static void render_admission(struct admission *a, struct buf *out)
{
    struct admission_stats st;
    admission_get_stats(a, &st);
    buf_printf(out,
               "# HELP rbmap_http_workers Requests being handled, and the most that may be.\n"
               "# TYPE rbmap_http_workers gauge\n"
               "rbmap_http_workers{state=\"busy\"} %d\nrbmap_http_workers{state=\"max\"} %d\n"
               "# HELP rbmap_http_queue Requests waiting for a worker, and the most that may wait.\n"
               "# TYPE rbmap_http_queue gauge\n"
               "rbmap_http_queue{state=\"waiting\"} %d\nrbmap_http_queue{state=\"max\"} %d\n"
               "# HELP rbmap_http_overload_rejections_total Requests answered 503 because every worker was busy.\n"
               "# TYPE rbmap_http_overload_rejections_total counter\n"
               "rbmap_http_overload_rejections_total{reason=\"queue_full\"} %llu\n"
               "rbmap_http_overload_rejections_total{reason=\"wait_timeout\"} %llu\n",
               st.busy, st.workers, st.waiting, st.queue_max, st.rejected_full, st.rejected_timeout);
}

void metrics_render(struct metrics *m, struct buf *out)
{
    if (m->admission)
        render_admission(m->admission, out);
    buf_puts(out, "# HELP rbmap_http_requests_total HTTP requests by route and status.\n"
                  "# TYPE rbmap_http_requests_total counter\n");
    pthread_mutex_lock(&m->lock);
    for (size_t r = 0; r <= m->n_routes; r++) {
        const char *name = r < m->n_routes ? m->names[r] : "unmatched";
        const struct route_metrics *rm = &m->routes[r];
        for (size_t i = 0; i < rm->n_statuses; i++)
            buf_printf(out, "rbmap_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n", name,
                       rm->statuses[i].status, rm->statuses[i].count);
        if (rm->other_statuses)
            buf_printf(out, "rbmap_http_requests_total{route=\"%s\",status=\"other\"} %llu\n", name,
                       rm->other_statuses);
    }
    buf_puts(out, "# HELP rbmap_http_request_duration_seconds Time to produce a response, by route.\n"
                  "# TYPE rbmap_http_request_duration_seconds histogram\n");
    for (size_t r = 0; r <= m->n_routes; r++) {
        const char *name = r < m->n_routes ? m->names[r] : "unmatched";
        const struct route_metrics *rm = &m->routes[r];
        if (!rm->count)
            continue;
        unsigned long long cumulative = 0;
        for (size_t i = 0; i < N_BUCKETS; i++) {
            cumulative += rm->buckets[i];
            buf_printf(out, "rbmap_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n", name,
                       latency_buckets[i], cumulative);
        }
        buf_printf(out, "rbmap_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n", name,
                   rm->count);
        buf_printf(out, "rbmap_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", name, rm->sum_seconds);
        buf_printf(out, "rbmap_http_request_duration_seconds_count{route=\"%s\"} %llu\n", name, rm->count);
    }
    buf_puts(out, "# HELP rbmap_rejected_requests_total Requests refused before any handler, by reason.\n"
                  "# TYPE rbmap_rejected_requests_total counter\n");
    for (size_t i = 0; i < METRICS_REJECT_COUNT; i++)
        buf_printf(out, "rbmap_rejected_requests_total{reason=\"%s\"} %llu\n", rejection_names[i],
                   m->rejections[i]);
    pthread_mutex_unlock(&m->lock);
}
