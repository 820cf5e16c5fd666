#include "db/pool.h"

#include "db/connect.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 2000

struct db_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    char *conninfo;
    int statement_timeout_ms;
    int size;
    int in_use;
    int n_idle;
    PGconn **idle; /* stack of open, unused connections */
    int open;
    unsigned long long waits_timed_out;
    unsigned long long connect_failures;
    /* Outage state: no new connect is tried before next_attempt_ms (monotonic). */
    int up;
    long long down_since;
    long long next_attempt_ms;
    long long last_success_ms; /* a failed attempt that began before this says nothing new */
    int backoff_ms;
    char last_error[256];
};

static long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct db_pool *db_pool_create(const char *conninfo, int size, int statement_timeout_ms)
{
    struct db_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pool->conninfo = strdup(conninfo ? conninfo : "");
    pool->idle = calloc((size_t)(size > 0 ? size : 1), sizeof(PGconn *));
    if (!pool->conninfo || !pool->idle) {
        free(pool->conninfo);
        free(pool->idle);
        free(pool);
        return NULL;
    }
    pool->size = size > 0 ? size : 1;
    pool->statement_timeout_ms = statement_timeout_ms;
    pool->up = 1;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->freed, NULL);
    return pool;
}

void db_pool_destroy(struct db_pool *pool)
{
    if (!pool)
        return;
    for (int i = 0; i < pool->n_idle; i++)
        PQfinish(pool->idle[i]);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->freed);
    free(pool->idle);
    free(pool->conninfo);
    free(pool);
}

/* An idle connection whose server closed it (restart, admin kill) has its socket
 * readable at EOF; reading it now turns PQstatus bad instead of failing a query. */
static int still_alive(PGconn *conn)
{
    if (PQstatus(conn) != CONNECTION_OK)
        return 0;
    struct pollfd fd = {.fd = PQsocket(conn), .events = POLLIN};
    if (poll(&fd, 1, 0) > 0) {
        if (!PQconsumeInput(conn))
            return 0;
        PGnotify *n;
        while ((n = PQnotifies(conn)))
            PQfreemem(n);
    }
    return PQstatus(conn) == CONNECTION_OK;
}

/* Called with the lock held. */
static void note_failure(struct db_pool *pool, const char *err, long long attempt_started_ms)
{
    pool->connect_failures++;
    if (attempt_started_ms < pool->last_success_ms)
        return; /* a slow attempt from before the database came back */
    if (pool->up) {
        fprintf(stderr, "rbmap: database unreachable: %s\n", err);
        pool->up = 0;
        pool->down_since = (long long)time(NULL);
        pool->backoff_ms = BACKOFF_MIN_MS;
    } else {
        pool->backoff_ms = pool->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : pool->backoff_ms * 2;
    }
    pool->next_attempt_ms = monotonic_ms() + pool->backoff_ms;
    snprintf(pool->last_error, sizeof pool->last_error, "%.255s", err);
}

static void note_success(struct db_pool *pool)
{
    if (!pool->up)
        fprintf(stderr, "rbmap: database reachable again after %lld s\n", (long long)time(NULL) - pool->down_since);
    pool->up = 1;
    pool->down_since = 0;
    pool->next_attempt_ms = 0;
    pool->last_success_ms = monotonic_ms();
    pool->last_error[0] = '\0';
}

static void give_back_slot(struct db_pool *pool)
{
    pool->in_use--;
    pthread_cond_signal(&pool->freed);
}

PGconn *db_pool_acquire(struct db_pool *pool, int wait_ms, char *err, size_t errlen)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += wait_ms / 1000;
    deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&pool->lock);
    while (pool->in_use >= pool->size) {
        if (pthread_cond_timedwait(&pool->freed, &pool->lock, &deadline) == ETIMEDOUT) {
            pool->waits_timed_out++;
            pthread_mutex_unlock(&pool->lock);
            snprintf(err, errlen, "all %d database connections are busy", pool->size);
            return NULL;
        }
    }
    pool->in_use++;
    PGconn *conn = NULL;
    while (pool->n_idle && !conn) {
        conn = pool->idle[--pool->n_idle];
        if (!still_alive(conn)) {
            PQfinish(conn);
            conn = NULL;
            pool->open--;
        }
    }
    if (conn) {
        pthread_mutex_unlock(&pool->lock);
        return conn;
    }
    if (!pool->up && monotonic_ms() < pool->next_attempt_ms) {
        snprintf(err, errlen, "database unreachable (%s)", pool->last_error);
        give_back_slot(pool);
        pthread_mutex_unlock(&pool->lock);
        return NULL;
    }
    if (!pool->up) /* this thread tries; the others keep failing fast meanwhile */
        pool->next_attempt_ms = monotonic_ms() + BACKOFF_MAX_MS * 5;
    pthread_mutex_unlock(&pool->lock);

    /* Connecting happens outside the lock: it can take up to connect_timeout. */
    long long attempt_started = monotonic_ms();
    conn = db_connect(pool->conninfo, pool->statement_timeout_ms, err, errlen);
    pthread_mutex_lock(&pool->lock);
    if (conn) {
        pool->open++;
        note_success(pool);
    } else {
        note_failure(pool, err, attempt_started);
        give_back_slot(pool);
    }
    pthread_mutex_unlock(&pool->lock);
    return conn;
}

void db_pool_release(struct db_pool *pool, PGconn *conn, bool broken)
{
    if (!conn)
        return;
    if (!broken && PQtransactionStatus(conn) != PQTRANS_IDLE)
        broken = true; /* a handler left a transaction open: never hand that on */
    pthread_mutex_lock(&pool->lock);
    pool->in_use--;
    if (broken || PQstatus(conn) != CONNECTION_OK) {
        pool->open--;
        pthread_mutex_unlock(&pool->lock);
        PQfinish(conn);
        pthread_mutex_lock(&pool->lock);
    } else {
        pool->idle[pool->n_idle++] = conn;
    }
    pthread_cond_signal(&pool->freed);
    pthread_mutex_unlock(&pool->lock);
}

void db_pool_get_stats(struct db_pool *pool, struct db_pool_stats *out)
{
    pthread_mutex_lock(&pool->lock);
    out->size = pool->size;
    out->open = pool->open;
    out->in_use = pool->in_use;
    out->waits_timed_out = pool->waits_timed_out;
    out->connect_failures = pool->connect_failures;
    out->up = pool->up;
    out->down_since = pool->down_since;
    snprintf(out->last_error, sizeof out->last_error, "%s", pool->last_error);
    pthread_mutex_unlock(&pool->lock);
}

int db_pool_retry_after_s(struct db_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    long long left = pool->up ? 0 : pool->next_attempt_ms - monotonic_ms();
    pthread_mutex_unlock(&pool->lock);
    int s = (int)((left + 999) / 1000);
    return s < 1 ? 1 : s > 5 ? 5 : s;
}
