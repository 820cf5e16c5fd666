/* `rbmap serve`: reads the configuration, brings the schema up to date, opens the
 * connection pool and serves until SIGTERM or SIGINT, then drains and exits cleanly.
 * SIGHUP re-reads the configuration (file, environment, flags) and applies the keys
 * listed in apply_reloadable without touching open connections; the others (listen,
 * db, pools, threads, limits MHD fixed at start, credentials, sync mode) need a restart. */
#include "server/serve.h"

#include "db/action_store.h"
#include "db/connect.h"
#include "db/layer_sync.h"
#include "db/migrate.h"
#include "db/site_store.h"
#include "server/access_log.h"
#include "server/audit_log.h"
#include "server/auth.h"
#include "server/background_load.h"
#include "server/context.h"
#include "server/handlers.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/rate_limit.h"
#include "server/routes.h"
#include "tiles/boundaries.h"
#include "tiles/cluster_layer.h"
#include "tiles/render.h"
#include "tiles/territory_bubbles.h"
#include "tiles/tile_cache.h"

#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void serve_usage(FILE *out)
{
    fprintf(out,
            "usage: rbmap serve [--listen HOST:PORT] [--db CONNINFO] [--config FILE] [--threads N]\n"
            "Serves rbmap over HTTP. Settings come from built-in defaults, then the config file\n"
            "(--config or $RBMAP_CONFIG, `key = value` lines), then RBMAP_* environment variables\n"
            "(RBMAP_LISTEN, RBMAP_DB, RBMAP_THREADS, ...), then these flags.\n");
}

/* Defaults, then file, then environment, then flags: returns 0, or 1/2 to exit with. */
static int serve_configure(struct config *cfg, int argc, char **argv)
{
    static const struct option options[] = {{"listen", required_argument, NULL, 'l'},
                                            {"db", required_argument, NULL, 'd'},
                                            {"config", required_argument, NULL, 'c'},
                                            {"threads", required_argument, NULL, 't'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    config_defaults(cfg);
    const char *config_path = getenv("RBMAP_CONFIG");
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--config"))
            config_path = argv[i + 1];
    char err[1024];
    if (config_path && *config_path && config_load_file(cfg, config_path, err, sizeof err) < 0) {
        fprintf(stderr, "rbmap serve: %s\n", err);
        return 2;
    }
    if (config_load_env(cfg, err, sizeof err) < 0) {
        fprintf(stderr, "rbmap serve: %s\n", err);
        return 2;
    }
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "l:d:c:t:h", options, NULL)) != -1) {
        const char *key = NULL;
        switch (c) {
        case 'l': key = "listen"; break;
        case 'd': key = "db"; break;
        case 't': key = "threads"; break;
        case 'c': continue;
        case 'h': serve_usage(stdout); return 1;
        default: serve_usage(stderr); return 2;
        }
        if (config_set(cfg, key, optarg, err, sizeof err) < 0) {
            fprintf(stderr, "rbmap serve: --%s: %s\n", key, err);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "rbmap serve: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!cfg->db[0]) {
        fprintf(stderr, "rbmap serve: no database: pass --db CONNINFO or set RBMAP_DB\n");
        return 2;
    }
    return 0;
}

/* What SIGHUP may change while requests run: values read per request. */
static void apply_reloadable(struct config *dst, const struct config *src)
{
    dst->tile_max_age_s = src->tile_max_age_s;
    dst->proxy_cache_max_age_s = src->proxy_cache_max_age_s;
    dst->db_wait_ms = src->db_wait_ms;
    dst->queue_wait_ms = src->queue_wait_ms;
    dst->max_body_bytes = src->max_body_bytes;
    dst->reproject_max_points = src->reproject_max_points;
    dst->ogc_limit_default = src->ogc_limit_default;
    dst->ogc_limit_max = src->ogc_limit_max;
    dst->export_max_features = src->export_max_features;
    dst->wms_max_width = src->wms_max_width;
    dst->wms_max_height = src->wms_max_height;
    dst->rate_limit_per_s = src->rate_limit_per_s;
    dst->rate_limit_burst = src->rate_limit_burst;
    dst->auth_failures_per_minute = src->auth_failures_per_minute;
    dst->trusted_proxies = src->trusted_proxies;
    dst->public_min_count = src->public_min_count;
    memcpy(dst->access_log, src->access_log, sizeof dst->access_log);
    memcpy(dst->cors_origins, src->cors_origins, sizeof dst->cors_origins);
    memcpy(dst->public_url, src->public_url, sizeof dst->public_url);
    memcpy(dst->raster_base_url, src->raster_base_url, sizeof dst->raster_base_url);
    memcpy(dst->raster_base_attribution, src->raster_base_attribution, sizeof dst->raster_base_attribution);
}

/* Requests per credential or address, and failed credential checks per address. */
static void configure_limits(struct server_ctx *ctx, const struct config *cfg)
{
    rate_limiter_configure(ctx->rate_limit, cfg->rate_limit_per_s, cfg->rate_limit_burst);
    rate_limiter_configure(ctx->auth_failures, cfg->auth_failures_per_minute / 60.0, cfg->auth_failures_per_minute);
}

/* Every configuration served stays allocated until exit: a handler may still read the
 * one it started with. */
struct config_version {
    struct config cfg;
    struct config_version *older;
};

/* Re-reads the settings; on success publishes a new configuration to the handlers. */
static void reload_config(struct server_ctx *ctx, struct config_version **versions, int argc, char **argv)
{
    struct config loaded;
    if (serve_configure(&loaded, argc, argv) != 0) {
        fprintf(stderr, "rbmap serve: SIGHUP: configuration not reloaded (see above); keeping the current one\n");
        return;
    }
    struct config_version *v = malloc(sizeof(*v));
    if (!v)
        return;
    v->cfg = *ctx->cfg;
    apply_reloadable(&v->cfg, &loaded);
    char err[512];
    if (access_log_reopen(v->cfg.access_log, err, sizeof err) < 0) {
        fprintf(stderr, "rbmap serve: SIGHUP: %s; keeping the current access log\n", err);
        memcpy(v->cfg.access_log, ctx->cfg->access_log, sizeof v->cfg.access_log);
    }
    v->older = *versions;
    *versions = v;
    __atomic_store_n(&ctx->cfg, &v->cfg, __ATOMIC_RELEASE);
    configure_limits(ctx, &v->cfg);
    if (v->cfg.public_min_count != territory_public_min_count()) {
        territory_public_min_count_set(v->cfg.public_min_count);
        tile_cache_clear(ctx->tiles); /* cached territories tiles were cut at the old threshold */
    }
    fprintf(stderr,
            "rbmap serve: SIGHUP: configuration reloaded (tile_max_age_s=%d, rate_limit_per_s=%d, rate_limit_burst=%d, "
            "auth_failures_per_minute=%d, trusted_proxies=%zu, public_min_count=%d, access_log=%s)\n",
            v->cfg.tile_max_age_s, v->cfg.rate_limit_per_s, v->cfg.rate_limit_burst, v->cfg.auth_failures_per_minute,
            v->cfg.trusted_proxies.count, v->cfg.public_min_count, v->cfg.access_log);
}

/* A database that is down at start is not fatal: the server starts degraded and
 * /health says so. A migration that fails on a reachable database is fatal. */
static int serve_migrate(const struct config *cfg)
{
    char err[2048];
    PGconn *conn = db_connect(cfg->db, 0, err, sizeof err);
    if (!conn) {
        fprintf(stderr, "rbmap serve: warning: database unreachable at start (%s); serving degraded\n", err);
        return 0;
    }
    /* A streaming replica is read-only and gets its schema from the primary. */
    PGresult *r = PQexec(conn, "SELECT pg_is_in_recovery()");
    int replica = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (replica) {
        fprintf(stderr, "rbmap serve: the database is a replica (in recovery): migrations are left to the primary\n");
        PQfinish(conn);
        return 0;
    }
    int n = db_migrate(conn, 1, err, sizeof err);
    PQfinish(conn);
    if (n < 0) {
        fprintf(stderr, "rbmap serve: %s\n", err);
        return -1;
    }
    return 0;
}

/* The sites layer's first zoom (tile_layer_minzoom) of the last snapshot seen: an edit
 * that moves it changes sites tiles far from the edit (empty below it, full above). */
static atomic_int sites_minzoom_seen = -1;

static void note_sites_minzoom(struct server_ctx *ctx, bool evict_if_moved)
{
    const struct site_snapshot *snap = site_store_acquire(ctx->sites);
    int z = tile_layer_minzoom(LAYER_SITES, snap);
    site_store_release(ctx->sites, snap);
    if (atomic_exchange(&sites_minzoom_seen, z) != z && evict_if_moved)
        tile_cache_clear(ctx->tiles);
}

/* Data changed in this area: the cached tiles that show it go. */
static void evict_area(void *arg, double minlon, double minlat, double maxlon, double maxlat)
{
    struct server_ctx *ctx = arg;
    tile_cache_evict_area(ctx->tiles, minlon, minlat, maxlon, maxlat);
    note_sites_minzoom(ctx, true);
}

static void evict_all(void *arg)
{
    struct server_ctx *ctx = arg;
    tile_cache_clear(ctx->tiles);
    note_sites_minzoom(ctx, false);
}

/* The layers settled after a change: the replaced snapshot, cluster indexes and evicted
 * tiles are free, but glibc keeps freed memory in each thread's arena at its
 * high-water mark (RSS grew by steps with every edit until ~15 edits, docs/soak.md).
 * malloc_trim gives the free pages of every arena back; a few ms, once per settled
 * batch of changes, on the sync thread. */
static void return_freed_memory(void *arg)
{
    (void)arg;
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/* Memory layers, the tile cache and the thread that keeps them equal to the database. */
static int start_layers(struct server_ctx *ctx)
{
    const struct config *cfg = ctx->cfg;
    struct tile_cache_config cache_cfg = {.budget_bytes = (size_t)cfg->tile_cache_mb * 1024 * 1024};
    territory_public_min_count_set(cfg->public_min_count);
    tile_sites_minzoom_set(cfg->sites_minzoom);
    cluster_layer_set_options(cfg->cluster_radius, cfg->cluster_extent, cfg->cluster_min_points,
                              cfg->cluster_max_zoom);
    ctx->sites = site_store_create();
    ctx->actions = action_store_create();
    ctx->tiles = tile_cache_new(&cache_cfg);
    if (!ctx->sites || !ctx->actions || !ctx->tiles)
        return -1;
    site_store_set_prepare(ctx->sites, tile_snapshot_prepare, NULL);
    if (background_load_start(ctx) < 0)
        return -1;
    struct layer_sync_options opt = {.conninfo = cfg->db, .reconcile_interval_s = cfg->reconcile_interval_s,
                                     .poll_ms = cfg->changelog_poll_ms, .statement_timeout_ms = cfg->statement_timeout_ms};
    struct layer_sync_hooks hooks = {.ctx = ctx, .area_changed = evict_area, .all_changed = evict_all,
                                     .changes_settled = return_freed_memory};
    char err[1024];
    ctx->sync = layer_sync_start(&opt, ctx->sites, ctx->actions, &hooks, true, err, sizeof err);
    if (!ctx->sync)
        return -1;
    note_sites_minzoom(ctx, false);
    const struct site_snapshot *snap = site_store_acquire(ctx->sites);
    fprintf(stderr, "rbmap serve: %zu sites in memory\n", snap->count);
    site_store_release(ctx->sites, snap);
    return 0;
}

static void stop_layers(struct server_ctx *ctx)
{
    layer_sync_stop(ctx->sync);
    background_load_stop(ctx, 1000);
    boundary_layer_free(atomic_load(&ctx->boundaries));
    territory_points_free(atomic_load(&ctx->territories));
    tile_cache_free(ctx->tiles);
    action_store_destroy(ctx->actions);
    site_store_destroy(ctx->sites);
}

static void close_logs_and_limits(struct server_ctx *ctx)
{
    access_log_close();
    audit_log_close();
    rate_limiter_free(ctx->rate_limit);
    rate_limiter_free(ctx->auth_failures);
}

int cmd_serve(int argc, char **argv)
{
    struct config cfg;
    int rc = serve_configure(&cfg, argc, argv);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (cfg.migrate_on_start && serve_migrate(&cfg) < 0)
        return 1;

    /* Signals are taken synchronously by this thread; worker threads inherit the mask. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGHUP); /* reloads the configuration, reopens the logs (logrotate) */
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[1024];
    if (access_log_open(cfg.access_log, err, sizeof err) < 0) {
        fprintf(stderr, "rbmap serve: %s\n", err);
        return 1;
    }
    if (audit_log_open(cfg.audit_log, err, sizeof err) < 0) {
        fprintf(stderr, "rbmap serve: %s\n", err);
        access_log_close();
        return 1;
    }
    struct server_ctx ctx = {.cfg = &cfg, .started_at = time(NULL)};
    /* Fixed memory: 16,384 buckets of 24 bytes each, allocated even when off so that
     * SIGHUP can turn them on. */
    ctx.rate_limit = rate_limiter_new(0, 0, 16384);
    ctx.auth_failures = rate_limiter_new(0, 0, 16384);
    if (!ctx.rate_limit || !ctx.auth_failures) {
        fprintf(stderr, "rbmap serve: out of memory\n");
        close_logs_and_limits(&ctx);
        return 1;
    }
    configure_limits(&ctx, &cfg);
    if (geocode_load(&ctx) < 0) { close_logs_and_limits(&ctx); return 1; } /* a corrupt index: refuse to start */
    ctx.pool = db_pool_create(cfg.db, cfg.db_pool_size, cfg.statement_timeout_ms);
    ctx.metrics = metrics_create(route_names, route_name_count);
    ctx.auth = auth_create(&cfg, ctx.pool, err, sizeof err);
    if (!ctx.auth) { /* a configured key that cannot be read: refuse to start */
        fprintf(stderr, "rbmap serve: %s\n", err);
        metrics_destroy(ctx.metrics);
        db_pool_destroy(ctx.pool);
        close_logs_and_limits(&ctx);
        return 1;
    }
    bool ready = ctx.pool && ctx.metrics && start_layers(&ctx) == 0;
    struct http_server *server = ready ? http_server_start(&ctx, err, sizeof err) : NULL;
    if (!server) {
        fprintf(stderr, "rbmap serve: %s\n", ready ? err : "out of memory");
        stop_layers(&ctx);
        auth_free(ctx.auth);
        metrics_destroy(ctx.metrics);
        db_pool_destroy(ctx.pool);
        close_logs_and_limits(&ctx);
        return 1;
    }
    fprintf(stderr, "rbmap serve: listening on http://%s:%d (%d threads)\n", cfg.listen_host, cfg.listen_port,
            cfg.threads);

    int sig = 0;
    struct config_version *versions = NULL;
    while (sigwait(&stop_signals, &sig) == 0 && sig == SIGHUP) {
        reload_config(&ctx, &versions, argc, argv);
        audit_log_reopen();
    }
    fprintf(stderr, "rbmap serve: %s received, draining connections\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    http_server_stop(server, 10);
    stop_layers(&ctx);
    auth_free(ctx.auth);
    metrics_destroy(ctx.metrics);
    db_pool_destroy(ctx.pool);
    geocode_unload(&ctx);
    close_logs_and_limits(&ctx);
    while (versions) {
        struct config_version *older = versions->older;
        free(versions);
        versions = older;
    }
    fprintf(stderr, "rbmap serve: stopped\n");
    return 0;
}
