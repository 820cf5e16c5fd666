/* GET /metrics: Prometheus text exposition. */
#include "server/context.h"
#include "server/handlers.h"
#include "server/metrics.h"

#include <time.h>

void handle_metrics(struct request *req, struct response *res)
{
    struct server_ctx *ctx = req->ctx;
    response_set_type(res, "text/plain; version=0.0.4; charset=utf-8");
    response_set_header(res, "Cache-Control", "no-store");
    if (!ctx || !ctx->metrics) {
        response_error(res, 503, "metrics are not available");
        return;
    }
    metrics_render(ctx->metrics, &res->body);
    buf_printf(&res->body,
               "# HELP rbmap_uptime_seconds Seconds since the server started.\n"
               "# TYPE rbmap_uptime_seconds gauge\nrbmap_uptime_seconds %lld\n",
               (long long)(time(NULL) - ctx->started_at));
    if (ctx->pool) {
        struct db_pool_stats st;
        db_pool_get_stats(ctx->pool, &st);
        buf_printf(&res->body,
                   "# HELP rbmap_db_pool_connections Database connections by state.\n"
                   "# TYPE rbmap_db_pool_connections gauge\n"
                   "rbmap_db_pool_connections{state=\"max\"} %d\n"
                   "rbmap_db_pool_connections{state=\"open\"} %d\n"
                   "rbmap_db_pool_connections{state=\"in_use\"} %d\n"
                   "# HELP rbmap_db_pool_wait_timeouts_total Requests that found no free connection in time.\n"
                   "# TYPE rbmap_db_pool_wait_timeouts_total counter\n"
                   "rbmap_db_pool_wait_timeouts_total %llu\n"
                   "# HELP rbmap_db_connect_failures_total Failed attempts to open a database connection.\n"
                   "# TYPE rbmap_db_connect_failures_total counter\n"
                   "rbmap_db_connect_failures_total %llu\n",
                   st.size, st.open, st.in_use, st.waits_timed_out, st.connect_failures);
    }
}
