/* GET /metrics: Prometheus text exposition. */
#include "server/context.h"
#include "server/handlers.h"
#include "server/metrics.h"

#include "db/layer_sync.h"

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
        buf_printf(&res->body,
                   "# HELP rbmap_db_up 1 when the last connection attempt to the database succeeded.\n"
                   "# TYPE rbmap_db_up gauge\nrbmap_db_up %d\n"
                   "# HELP rbmap_db_down_seconds Seconds since the database became unreachable (0 when up).\n"
                   "# TYPE rbmap_db_down_seconds gauge\nrbmap_db_down_seconds %lld\n",
                   st.up, st.up || !st.down_since ? 0LL : (long long)time(NULL) - st.down_since);
    }
    if (ctx->sync) {
        struct layer_sync_status ls;
        layer_sync_get_status(ctx->sync, &ls);
        buf_printf(&res->body,
                   "# HELP rbmap_layer_sync_connected 1 while the layer sync follows the database.\n"
                   "# TYPE rbmap_layer_sync_connected gauge\nrbmap_layer_sync_connected{mode=\"%s\"} %d\n"
                   "# HELP rbmap_layer_sync_lag_seconds How far the in-memory layers may be behind the database.\n"
                   "# TYPE rbmap_layer_sync_lag_seconds gauge\nrbmap_layer_sync_lag_seconds %.3f\n"
                   "# HELP rbmap_layer_sync_last_sync_timestamp_seconds When memory was last known equal to the database.\n"
                   "# TYPE rbmap_layer_sync_last_sync_timestamp_seconds gauge\n"
                   "rbmap_layer_sync_last_sync_timestamp_seconds %lld\n"
                   "# HELP rbmap_layer_sync_events_total Change events read, batches applied, full reloads, reconnects, polls.\n"
                   "# TYPE rbmap_layer_sync_events_total counter\n"
                   "rbmap_layer_sync_events_total{event=\"change\"} %llu\n"
                   "rbmap_layer_sync_events_total{event=\"batch\"} %llu\n"
                   "rbmap_layer_sync_events_total{event=\"full_reload\"} %llu\n"
                   "rbmap_layer_sync_events_total{event=\"reconnect\"} %llu\n"
                   "rbmap_layer_sync_events_total{event=\"poll\"} %llu\n",
                   ls.polling ? "changelog" : "listen", ls.connected ? 1 : 0, layer_sync_lag_s(&ls),
                   (long long)ls.last_sync_epoch, (unsigned long long)ls.notifications,
                   (unsigned long long)ls.batches, (unsigned long long)ls.full_reloads,
                   (unsigned long long)ls.reconnects, (unsigned long long)ls.polls);
    }
}
