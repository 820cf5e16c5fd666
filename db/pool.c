#include "db/pool.h"

#include "db/connect.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
};

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
    PGconn *conn = pool->n_idle ? pool->idle[--pool->n_idle] : NULL;
    pthread_mutex_unlock(&pool->lock);

    if (conn && PQstatus(conn) != CONNECTION_OK) {
        PQfinish(conn);
        conn = NULL;
        pthread_mutex_lock(&pool->lock);
        pool->open--;
        pthread_mutex_unlock(&pool->lock);
    }
    if (!conn) {
        /* Connecting happens outside the lock: it can take up to connect_timeout. */
        conn = db_connect(pool->conninfo, pool->statement_timeout_ms, err, errlen);
        pthread_mutex_lock(&pool->lock);
        if (conn) {
            pool->open++;
        } else {
            pool->connect_failures++;
            pool->in_use--;
            pthread_cond_signal(&pool->freed);
        }
        pthread_mutex_unlock(&pool->lock);
    }
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
    pthread_mutex_unlock(&pool->lock);
}
