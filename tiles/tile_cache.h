/* In-memory cache of encoded tiles with a byte budget, LRU eviction and invalidation by
 * area.
 *
 * What this module promises:
 * - Thread-safe: any number of threads may get, put, evict and read statistics at
 *   once. The cache is split into shards (by key hash), each with its own lock, LRU
 *   list and share of the budget, so LRU order is exact within a shard and
 *   approximate across shards (ask for one shard to get a strict global LRU).
 * - Budget: after any put, the bytes charged (value + ETag + key + a fixed per-entry
 *   overhead) never exceed the configured budget; least recently used entries of the
 *   shard go first. A tile bigger than a shard's share is not cached.
 * - Values are immutable and reference counted. tile_cache_get returns a reference
 *   that stays valid until tile_value_release, even if the entry is evicted, replaced
 *   or the cache cleared or freed meanwhile (so a server can hand the bytes to the HTTP
 *   layer without copying and release them in the response's free callback). Bytes of
 *   a value still held by a reader after its eviction no longer count in the budget.
 * - An entry is found by (key, z, x, y). The key is the caller's opaque text naming
 *   everything the tile depends on besides z/x/y: layers, filters, scope. Each entry
 *   also stores the lon/lat box it was drawn from, buffer included.
 * - tile_cache_evict_area removes exactly the entries whose stored box intersects the
 *   area (closed boxes: touching counts, an area may be a point), at every zoom. Its cost
 *   grows with the number of tiles the area covers per zoom, bounded by the number of
 *   entries at that zoom, never with the size of the whole cache.
 * - No stale tile survives an invalidation: a put carries the generation read before
 *   the tile's data was read, and is refused if an eviction touching its box (or a
 *   clear) happened since, so a tile drawn from old data cannot slip in after the
 *   eviction meant to remove it.
 */
#ifndef RBMAP_TILES_TILE_CACHE_H
#define RBMAP_TILES_TILE_CACHE_H
#include "tiles/tile_math.h"

#include <stddef.h>
#include <stdint.h>

#define TILE_CACHE_DEFAULT_BUDGET ((size_t)256 << 20)
#define TILE_CACHE_DEFAULT_SHARDS 16
/* Shards are halved until each holds at least this much (or only one is left). */
#define TILE_CACHE_MIN_SHARD_BYTES ((size_t)4 << 20)

struct tile_cache_config {
    size_t budget_bytes; /* 0: TILE_CACHE_DEFAULT_BUDGET */
    unsigned shards;     /* 0: TILE_CACHE_DEFAULT_SHARDS; rounded down to a power of 2 */
};

struct tile_value {
    const unsigned char *data;
    size_t len;
    const char *etag; /* never NULL; "" when none was given */
};

struct tile_cache_entry {
    const char *key;
    int z;
    uint32_t x, y;
    struct tile_bbox bounds;  /* lon/lat the tile covers, buffer included */
    const void *data;         /* copied by put */
    size_t len;
    const char *etag;         /* copied; may be NULL */
    uint64_t generation;      /* tile_cache_generation(), read before the data was */
};

enum tile_cache_put_result {
    TILE_CACHE_STORED,   /* a new entry */
    TILE_CACHE_REPLACED, /* an entry with the same key and z/x/y was replaced */
    TILE_CACHE_STALE,    /* refused: data changed in its area since `generation` */
    TILE_CACHE_TOO_BIG,  /* refused: larger than a shard's share of the budget */
    TILE_CACHE_INVALID,  /* refused: bad z/x/y, NaN or inverted bounds, NULL key */
    TILE_CACHE_NOMEM,
};

struct tile_cache_stats {
    size_t entries;
    size_t bytes;          /* charged bytes, <= budget */
    size_t budget;
    unsigned shards;
    uint64_t hits, misses;
    uint64_t inserts;      /* new entries stored */
    uint64_t replaced;
    uint64_t evictions;    /* removed to respect the budget */
    uint64_t invalidated;  /* removed by evict_area or clear */
    uint64_t rejected;     /* puts refused (stale, too big, invalid, no memory) */
};

struct tile_cache *tile_cache_new(const struct tile_cache_config *cfg); /* cfg may be NULL */
/* Frees the cache; values still referenced by readers stay valid until released. */
void tile_cache_free(struct tile_cache *c);

/* A new reference to the value, or NULL on a miss. */
const struct tile_value *tile_cache_get(struct tile_cache *c, const char *key, int z,
                                        uint32_t x, uint32_t y);
/* Takes one more reference (for a second holder) and returns v. */
const struct tile_value *tile_value_ref(const struct tile_value *v);
void tile_value_release(const struct tile_value *v); /* NULL is fine */

uint64_t tile_cache_generation(struct tile_cache *c);
enum tile_cache_put_result tile_cache_put(struct tile_cache *c, const struct tile_cache_entry *e);

/* Removes every entry whose stored box intersects the area; returns how many. NaN in
 * the area means "somewhere unknown" and clears the whole cache. */
size_t tile_cache_evict_area(struct tile_cache *c, double minlon, double minlat,
                             double maxlon, double maxlat);
void tile_cache_clear(struct tile_cache *c);

/* Sums of per-shard snapshots; each shard's numbers are consistent with each other. */
void tile_cache_stats(struct tile_cache *c, struct tile_cache_stats *out);

#endif
