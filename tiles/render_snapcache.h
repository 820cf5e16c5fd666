/* One derived structure per site snapshot (a thinning index, interned properties),
 * built on first use and shared by every thread reading that snapshot.
 *
 * What this module promises:
 * - A snapshot is known by its address, version and count: a store gives every new
 *   snapshot a new version (db/site_store does), so a freed snapshot's address reused
 *   by a later one is never mistaken for it.
 * - snapcache_acquire builds at most once per snapshot: threads asking for the snapshot
 *   being built wait for it. It keeps one structure, the newest snapshot's; a request
 *   for an older snapshot than the one kept or being built gets NULL (the caller takes
 *   its slow path), and so does a failed build.
 * - A structure handed out stays valid until snapcache_release, even after a newer
 *   snapshot's replaced it; the last release frees it with the cache's free function. */
#ifndef RBMAP_TILES_RENDER_SNAPCACHE_H
#define RBMAP_TILES_RENDER_SNAPCACHE_H
#include "db/site_store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

struct snapcache_entry {
    atomic_int refs;
    const void *addr;
    uint64_t version;
    size_t count;
    void *value;
};

struct snapcache {
    void *(*build)(const struct site_snapshot *snap); /* NULL on failure */
    void (*destroy)(void *value);
    pthread_mutex_t mu;
    pthread_cond_t built;
    struct snapcache_entry *current;
    const void *building_addr; /* NULL when no build runs */
    uint64_t building_version;
};

#define SNAPCACHE_INIT(build_fn, destroy_fn) \
    {build_fn, destroy_fn, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0}

/* The entry for snap (its value in ->value), or NULL; release it when done. */
const struct snapcache_entry *snapcache_acquire(struct snapcache *c, const struct site_snapshot *snap);
void snapcache_release(struct snapcache *c, const struct snapcache_entry *e); /* NULL is fine */
/* Drops the kept structure (tests, shutdown); readers holding it keep it. */
void snapcache_clear(struct snapcache *c);

#endif
