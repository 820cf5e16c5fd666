/* Keeps the in-memory layers equal to the database. A background thread LISTENs on
 * `rbmap_changes` (db/migrations/003), gathers the notifications of a short window,
 * reloads the changed rows by id and tells the caller which areas changed (so cached
 * tiles there can be evicted). Every reconcile_interval_s it compares fingerprints of
 * memory and database and reloads everything when they differ (a missed notification,
 * a write with triggers disabled). When the database goes away the thread reconnects
 * with backoff and reloads everything once it is back.
 * With poll_ms > 0 the thread reads the change log (db/changelog_poll.h) every poll_ms
 * instead of LISTENing: that works on a streaming replica, where NOTIFY never arrives. */
#ifndef RBMAP_DB_LAYER_SYNC_H
#define RBMAP_DB_LAYER_SYNC_H
#include "db/action_store.h"
#include "db/site_store.h"

#include <stdbool.h>
#include <stdint.h>

struct layer_sync_hooks {
    void *ctx;
    /* A site or action changed inside this lon/lat box (old and new positions). */
    void (*area_changed)(void *ctx, double minlon, double minlat, double maxlon, double maxlat);
    /* Everything may have changed (bulk load, reconcile, reconnect). */
    void (*all_changed)(void *ctx);
    /* Called from the sync thread LAYER_SYNC_SETTLE_S after a change was applied (and
     * after the start), at most once per LAYER_SYNC_SETTLE_S however many changes
     * come: the replaced layers have been freed by then (requests hold a snapshot for
     * milliseconds), so this is when to give freed memory back to the system. */
    void (*changes_settled)(void *ctx);
};
#define LAYER_SYNC_SETTLE_S 2.0

struct layer_sync_options {
    const char *conninfo;
    int batch_window_ms;      /* gather notifications this long before applying (default 50) */
    int reconcile_interval_s; /* default 30 */
    int poll_ms;              /* > 0: poll the change log every poll_ms instead of LISTEN */
    int statement_timeout_ms; /* on the sync connection; the reloads get 10x (0 = none) */
};

struct layer_sync_status {
    bool connected;
    bool polling;             /* change-log mode (poll_ms > 0) */
    uint64_t notifications, batches, full_reloads, reconnects, polls;
    int64_t last_sync_epoch;  /* when memory was last known equal to the database */
    int64_t disconnected_since_epoch; /* 0 while connected */
    double replay_delay_s;    /* polling a replica: its replay delay; -1 otherwise */
    char last_error[256];
};

struct layer_sync;

/* Loads everything once (returns NULL with err when the first load fails and
 * tolerate_down is false; with tolerate_down the thread keeps trying) and starts the
 * thread. */
struct layer_sync *layer_sync_start(const struct layer_sync_options *opt, struct site_store *sites,
                                    struct action_store *actions, const struct layer_sync_hooks *hooks, bool tolerate_down, char *err,
                                    size_t errlen);
void layer_sync_stop(struct layer_sync *sync);
void layer_sync_get_status(struct layer_sync *sync, struct layer_sync_status *out);
/* How far memory may be behind the database, in seconds: 0 while LISTENing, the time
 * since the last poll when polling, the time since the last sync while disconnected. */
double layer_sync_lag_s(const struct layer_sync_status *st);

#endif
