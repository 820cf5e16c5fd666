/* A bounded pool of libpq connections shared by the server's worker threads.
 * Connections open lazily, carry statement_timeout, and a connection that failed is
 * dropped and reopened on a later acquire, so the pool heals after a database restart.
 * An idle connection whose server went away is noticed before it is handed out. After a
 * failed connect, acquires fail at once for a short, growing interval (250 ms to 2 s)
 * instead of each waiting on a dead server: requests that need the database get a fast
 * 503 while it is away, and one attempt per interval finds it when it is back. */
#ifndef RBMAP_DB_POOL_H
#define RBMAP_DB_POOL_H
#include <libpq-fe.h>
#include <stdbool.h>

struct db_pool;

struct db_pool_stats {
    int size;      /* maximum connections */
    int open;      /* connections currently open */
    int in_use;
    unsigned long long waits_timed_out;
    unsigned long long connect_failures;
    int up;                 /* 1 after a successful connect or query, 0 after a failed connect */
    long long down_since;   /* epoch seconds of the first failure of the current outage, 0 when up */
    char last_error[256];
};

struct db_pool *db_pool_create(const char *conninfo, int size, int statement_timeout_ms);
void db_pool_destroy(struct db_pool *pool);

/* Waits up to wait_ms for a free connection. Returns NULL when none frees up in time
 * or the database cannot be reached (err says which). */
PGconn *db_pool_acquire(struct db_pool *pool, int wait_ms, char *err, size_t errlen);
/* broken = the caller saw a connection-level failure; the connection is closed. */
void db_pool_release(struct db_pool *pool, PGconn *conn, bool broken);
void db_pool_get_stats(struct db_pool *pool, struct db_pool_stats *out);
/* Seconds a client should wait before retrying while the database is away (>= 1). */
int db_pool_retry_after_s(struct db_pool *pool);

#endif
