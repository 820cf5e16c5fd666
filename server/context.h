/* What the running server shares with every handler. */
#ifndef RBMAP_SERVER_CONTEXT_H
#define RBMAP_SERVER_CONTEXT_H
#include "db/pool.h"
#include "server/config.h"

#include <time.h>

struct metrics;

struct server_ctx {
    const struct config *cfg;
    struct db_pool *pool;   /* NULL in unit tests of handlers that need no database */
    struct metrics *metrics;
    time_t started_at;
};

#endif
