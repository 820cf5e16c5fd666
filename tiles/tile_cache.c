/* Tile cache. Each shard keeps every entry in four intrusive structures: an LRU list,
 * a hash table on (key, z, x, y) for get/put, a hash table on (z, x, y) alone and a
 * list per zoom, the last two for evict_area. An area maps, per zoom, to a range of
 * tiles widened by the widest buffer stored at that zoom; the shard then probes the
 * tile table cell by cell, or walks that zoom's list when it is shorter than the
 * range. Entry and value are separate allocations so that a value outlives its entry
 * while readers hold it. */
#include "tiles/tile_cache.h"

#include <math.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ZOOMS (TILE_MAX_ZOOM + 1)
#define RING 64 /* recent invalidations remembered for the stale-put check */

struct value_box {
    atomic_int refs;
    struct tile_value pub; /* data and etag point just past this struct */
};

/* Hash chains keep the address of the pointer to each entry (pprev) so that removal is
 * O(1) even when hundreds of variants (scopes, filters) of one tile share a chain. */
struct entry {
    struct entry *lru_prev, *lru_next, *zoom_prev, *zoom_next;
    struct entry *key_next, **key_pprev, *tile_next, **tile_pprev;
    uint64_t hash;
    int z;
    uint32_t x, y;
    struct tile_bbox bounds;
    struct value_box *value;
    size_t charge;
    char key[];
};

struct shard {
    alignas(64) pthread_mutex_t mu;
    struct entry *lru_head, *lru_tail; /* head = most recently used */
    struct entry **keys, **tiles;      /* mask + 1 buckets each, one allocation */
    size_t mask;
    struct entry *zoom_head[ZOOMS];
    size_t zoom_count[ZOOMS];
    double zoom_margin[ZOOMS]; /* max tiles beyond its own tile a stored box reaches */
    size_t entries, bytes, budget;
    uint64_t hits, misses, inserts, replaced, evictions, invalidated;
};

struct invalidation {
    uint64_t gen;
    bool all;
    struct tile_bbox area;
};

struct tile_cache {
    struct shard *shards;
    unsigned nshards;
    size_t budget;
    pthread_mutex_t ring_mu;
    atomic_uint_fast64_t generation;
    atomic_uint_fast64_t rejected;
    struct invalidation ring[RING];
};

static uint64_t mix(uint64_t h)
{
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

static uint64_t tile_hash(int z, uint32_t x, uint32_t y)
{
    return mix((uint64_t)z << 50 ^ (uint64_t)x << 25 ^ y);
}

static uint64_t key_hash(const char *key, int z, uint32_t x, uint32_t y)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 0x100000001b3ull;
    return mix(h ^ tile_hash(z, x, y));
}

static struct shard *shard_of(struct tile_cache *c, uint64_t h)
{
    return &c->shards[(h >> 40) & (c->nshards - 1)];
}

static bool boxes_meet(const struct tile_bbox *a, const struct tile_bbox *b)
{
    return a->minx <= b->maxx && a->maxx >= b->minx && a->miny <= b->maxy &&
           a->maxy >= b->miny;
}

struct tile_cache *tile_cache_new(const struct tile_cache_config *cfg)
{
    size_t budget = cfg && cfg->budget_bytes ? cfg->budget_bytes : TILE_CACHE_DEFAULT_BUDGET;
    unsigned want = cfg && cfg->shards ? cfg->shards : TILE_CACHE_DEFAULT_SHARDS, n = 1;
    while (n * 2 <= want && n < 1024)
        n *= 2;
    while (n > 1 && budget / n < TILE_CACHE_MIN_SHARD_BYTES)
        n /= 2;
    struct tile_cache *c = calloc(1, sizeof *c);
    if (!c || !(c->shards = aligned_alloc(64, n * sizeof *c->shards))) {
        free(c);
        return NULL;
    }
    memset(c->shards, 0, n * sizeof *c->shards);
    c->nshards = n;
    c->budget = budget;
    pthread_mutex_init(&c->ring_mu, NULL);
    atomic_init(&c->generation, 1);
    atomic_init(&c->rejected, 0);
    for (unsigned i = 0; i < n; i++) {
        struct shard *s = &c->shards[i];
        pthread_mutex_init(&s->mu, NULL);
        s->budget = budget / n;
        s->mask = 63;
        s->keys = calloc(2 * (s->mask + 1), sizeof *s->keys);
        s->tiles = s->keys + s->mask + 1;
        if (!s->keys) {
            c->nshards = i + 1;
            tile_cache_free(c);
            return NULL;
        }
    }
    return c;
}

static void value_put(struct value_box *v)
{
    if (v && atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) == 1)
        free(v);
}

/* Frees a chain of removed entries (linked through lru_next) outside any lock. */
static void bury(struct entry *dead)
{
    while (dead) {
        struct entry *next = dead->lru_next;
        value_put(dead->value);
        free(dead);
        dead = next;
    }
}

void tile_cache_free(struct tile_cache *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->nshards; i++) {
        struct shard *s = &c->shards[i];
        bury(s->lru_head);
        free(s->keys);
        pthread_mutex_destroy(&s->mu);
    }
    pthread_mutex_destroy(&c->ring_mu);
    free(c->shards);
    free(c);
}

/* Unlinks e from every structure of s and pushes it on *dead for bury(). */
static void remove_entry(struct shard *s, struct entry *e, struct entry **dead)
{
    if ((*e->key_pprev = e->key_next)) e->key_next->key_pprev = e->key_pprev;
    if ((*e->tile_pprev = e->tile_next)) e->tile_next->tile_pprev = e->tile_pprev;
    if (e->lru_prev) e->lru_prev->lru_next = e->lru_next; else s->lru_head = e->lru_next;
    if (e->lru_next) e->lru_next->lru_prev = e->lru_prev; else s->lru_tail = e->lru_prev;
    if (e->zoom_prev) e->zoom_prev->zoom_next = e->zoom_next; else s->zoom_head[e->z] = e->zoom_next;
    if (e->zoom_next) e->zoom_next->zoom_prev = e->zoom_prev;
    if (--s->zoom_count[e->z] == 0)
        s->zoom_margin[e->z] = 0;
    s->entries--;
    s->bytes -= e->charge;
    e->lru_next = *dead;
    *dead = e;
}

static void lru_push_front(struct shard *s, struct entry *e)
{
    e->lru_prev = NULL;
    e->lru_next = s->lru_head;
    if (s->lru_head) s->lru_head->lru_prev = e; else s->lru_tail = e;
    s->lru_head = e;
}

static void hash_link(struct shard *s, struct entry *e)
{
    struct entry **k = &s->keys[e->hash & s->mask];
    struct entry **t = &s->tiles[tile_hash(e->z, e->x, e->y) & s->mask];
    if ((e->key_next = *k)) (*k)->key_pprev = &e->key_next;
    if ((e->tile_next = *t)) (*t)->tile_pprev = &e->tile_next;
    *k = *t = e;
    e->key_pprev = k;
    e->tile_pprev = t;
}

/* Doubles both tables; on allocation failure keeps the old ones (longer chains). */
static void grow(struct shard *s)
{
    size_t mask = s->mask * 2 + 1;
    struct entry **keys = calloc(2 * (mask + 1), sizeof *keys);
    if (!keys)
        return;
    free(s->keys);
    s->keys = keys;
    s->tiles = keys + mask + 1;
    s->mask = mask;
    for (struct entry *e = s->lru_head; e; e = e->lru_next)
        hash_link(s, e);
}

static struct entry *find(struct shard *s, uint64_t h, const char *key, int z, uint32_t x,
                          uint32_t y)
{
    for (struct entry *e = s->keys[h & s->mask]; e; e = e->key_next)
        if (e->hash == h && e->z == z && e->x == x && e->y == y && !strcmp(e->key, key))
            return e;
    return NULL;
}

const struct tile_value *tile_cache_get(struct tile_cache *c, const char *key, int z,
                                        uint32_t x, uint32_t y)
{
    if (!key || !tile_valid(z, x, y))
        return NULL;
    uint64_t h = key_hash(key, z, x, y);
    struct shard *s = shard_of(c, h);
    const struct tile_value *v = NULL;
    pthread_mutex_lock(&s->mu);
    struct entry *e = find(s, h, key, z, x, y);
    if (e) {
        if (e != s->lru_head) {
            e->lru_prev->lru_next = e->lru_next;
            if (e->lru_next) e->lru_next->lru_prev = e->lru_prev; else s->lru_tail = e->lru_prev;
            lru_push_front(s, e);
        }
        atomic_fetch_add_explicit(&e->value->refs, 1, memory_order_relaxed);
        v = &e->value->pub;
        s->hits++;
    } else {
        s->misses++;
    }
    pthread_mutex_unlock(&s->mu);
    return v;
}

static struct value_box *box_of(const struct tile_value *v)
{
    return (struct value_box *)((char *)(uintptr_t)v - offsetof(struct value_box, pub));
}

const struct tile_value *tile_value_ref(const struct tile_value *v)
{
    if (v)
        atomic_fetch_add_explicit(&box_of(v)->refs, 1, memory_order_relaxed);
    return v;
}

void tile_value_release(const struct tile_value *v)
{
    if (v)
        value_put(box_of(v));
}

uint64_t tile_cache_generation(struct tile_cache *c)
{
    return atomic_load(&c->generation);
}

/* True when an invalidation after `gen` may touch `b`. Called with the shard locked:
 * evict_area records its area before it visits any shard, so a put either sees the
 * record here or is inserted before the eviction reaches its shard. */
static bool is_stale(struct tile_cache *c, uint64_t gen, const struct tile_bbox *b)
{
    bool stale = false;
    pthread_mutex_lock(&c->ring_mu);
    uint64_t now = atomic_load(&c->generation);
    if (gen > now || now - gen >= RING) {
        stale = true; /* a made-up generation, or older than what the ring remembers */
    } else {
        for (uint64_t g = gen + 1; g <= now && !stale; g++) {
            const struct invalidation *r = &c->ring[g % RING];
            stale = r->gen == g && (r->all || boxes_meet(&r->area, b));
        }
    }
    pthread_mutex_unlock(&c->ring_mu);
    return stale;
}

/* How many tiles beyond its own the box reaches, in the clamped tile frame of zoom z. */
static double reach(const struct tile_cache_entry *e)
{
    double x0, y0, x1, y1;
    tile_lonlat_to_fraction(e->z, e->bounds.minx, e->bounds.maxy, &x0, &y0);
    tile_lonlat_to_fraction(e->z, e->bounds.maxx, e->bounds.miny, &x1, &y1);
    double m = fmax(fmax(e->x - x0, x1 - (e->x + 1.0)), fmax(e->y - y0, y1 - (e->y + 1.0)));
    return m > 0 ? m : 0;
}

static enum tile_cache_put_result refuse(struct tile_cache *c, enum tile_cache_put_result r)
{
    atomic_fetch_add_explicit(&c->rejected, 1, memory_order_relaxed);
    return r;
}

enum tile_cache_put_result tile_cache_put(struct tile_cache *c, const struct tile_cache_entry *in)
{
    const struct tile_bbox *b = &in->bounds;
    if (!in->key || !tile_valid(in->z, in->x, in->y) || (!in->data && in->len) ||
        !(b->minx <= b->maxx && b->miny <= b->maxy))
        return refuse(c, TILE_CACHE_INVALID);
    const char *etag = in->etag ? in->etag : "";
    size_t klen = strlen(in->key), elen = strlen(etag);
    size_t vsize = sizeof(struct value_box) + in->len + elen + 1;
    size_t charge = sizeof(struct entry) + klen + 1 + vsize;
    uint64_t h = key_hash(in->key, in->z, in->x, in->y);
    struct shard *s = shard_of(c, h);
    if (charge > s->budget || in->len > s->budget)
        return refuse(c, TILE_CACHE_TOO_BIG);
    struct entry *e = malloc(sizeof *e + klen + 1);
    struct value_box *v = malloc(vsize);
    if (!e || !v) {
        free(e);
        free(v);
        return refuse(c, TILE_CACHE_NOMEM);
    }
    unsigned char *data = (unsigned char *)(v + 1);
    if (in->len)
        memcpy(data, in->data, in->len);
    memcpy(data + in->len, etag, elen + 1);
    atomic_init(&v->refs, 1);
    v->pub = (struct tile_value){data, in->len, (const char *)data + in->len};
    *e = (struct entry){.hash = h, .z = in->z, .x = in->x, .y = in->y, .bounds = *b,
                        .value = v, .charge = charge};
    memcpy(e->key, in->key, klen + 1);
    double margin = reach(in);

    struct entry *dead = NULL;
    pthread_mutex_lock(&s->mu);
    if (is_stale(c, in->generation, b)) {
        pthread_mutex_unlock(&s->mu);
        free(e);
        free(v);
        return refuse(c, TILE_CACHE_STALE);
    }
    enum tile_cache_put_result r = TILE_CACHE_STORED;
    struct entry *old = find(s, h, in->key, in->z, in->x, in->y);
    if (old) {
        remove_entry(s, old, &dead);
        s->replaced++;
        r = TILE_CACHE_REPLACED;
    } else {
        s->inserts++;
    }
    while (s->bytes + charge > s->budget && s->lru_tail) {
        remove_entry(s, s->lru_tail, &dead);
        s->evictions++;
    }
    if (s->entries >= s->mask + 1)
        grow(s);
    hash_link(s, e);
    lru_push_front(s, e);
    e->zoom_next = s->zoom_head[e->z];
    if (e->zoom_next)
        e->zoom_next->zoom_prev = e;
    s->zoom_head[e->z] = e;
    s->zoom_count[e->z]++;
    if (margin > s->zoom_margin[e->z])
        s->zoom_margin[e->z] = margin;
    s->entries++;
    s->bytes += charge;
    pthread_mutex_unlock(&s->mu);
    bury(dead);
    return r;
}

/* An area in the fractional tile frame of each zoom (tile_lonlat_to_fraction). */
struct area_frac {
    double x0, y0, x1, y1;
};

/* First and last tile of one axis (clamped to the world) whose stored box may reach
 * [f0, f1]: tile t's box spans at most [t - margin, t + 1 + margin]. The slack covers
 * rounding in the fractions (a few ulps even at z24); the exact test is on lon/lat. */
static void axis_range(double f0, double f1, double margin, uint32_t n, int64_t *lo,
                       int64_t *hi)
{
    const double slack = 1e-6;
    double a = ceil(f0 - 1 - margin - slack), b = floor(f1 + margin + slack);
    *lo = a < 0 ? 0 : (int64_t)a;
    *hi = b > n - 1.0 ? (int64_t)n - 1 : (int64_t)b;
}

static size_t evict_in_shard(struct shard *s, const struct tile_bbox *area,
                             const struct area_frac *fr)
{
    struct entry *dead = NULL;
    size_t removed = 0;
    pthread_mutex_lock(&s->mu);
    for (int z = 0; z < ZOOMS && s->entries; z++) {
        if (!s->zoom_count[z])
            continue;
        int64_t xa = 0, xb = 0, ya = 0, yb = 0;
        if (area) {
            axis_range(fr[z].x0, fr[z].x1, s->zoom_margin[z], tile_count(z), &xa, &xb);
            axis_range(fr[z].y0, fr[z].y1, s->zoom_margin[z], tile_count(z), &ya, &yb);
        }
        double cells = (double)(xb - xa + 1) * (double)(yb - ya + 1);
        if (!area || cells > (double)s->zoom_count[z]) {
            for (struct entry *e = s->zoom_head[z], *next; e; e = next) {
                next = e->zoom_next;
                if (!area || boxes_meet(&e->bounds, area)) {
                    remove_entry(s, e, &dead);
                    removed++;
                }
            }
            continue;
        }
        for (int64_t y = ya; y <= yb; y++)
            for (int64_t x = xa; x <= xb; x++) {
                struct entry *e = s->tiles[tile_hash(z, (uint32_t)x, (uint32_t)y) & s->mask];
                for (struct entry *next; e; e = next) {
                    next = e->tile_next;
                    if (e->z == z && e->x == x && e->y == y && boxes_meet(&e->bounds, area)) {
                        remove_entry(s, e, &dead);
                        removed++;
                    }
                }
            }
    }
    s->invalidated += removed;
    pthread_mutex_unlock(&s->mu);
    bury(dead);
    return removed;
}

/* area NULL: everything. */
static size_t invalidate(struct tile_cache *c, const struct tile_bbox *area)
{
    struct area_frac fr[ZOOMS];
    for (int z = 0; area && z < ZOOMS; z++) {
        tile_lonlat_to_fraction(z, area->minx, area->maxy, &fr[z].x0, &fr[z].y0);
        tile_lonlat_to_fraction(z, area->maxx, area->miny, &fr[z].x1, &fr[z].y1);
    }
    pthread_mutex_lock(&c->ring_mu);
    uint64_t g = atomic_load(&c->generation) + 1;
    c->ring[g % RING] = (struct invalidation){g, !area, area ? *area : (struct tile_bbox){0}};
    atomic_store(&c->generation, g);
    pthread_mutex_unlock(&c->ring_mu);
    size_t removed = 0;
    for (unsigned i = 0; i < c->nshards; i++)
        removed += evict_in_shard(&c->shards[i], area, fr);
    return removed;
}

size_t tile_cache_evict_area(struct tile_cache *c, double minlon, double minlat,
                             double maxlon, double maxlat)
{
    if (isnan(minlon) || isnan(minlat) || isnan(maxlon) || isnan(maxlat))
        return invalidate(c, NULL);
    struct tile_bbox a = {fmin(minlon, maxlon), fmin(minlat, maxlat), fmax(minlon, maxlon),
                          fmax(minlat, maxlat)};
    return invalidate(c, &a);
}

void tile_cache_clear(struct tile_cache *c)
{
    invalidate(c, NULL);
}

void tile_cache_stats(struct tile_cache *c, struct tile_cache_stats *out)
{
    memset(out, 0, sizeof *out);
    out->budget = c->budget;
    out->shards = c->nshards;
    out->rejected = atomic_load_explicit(&c->rejected, memory_order_relaxed);
    for (unsigned i = 0; i < c->nshards; i++) {
        struct shard *s = &c->shards[i];
        pthread_mutex_lock(&s->mu);
        out->entries += s->entries;
        out->bytes += s->bytes;
        out->hits += s->hits;
        out->misses += s->misses;
        out->inserts += s->inserts;
        out->replaced += s->replaced;
        out->evictions += s->evictions;
        out->invalidated += s->invalidated;
        pthread_mutex_unlock(&s->mu);
    }
}
