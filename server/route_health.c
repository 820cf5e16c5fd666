/* GET /health: is the service alive, can it reach its database, how fresh is the data.
 * Always 200 while the process serves (the layers keep serving from memory when the
 * database is away); "status" says "ok" or "degraded" and why: the database's state
 * (up, or down since when), the layer sync (connected, mode, last sync, lag). */
#include "server/context.h"
#include "server/handlers.h"

#include "db/connect.h"
#include "db/layer_sync.h"
#include "tiles/tile_cache.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RBMAP_VERSION "0.1.0"

static double elapsed_ms(struct timespec start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start.tv_sec) * 1e3 + (double)(now.tv_nsec - start.tv_nsec) / 1e6;
}

static json_t *nullable_text(PGresult *r, int col)
{
    return PQgetisnull(r, 0, col) ? json_null() : json_string(PQgetvalue(r, 0, col));
}

/* One round trip gives reachability, schema version and data freshness. */
static const char health_sql[] =
    "SELECT (SELECT max(version) FROM rbmap_schema_migrations),"
    " (SELECT count(*) FROM shantytowns),"
    " (SELECT count(*) FROM shantytowns WHERE closed_at IS NULL),"
    " (SELECT count(*) FROM actions),"
    " (SELECT count(*) FROM cities),"
    " to_char((SELECT max(updated_at) FROM shantytowns) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char((SELECT max(updated_at) FROM actions) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

static json_t *iso_time(int64_t epoch)
{
    if (!epoch)
        return json_null();
    char text[32];
    struct tm tm;
    time_t t = (time_t)epoch;
    gmtime_r(&t, &tm);
    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(text);
}

/* The pool's view of the database: up, or down since when and why. */
static void pool_state(struct server_ctx *ctx, json_t *db)
{
    struct db_pool_stats st;
    db_pool_get_stats(ctx->pool, &st);
    json_object_set_new(db, "state", json_string(st.up ? "up" : "down"));
    if (!st.up) {
        json_object_set_new(db, "down_since", iso_time(st.down_since));
        json_object_set_new(db, "retry_after_s", json_integer(db_pool_retry_after_s(ctx->pool)));
    }
    json_object_set_new(db, "pool", json_pack("{s:i,s:i,s:i}", "max", st.size, "open", st.open, "in_use", st.in_use));
}

/* The probe waits at most db_wait_ms: past that it is cancelled on the server, and
 * /health answers "degraded" rather than hanging behind a lock or a stuck database. */
static json_t *database_health(struct server_ctx *ctx, json_t **data)
{
    json_t *db = json_object();
    *data = json_null();
    if (!ctx || !ctx->pool) {
        json_object_set_new(db, "reachable", json_false());
        json_object_set_new(db, "error", json_string("no database configured"));
        return db;
    }
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    char err[512];
    int wait_ms = ctx->cfg->db_wait_ms > 0 ? ctx->cfg->db_wait_ms : 1;
    PGconn *conn = db_pool_acquire(ctx->pool, wait_ms, err, sizeof err);
    if (!conn) {
        json_object_set_new(db, "reachable", json_false());
        json_object_set_new(db, "error", json_string(err));
        pool_state(ctx, db);
        return db;
    }
    int timed_out;
    PGresult *r = db_query_deadline(conn, health_sql, 0, NULL, wait_ms, &timed_out, err, sizeof err);
    int ok = r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    json_object_set_new(db, "reachable", json_boolean(ok));
    json_object_set_new(db, "latency_ms", json_real((double)(long long)(elapsed_ms(start) * 1000) / 1000));
    if (ok) {
        json_object_set_new(db, "schema_version", json_integer(atoi(PQgetvalue(r, 0, 0))));
        json_decref(*data);
        *data = json_pack("{s:I,s:I,s:I,s:I,s:o,s:o}", "sites", (json_int_t)atoll(PQgetvalue(r, 0, 1)),
                          "open_sites", (json_int_t)atoll(PQgetvalue(r, 0, 2)), "actions",
                          (json_int_t)atoll(PQgetvalue(r, 0, 3)), "cities", (json_int_t)atoll(PQgetvalue(r, 0, 4)),
                          "last_site_change", nullable_text(r, 5), "last_action_change", nullable_text(r, 6));
    } else {
        json_object_set_new(db, "error", json_stringn(err, strcspn(err, "\n")));
        if (timed_out)
            json_object_set_new(db, "cancelled", json_true());
    }
    int broken = !r || PQstatus(conn) != CONNECTION_OK;
    PQclear(r);
    db_pool_release(ctx->pool, conn, broken);
    pool_state(ctx, db);
    return db;
}

/* The in-memory layers: are they following the database, and since when. */
static json_t *layers_health(struct server_ctx *ctx)
{
    if (!ctx || !ctx->sync)
        return json_null();
    struct layer_sync_status st;
    layer_sync_get_status(ctx->sync, &st);
    const struct site_snapshot *snap = site_store_acquire(ctx->sites);
    json_t *out = json_pack("{s:s,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "mode", st.polling ? "changelog" : "listen",
                            "connected", st.connected, "listening", st.connected && !st.polling, "sites_in_memory",
                            (json_int_t)snap->count, "snapshot_version", (json_int_t)snap->version, "notifications",
                            (json_int_t)st.notifications, "polls", (json_int_t)st.polls, "full_reloads",
                            (json_int_t)st.full_reloads, "reconnects", (json_int_t)st.reconnects, "last_sync_epoch",
                            (json_int_t)st.last_sync_epoch, "seconds_since_sync",
                            (json_int_t)(st.last_sync_epoch ? time(NULL) - st.last_sync_epoch : -1));
    site_store_release(ctx->sites, snap);
    json_object_set_new(out, "last_sync", iso_time(st.last_sync_epoch));
    json_object_set_new(out, "lag_s", json_real(layer_sync_lag_s(&st)));
    if (!st.connected)
        json_object_set_new(out, "disconnected_since", iso_time(st.disconnected_since_epoch));
    if (st.replay_delay_s >= 0)
        json_object_set_new(out, "replica_replay_delay_s", json_real(st.replay_delay_s));
    json_object_set_new(out, "territories_loaded", json_boolean(atomic_load(&ctx->territories) != NULL));
    json_object_set_new(out, "boundaries_loaded", json_boolean(atomic_load(&ctx->boundaries) != NULL));
    if (st.last_error[0])
        json_object_set_new(out, "last_error", json_string(st.last_error));
    return out;
}

void handle_health(struct request *req, struct response *res)
{
    json_t *data;
    json_t *db = database_health(req->ctx, &data);
    int healthy = json_is_true(json_object_get(db, "reachable"));
    json_t *doc = json_pack("{s:s,s:s,s:I,s:o,s:o,s:o}", "status", healthy ? "ok" : "degraded", "version",
                            RBMAP_VERSION, "uptime_s", (json_int_t)(req->ctx ? time(NULL) - req->ctx->started_at : 0),
                            "database", db, "data", data, "layers", layers_health(req->ctx));
    response_json(res, 200, doc);
    response_set_header(res, "Cache-Control", "no-store");
    json_decref(doc);
}
