/* A bounded pool of libpq connections shared by the server's worker threads.
 * Connections open lazily, carry statement_timeout, and a connection that failed is
 * dropped and reopened on a later acquire, so the pool heals after a database restart. */
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
};

struct db_pool *db_pool_create(const char *conninfo, int size, int statement_timeout_ms);
void db_pool_destroy(struct db_pool *pool);

/* Waits up to wait_ms for a free connection. Returns NULL when none frees up in time
 * or the database cannot be reached (err says which). */
PGconn *db_pool_acquire(struct db_pool *pool, int wait_ms, char *err, size_t errlen);
/* broken = the caller saw a connection-level failure; the connection is closed. */
void db_pool_release(struct db_pool *pool, PGconn *conn, bool broken);
void db_pool_get_stats(struct db_pool *pool, struct db_pool_stats *out);

#endif
