#include "server/background_load.h"

#include "db/connect.h"
#include "tiles/boundaries.h"
#include "tiles/territory_bubbles.h"
#include "tiles/tile_cache.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* One loader per process (one server per process). */
static pthread_mutex_t loader_lock = PTHREAD_MUTEX_INITIALIZER;
static PGcancel *loader_cancel;
static bool loader_stopping;
static char *loader_conninfo; /* the loader's own copy: cfg may be gone if it outlives the stop */

static PGconn *loader_connect(char *err, size_t errlen)
{
    PGconn *conn = db_connect(loader_conninfo, 0, err, errlen);
    pthread_mutex_lock(&loader_lock);
    if (conn && loader_stopping) {
        PQfinish(conn);
        conn = NULL;
        snprintf(err, errlen, "server stopping");
    }
    loader_cancel = conn ? PQgetCancel(conn) : NULL;
    pthread_mutex_unlock(&loader_lock);
    return conn;
}

static void loader_disconnect(PGconn *conn)
{
    pthread_mutex_lock(&loader_lock);
    PQfreeCancel(loader_cancel);
    loader_cancel = NULL;
    pthread_mutex_unlock(&loader_lock);
    if (conn)
        PQfinish(conn);
}

/* Hands a loaded layer to the server unless it is stopping; true when handed over. */
static bool publish(struct server_ctx *ctx, struct territory_points *points, struct boundary_set *set)
{
    pthread_mutex_lock(&loader_lock);
    bool ok = !loader_stopping;
    if (ok) {
        if (points)
            atomic_store(&ctx->territories, points);
        if (set)
            atomic_store(&ctx->boundaries, set);
        tile_cache_clear(ctx->tiles); /* tiles drawn before lacked this layer */
    }
    pthread_mutex_unlock(&loader_lock);
    return ok;
}

static void *load(void *arg)
{
    struct server_ctx *ctx = arg;
    char err[1024];
    PGconn *conn = loader_connect(err, sizeof err);
    struct territory_points *points = conn ? territory_points_load(conn, err, sizeof err) : NULL;
    if (points && publish(ctx, points, NULL))
        fprintf(stderr, "rbmap serve: %zu territory points loaded\n", territory_points_count(points));
    else if (points)
        territory_points_free(points);
    else
        fprintf(stderr, "rbmap serve: warning: territory points not loaded (%s)\n", err);
    struct boundary_set *set = conn ? boundary_layer_load(conn, err, sizeof err) : NULL;
    loader_disconnect(conn);
    if (set && publish(ctx, NULL, set))
        fprintf(stderr, "rbmap serve: %zu boundaries loaded\n", boundary_layer_count(set));
    else if (set)
        boundary_layer_free(set);
    else
        fprintf(stderr, "rbmap serve: warning: boundaries not loaded (%s)\n", err);
    return NULL;
}

int background_load_start(struct server_ctx *ctx)
{
    loader_conninfo = strdup(ctx->cfg->db);
    if (!loader_conninfo)
        return -1;
    if (pthread_create(&ctx->boundaries_loader, NULL, load, ctx) != 0) {
        free(loader_conninfo);
        loader_conninfo = NULL;
        return -1;
    }
    return 0;
}

void background_load_stop(struct server_ctx *ctx, int wait_ms)
{
    pthread_mutex_lock(&loader_lock);
    loader_stopping = true;
    char ignored[256];
    if (loader_cancel)
        PQcancel(loader_cancel, ignored, sizeof ignored);
    pthread_mutex_unlock(&loader_lock);
    if (!ctx->boundaries_loader)
        return;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += wait_ms / 1000;
    deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    if (pthread_timedjoin_np(ctx->boundaries_loader, NULL, &deadline) == 0) {
        free(loader_conninfo);
        loader_conninfo = NULL;
    } else {
        fprintf(stderr, "rbmap serve: the boundaries are still loading; not waiting for them\n");
        pthread_detach(ctx->boundaries_loader);
    }
    ctx->boundaries_loader = 0;
}
