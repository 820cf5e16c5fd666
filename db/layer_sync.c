#include "db/layer_sync.h"

#include "db/change_batch.h"
#include "db/changelog_poll.h"
#include "db/connect.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct layer_sync {
    struct layer_sync_options opt;
    char *conninfo;
    struct site_store *sites;
    struct action_store *actions;
    struct layer_sync_hooks hooks;
    pthread_t thread;
    int stop_pipe[2];
    bool initial_load_ok;
    bool ever_connected;
    struct changelog_cursor cursor; /* poll mode; set before the initial load */
    double settle_at;               /* sync thread only: when changes_settled is due (0: not due) */
    pthread_mutex_t lock;           /* guards status */
    struct layer_sync_status status;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_error(struct layer_sync *sync, const char *msg)
{
    pthread_mutex_lock(&sync->lock);
    snprintf(sync->status.last_error, sizeof sync->status.last_error, "%.255s", msg);
    pthread_mutex_unlock(&sync->lock);
}

static void mark_synced(struct layer_sync *sync)
{
    pthread_mutex_lock(&sync->lock);
    sync->status.last_sync_epoch = (int64_t)time(NULL);
    sync->status.last_error[0] = '\0';
    pthread_mutex_unlock(&sync->lock);
}

static void count(struct layer_sync *sync, uint64_t *counter)
{
    pthread_mutex_lock(&sync->lock);
    (*counter)++;
    pthread_mutex_unlock(&sync->lock);
}

/* changes_settled is due LAYER_SYNC_SETTLE_S after the first change since the last
 * call: not pushed back by later changes, so a steady stream of edits still gets it. */
static void schedule_settled(struct layer_sync *sync)
{
    if (sync->settle_at == 0)
        sync->settle_at = now_seconds() + LAYER_SYNC_SETTLE_S;
}

static void report_area(struct layer_sync *sync, const double box[4])
{
    schedule_settled(sync);
    if (sync->hooks.area_changed)
        sync->hooks.area_changed(sync->hooks.ctx, box[0], box[1], box[2], box[3]);
}

static void report_all(struct layer_sync *sync)
{
    schedule_settled(sync);
    if (sync->hooks.all_changed)
        sync->hooks.all_changed(sync->hooks.ctx);
}

static int reload_actions(struct layer_sync *sync, PGconn *conn)
{
    char err[512];
    if (action_store_load_all(sync->actions, conn, err, sizeof err) < 0) {
        set_error(sync, err);
        return -1;
    }
    return 0;
}

static int reload_all(struct layer_sync *sync, PGconn *conn)
{
    char err[512];
    if (site_store_load_all(sync->sites, conn, err, sizeof err) < 0 ||
        action_store_load_all(sync->actions, conn, err, sizeof err) < 0) {
        set_error(sync, err);
        return -1;
    }
    count(sync, &sync->status.full_reloads);
    report_all(sync);
    mark_synced(sync);
    return 0;
}

static int drain_notifications(struct layer_sync *sync, PGconn *conn, struct change_batch *batch)
{
    if (!PQconsumeInput(conn))
        return -1;
    PGnotify *n;
    while ((n = PQnotifies(conn))) {
        change_batch_add(batch, n->extra);
        count(sync, &sync->status.notifications);
        PQfreemem(n);
    }
    return 0;
}

static int apply_batch(struct layer_sync *sync, PGconn *conn, struct change_batch *batch)
{
    int rc = 0;
    if (batch->reload_all) {
        rc = reload_all(sync, conn);
    } else if (batch->n_ids) {
        char err[512];
        rc = site_store_apply_ids(sync->sites, conn, batch->ids, batch->n_ids, err, sizeof err);
        if (rc < 0)
            set_error(sync, err);
        else
            mark_synced(sync);
    }
    /* A sur_site action follows its sites' positions, so site changes reload actions too. */
    if (rc == 0 && !batch->reload_all && (batch->reload_actions || batch->n_ids))
        rc = reload_actions(sync, conn);
    /* Actions change areas too (their points), without touching the site store. */
    if (rc == 0 && batch->has_box && !batch->reload_all)
        report_area(sync, batch->box);
    count(sync, &sync->status.batches);
    memset(batch, 0, sizeof(*batch));
    return rc;
}

static int reconcile(struct layer_sync *sync, PGconn *conn)
{
    struct site_fingerprint db_fp;
    char err[512];
    if (site_store_db_fingerprint(conn, &db_fp, err, sizeof err) < 0) {
        set_error(sync, err);
        return -1;
    }
    const struct site_snapshot *snap = site_store_acquire(sync->sites);
    bool same = site_fingerprint_equal(&snap->fingerprint, &db_fp);
    site_store_release(sync->sites, snap);
    if (same) {
        mark_synced(sync);
        return 0;
    }
    return reload_all(sync, conn);
}

/* Waits for the socket (-1: none) or the stop pipe; returns 1 to stop. */
static int wait_for_input(struct layer_sync *sync, int sock, int timeout_ms)
{
    struct pollfd fds[2] = {{.fd = sync->stop_pipe[0], .events = POLLIN}, {.fd = sock, .events = POLLIN}};
    int n = poll(fds, sock >= 0 ? 2 : 1, timeout_ms);
    return n > 0 && (fds[0].revents & POLLIN) ? 1 : 0;
}

/* The reloads read every row: they get ten times the statement timeout. */
static PGconn *open_connection(struct layer_sync *sync, char *err, size_t errlen)
{
    int timeout = sync->opt.statement_timeout_ms > 0 ? sync->opt.statement_timeout_ms * 10 : 0;
    return db_connect(sync->conninfo, timeout, err, errlen);
}

/* LISTEN mode: subscribe. Poll mode: nothing to do (the cursor is kept across
 * reconnects; a lost connection reloads everything and restarts the cursor first). */
static PGconn *connect_sync(struct layer_sync *sync)
{
    char err[512];
    PGconn *conn = open_connection(sync, err, sizeof err);
    if (!conn) {
        set_error(sync, err);
        return NULL;
    }
    if (sync->opt.poll_ms <= 0 && db_exec(conn, "LISTEN rbmap_changes", err, sizeof err) < 0) {
        set_error(sync, err);
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

static void set_connected(struct layer_sync *sync, bool connected)
{
    pthread_mutex_lock(&sync->lock);
    if (connected && !sync->status.connected && sync->ever_connected)
        sync->status.reconnects++;
    sync->ever_connected |= connected;
    if (!connected && sync->status.connected)
        sync->status.disconnected_since_epoch = (int64_t)time(NULL);
    if (connected)
        sync->status.disconnected_since_epoch = 0;
    sync->status.connected = connected;
    pthread_mutex_unlock(&sync->lock);
}

/* Poll mode: one read of the change log; the poll interval is the batch window. */
static int poll_once(struct layer_sync *sync, PGconn *conn, struct change_batch *batch)
{
    char err[512];
    int n = changelog_poll(conn, &sync->cursor, batch, sync->opt.poll_ms * 5 + 1000, err, sizeof err);
    if (n < 0) {
        set_error(sync, err);
        return -1;
    }
    pthread_mutex_lock(&sync->lock);
    sync->status.polls++;
    sync->status.notifications += (uint64_t)n;
    sync->status.replay_delay_s = sync->cursor.replay_delay_s;
    pthread_mutex_unlock(&sync->lock);
    if (change_batch_pending(batch))
        return apply_batch(sync, conn, batch);
    mark_synced(sync);
    return 0;
}

/* After (re)connecting: everything written while we were away is reloaded. LISTEN (or
 * the cursor) came first, so nothing written after the reload's snapshot is missed. */
static int resync(struct layer_sync *sync, PGconn *conn)
{
    if (sync->opt.poll_ms > 0) {
        char err[512];
        if (changelog_cursor_start(conn, &sync->cursor, 10000, err, sizeof err) < 0) {
            set_error(sync, err);
            return -1;
        }
    }
    return reload_all(sync, conn);
}

static void *sync_thread(void *arg)
{
    struct layer_sync *sync = arg;
    struct change_batch *batch = calloc(1, sizeof(*batch));
    PGconn *conn = NULL;
    int backoff_ms = 100;
    bool need_reload = !sync->initial_load_ok;
    double next_reconcile = now_seconds() + sync->opt.reconcile_interval_s;
    double batch_deadline = 0;
    bool polling = sync->opt.poll_ms > 0;
    while (batch) {
        if (!conn) {
            conn = connect_sync(sync);
            if (!conn) {
                if (wait_for_input(sync, -1, backoff_ms))
                    break;
                backoff_ms = backoff_ms < 1000 ? backoff_ms * 2 : 1000;
                continue;
            }
            backoff_ms = 100;
            set_connected(sync, true);
            if (need_reload && resync(sync, conn) < 0)
                goto connection_lost;
            need_reload = false;
        }
        int timeout_ms = polling ? sync->opt.poll_ms : 1000;
        if (!polling && batch_deadline > 0)
            timeout_ms = (int)((batch_deadline - now_seconds()) * 1000) + 1;
        if (timeout_ms < 0)
            timeout_ms = 0;
        if (wait_for_input(sync, polling ? -1 : PQsocket(conn), timeout_ms))
            break;
        if (polling) {
            if (poll_once(sync, conn, batch) < 0 && PQstatus(conn) != CONNECTION_OK)
                goto connection_lost;
        } else {
            if (drain_notifications(sync, conn, batch) < 0)
                goto connection_lost;
            bool pending = change_batch_pending(batch);
            if (pending && batch_deadline == 0)
                batch_deadline = now_seconds() + sync->opt.batch_window_ms / 1000.0;
            if (pending && now_seconds() >= batch_deadline) {
                batch_deadline = 0;
                if (apply_batch(sync, conn, batch) < 0 && PQstatus(conn) != CONNECTION_OK)
                    goto connection_lost;
            }
        }
        if (now_seconds() >= next_reconcile) {
            next_reconcile = now_seconds() + sync->opt.reconcile_interval_s;
            if (reconcile(sync, conn) < 0 && PQstatus(conn) != CONNECTION_OK)
                goto connection_lost;
        }
        if (sync->settle_at > 0 && now_seconds() >= sync->settle_at) {
            sync->settle_at = 0;
            if (sync->hooks.changes_settled)
                sync->hooks.changes_settled(sync->hooks.ctx);
        }
        if (PQstatus(conn) == CONNECTION_OK)
            continue;
    connection_lost:
        PQfinish(conn);
        conn = NULL;
        need_reload = true;
        batch_deadline = 0;
        memset(batch, 0, sizeof(*batch));
        set_connected(sync, false);
    }
    if (conn)
        PQfinish(conn);
    free(batch);
    return NULL;
}

/* The first load, on its own connection; in poll mode the cursor is placed first. */
static int initial_load(struct layer_sync *sync, char *err, size_t errlen)
{
    PGconn *conn = open_connection(sync, err, errlen);
    if (!conn)
        return -1;
    int rc = 0;
    if (sync->opt.poll_ms > 0)
        rc = changelog_cursor_start(conn, &sync->cursor, 10000, err, errlen);
    if (rc == 0)
        rc = site_store_load_all(sync->sites, conn, err, errlen) == 0 &&
                     action_store_load_all(sync->actions, conn, err, errlen) == 0
                 ? 0
                 : -1;
    PQfinish(conn);
    return rc;
}

struct layer_sync *layer_sync_start(const struct layer_sync_options *opt, struct site_store *sites,
                                    struct action_store *actions, const struct layer_sync_hooks *hooks, bool tolerate_down, char *err,
                                    size_t errlen)
{
    struct layer_sync *sync = calloc(1, sizeof(*sync));
    if (!sync) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sync->opt = *opt;
    if (sync->opt.batch_window_ms <= 0)
        sync->opt.batch_window_ms = 50;
    if (sync->opt.reconcile_interval_s <= 0)
        sync->opt.reconcile_interval_s = 30;
    sync->conninfo = strdup(opt->conninfo);
    sync->sites = sites;
    sync->actions = actions;
    sync->status.polling = opt->poll_ms > 0;
    sync->status.replay_delay_s = -1;
    sync->status.disconnected_since_epoch = (int64_t)time(NULL);
    if (hooks)
        sync->hooks = *hooks;
    pthread_mutex_init(&sync->lock, NULL);
    if (!sync->conninfo || pipe(sync->stop_pipe) < 0) {
        snprintf(err, errlen, "cannot start the sync thread: %s", strerror(errno));
        free(sync->conninfo);
        free(sync);
        return NULL;
    }
    sync->initial_load_ok = initial_load(sync, err, errlen) == 0;
    if (sync->initial_load_ok)
        mark_synced(sync);
    else
        set_error(sync, err);
    if (!sync->initial_load_ok && !tolerate_down) {
        layer_sync_stop(sync);
        return NULL;
    }
    sync->settle_at = now_seconds() + LAYER_SYNC_SETTLE_S; /* the load's temporary memory too */
    if (pthread_create(&sync->thread, NULL, sync_thread, sync) != 0) {
        snprintf(err, errlen, "cannot start the sync thread");
        close(sync->stop_pipe[0]);
        close(sync->stop_pipe[1]);
        free(sync->conninfo);
        free(sync);
        return NULL;
    }
    return sync;
}

void layer_sync_stop(struct layer_sync *sync)
{
    if (!sync)
        return;
    if (sync->thread) {
        ssize_t w = write(sync->stop_pipe[1], "x", 1);
        (void)w;
        pthread_join(sync->thread, NULL);
    }
    close(sync->stop_pipe[0]);
    close(sync->stop_pipe[1]);
    pthread_mutex_destroy(&sync->lock);
    free(sync->conninfo);
    free(sync);
}

void layer_sync_get_status(struct layer_sync *sync, struct layer_sync_status *out)
{
    pthread_mutex_lock(&sync->lock);
    *out = sync->status;
    pthread_mutex_unlock(&sync->lock);
}

double layer_sync_lag_s(const struct layer_sync_status *st)
{
    if (st->connected && !st->polling)
        return 0;
    if (!st->last_sync_epoch)
        return -1;
    return (double)((int64_t)time(NULL) - st->last_sync_epoch);
}
