/* What the running server shares with every handler. */
#ifndef RBMAP_SERVER_CONTEXT_H
#define RBMAP_SERVER_CONTEXT_H
#include "db/pool.h"
#include "server/config.h"

#include <pthread.h>
#include <time.h>

struct metrics;
struct site_store;
struct action_store;
struct tile_cache;
struct layer_sync;
struct boundary_set;
struct territory_points;
struct auth_state;
struct rate_limiter;

struct server_ctx {
    const struct config *cfg;
    struct db_pool *pool;   /* NULL in unit tests of handlers that need no database */
    struct metrics *metrics;
    time_t started_at;
    struct site_store *sites;      /* in-memory layers, kept in sync by `sync` */
    struct action_store *actions;
    /* Loaded once by a background thread after start; NULL until then (or if that
     * failed). Read with atomic_load: it is published while requests run. */
    _Atomic(struct boundary_set *) boundaries;
    pthread_t boundaries_loader;
    /* Territory reference points (tiles/territory_bubbles.h): loaded by the same thread,
     * before the boundaries (they take a fraction of a second); same rules. */
    _Atomic(struct territory_points *) territories;
    struct tile_cache *tiles;
    struct layer_sync *sync;
    struct gidx *geocoder;         /* geocoder index (geo/geocode_index.h); NULL when none */
    struct auth_state *auth;       /* credentials -> scope (server/auth.h); NULL in unit tests */
    /* server/rate_limit.h; configured from cfg at start and on SIGHUP: requests per credential or address, and failed
     * credential checks (bad signature, bad API key secret) per address. */
    struct rate_limiter *rate_limit;
    struct rate_limiter *auth_failures;
};

#endif
