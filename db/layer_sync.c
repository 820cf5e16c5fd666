#include "db/layer_sync.h"

#include "db/connect.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH_IDS 1000 /* more changes than this in one window: reload everything */

struct layer_sync {
    struct layer_sync_options opt;
    char *conninfo;
    struct site_store *sites;
    struct action_store *actions;
    struct layer_sync_hooks hooks;
    pthread_t thread;
    int stop_pipe[2];
    pthread_mutex_t lock; /* guards status */
    struct layer_sync_status status;
};

/* What one batch window gathered. */
struct pending_changes {
    int32_t ids[MAX_BATCH_IDS];
    size_t n_ids;
    bool reload_all;
    bool reload_actions;
    double box[4];
    bool has_box;
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

static void report_area(struct layer_sync *sync, const double box[4])
{
    if (sync->hooks.area_changed)
        sync->hooks.area_changed(sync->hooks.ctx, box[0], box[1], box[2], box[3]);
}

static void report_all(struct layer_sync *sync)
{
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
    pthread_mutex_lock(&sync->lock);
    sync->status.full_reloads++;
    pthread_mutex_unlock(&sync->lock);
    report_all(sync);
    mark_synced(sync);
    return 0;
}

/* Parses one payload into the batch; anything unexpected means "reload all". */
static void gather(struct pending_changes *batch, const char *payload)
{
    json_t *doc = json_loads(payload, 0, NULL);
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    json_t *id = json_object_get(doc, "id");
    json_t *bbox = json_object_get(doc, "bbox");
    if (!doc || !kind || json_is_true(json_object_get(doc, "bulk"))) {
        batch->reload_all = true;
    } else if (!strcmp(kind, "site")) {
        if (!json_is_integer(id) || batch->n_ids == MAX_BATCH_IDS)
            batch->reload_all = true;
        else
            batch->ids[batch->n_ids++] = (int32_t)json_integer_value(id);
    } else if (!strcmp(kind, "action")) {
        batch->reload_actions = true;
    }
    if (json_is_array(bbox) && json_array_size(bbox) == 4) {
        double b[4];
        for (int i = 0; i < 4; i++)
            b[i] = json_number_value(json_array_get(bbox, (size_t)i));
        if (!batch->has_box) {
            memcpy(batch->box, b, sizeof b);
            batch->has_box = true;
        } else {
            batch->box[0] = b[0] < batch->box[0] ? b[0] : batch->box[0];
            batch->box[1] = b[1] < batch->box[1] ? b[1] : batch->box[1];
            batch->box[2] = b[2] > batch->box[2] ? b[2] : batch->box[2];
            batch->box[3] = b[3] > batch->box[3] ? b[3] : batch->box[3];
        }
    }
    json_decref(doc);
}

static int drain_notifications(struct layer_sync *sync, PGconn *conn, struct pending_changes *batch)
{
    if (!PQconsumeInput(conn))
        return -1;
    PGnotify *n;
    while ((n = PQnotifies(conn))) {
        gather(batch, n->extra);
        pthread_mutex_lock(&sync->lock);
        sync->status.notifications++;
        pthread_mutex_unlock(&sync->lock);
        PQfreemem(n);
    }
    return 0;
}

static int apply_batch(struct layer_sync *sync, PGconn *conn, struct pending_changes *batch)
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
    pthread_mutex_lock(&sync->lock);
    sync->status.batches++;
    pthread_mutex_unlock(&sync->lock);
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

/* Waits for the socket or the stop pipe; returns 1 to stop. */
static int wait_for_input(struct layer_sync *sync, int sock, int timeout_ms)
{
    struct pollfd fds[2] = {{.fd = sock, .events = POLLIN}, {.fd = sync->stop_pipe[0], .events = POLLIN}};
    int n = poll(fds, 2, timeout_ms);
    return n > 0 && (fds[1].revents & POLLIN) ? 1 : 0;
}

static int sleep_or_stop(struct layer_sync *sync, int ms)
{
    struct pollfd fd = {.fd = sync->stop_pipe[0], .events = POLLIN};
    return poll(&fd, 1, ms) > 0;
}

static PGconn *connect_and_listen(struct layer_sync *sync)
{
    char err[512];
    PGconn *conn = db_connect(sync->conninfo, 0, err, sizeof err);
    if (!conn) {
        set_error(sync, err);
        return NULL;
    }
    if (db_exec(conn, "LISTEN rbmap_changes", err, sizeof err) < 0) {
        set_error(sync, err);
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

static void set_connected(struct layer_sync *sync, bool connected)
{
    pthread_mutex_lock(&sync->lock);
    if (connected && !sync->status.connected)
        sync->status.reconnects++;
    sync->status.connected = connected;
    pthread_mutex_unlock(&sync->lock);
}

static void *sync_thread(void *arg)
{
    struct layer_sync *sync = arg;
    struct pending_changes *batch = calloc(1, sizeof(*batch));
    PGconn *conn = NULL;
    int backoff_ms = 100;
    bool need_reload = false; /* after a reconnect: notifications may have been missed */
    double next_reconcile = now_seconds() + sync->opt.reconcile_interval_s;
    double batch_deadline = 0;
    while (batch) {
        if (!conn) {
            conn = connect_and_listen(sync);
            if (!conn) {
                if (sleep_or_stop(sync, backoff_ms))
                    break;
                backoff_ms = backoff_ms < 5000 ? backoff_ms * 2 : 5000;
                continue;
            }
            backoff_ms = 100;
            set_connected(sync, true);
            /* LISTEN came first, so a full reload now misses nothing written while we
             * were away (a fingerprint would miss edits that keep ids and positions). */
            if (need_reload && reload_all(sync, conn) < 0)
                goto connection_lost;
            need_reload = false;
        }
        int timeout_ms = 1000;
        if (batch_deadline > 0)
            timeout_ms = (int)((batch_deadline - now_seconds()) * 1000) + 1;
        if (timeout_ms < 0)
            timeout_ms = 0;
        if (wait_for_input(sync, PQsocket(conn), timeout_ms))
            break;
        if (drain_notifications(sync, conn, batch) < 0)
            goto connection_lost;
        bool pending = batch->reload_all || batch->reload_actions || batch->n_ids || batch->has_box;
        if (pending && batch_deadline == 0)
            batch_deadline = now_seconds() + sync->opt.batch_window_ms / 1000.0;
        if (pending && now_seconds() >= batch_deadline) {
            batch_deadline = 0;
            if (apply_batch(sync, conn, batch) < 0 && PQstatus(conn) != CONNECTION_OK)
                goto connection_lost;
        }
        if (now_seconds() >= next_reconcile) {
            next_reconcile = now_seconds() + sync->opt.reconcile_interval_s;
            if (reconcile(sync, conn) < 0 && PQstatus(conn) != CONNECTION_OK)
                goto connection_lost;
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
    if (hooks)
        sync->hooks = *hooks;
    pthread_mutex_init(&sync->lock, NULL);
    if (!sync->conninfo || pipe(sync->stop_pipe) < 0) {
        snprintf(err, errlen, "cannot start the sync thread: %s", strerror(errno));
        free(sync->conninfo);
        free(sync);
        return NULL;
    }
    PGconn *conn = db_connect(sync->conninfo, 0, err, errlen);
    int loaded = conn && site_store_load_all(sites, conn, err, errlen) == 0 &&
                         action_store_load_all(actions, conn, err, errlen) == 0
                     ? 0
                     : -1;
    if (conn)
        PQfinish(conn);
    if (loaded == 0)
        mark_synced(sync);
    else
        set_error(sync, err);
    if (loaded < 0 && !tolerate_down) {
        layer_sync_stop(sync);
        return NULL;
    }
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
