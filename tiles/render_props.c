/* Interned site properties (tiles/render_props.h). A pair is key number << 26 | value
 * number; values are found at build time through an open-addressing table on a hash
 * of (type, bytes), and in a tile through a per-thread array from value number to
 * layer index, stamped with the layer's generation so that nothing is emptied between
 * layers. A value met for the first time in a layer is new to it by construction (the
 * table holds each value once), so it goes in with the hash computed at build time,
 * without a lookup in the layer's table (mvt_layer_value_new). */
#include "tiles/render_props.h"

#include "db/feature_props.h"
#include "tiles/render_snapcache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define KEY_BITS 6
#define VALUE_BITS 26
#define MAX_KEYS (1u << KEY_BITS)
#define MAX_VALUES (1u << VALUE_BITS)
#define NONE UINT32_MAX
#define REFUSED (UINT32_MAX - 1) /* a value the encoder would refuse */

struct arena_chunk {
    struct arena_chunk *prev;
    size_t used;
    char data[1 << 20];
};

struct site_prop_table {
    _Atomic(const struct snapcache_entry *) entry; /* when shared; see thin_index */
    const char *keys[MAX_KEYS];
    size_t nkeys;
    struct mvt_value *values;
    uint32_t *hashes; /* per value: mvt_value_hash */
    size_t nvalues, cap;
    uint32_t *offsets; /* n + 1: site i's pairs are pairs[offsets[i] .. offsets[i + 1]) */
    uint32_t *pairs;
    size_t npairs, pairs_cap;
    struct arena_chunk *arena;
};

/* --- build --- */

struct builder {
    struct site_prop_table *t;
    uint32_t *slot_hash; /* value table: hash, and number + 1 (0 = empty) */
    uint32_t *slot_value;
    size_t mask;
    const char *last_key_ptr[MAX_KEYS]; /* key pointers seen, to skip strcmp */
    bool failed;
};

/* Identity as the encoder sees it (its tables keep bit patterns: -0.0 and 0.0 are two
 * values): the members a type uses, never the union's other bytes. */
static bool value_equal(const struct mvt_value *a, const struct mvt_value *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case MVT_STRING: return a->v.str.len == b->v.str.len && !memcmp(a->v.str.ptr, b->v.str.ptr, a->v.str.len);
    case MVT_FLOAT: return !memcmp(&a->v.f, &b->v.f, sizeof a->v.f);
    case MVT_DOUBLE: return !memcmp(&a->v.d, &b->v.d, sizeof a->v.d);
    case MVT_INT:
    case MVT_SINT: return a->v.i == b->v.i;
    case MVT_UINT: return a->v.u == b->v.u;
    case MVT_BOOL: return a->v.b == b->v.b;
    }
    return false;
}

static const char *arena_copy(struct site_prop_table *t, const char *s, size_t len)
{
    if (len + 1 > sizeof t->arena->data)
        return NULL;
    if (!t->arena || sizeof t->arena->data - t->arena->used < len + 1) {
        struct arena_chunk *c = malloc(sizeof *c);
        if (!c)
            return NULL;
        c->prev = t->arena;
        c->used = 0;
        t->arena = c;
    }
    char *p = t->arena->data + t->arena->used;
    memcpy(p, s, len);
    p[len] = '\0';
    t->arena->used += len + 1;
    return p;
}

static bool grow_slots(struct builder *b)
{
    size_t nslots = (b->mask + 1) * 2;
    uint32_t *hashes = malloc(nslots * sizeof *hashes);
    uint32_t *values = calloc(nslots, sizeof *values);
    if (!hashes || !values) {
        free(hashes);
        free(values);
        return false;
    }
    for (size_t i = 0; i <= b->mask; i++) {
        if (!b->slot_value[i])
            continue;
        size_t j = b->slot_hash[i] & (nslots - 1);
        while (values[j])
            j = (j + 1) & (nslots - 1);
        hashes[j] = b->slot_hash[i];
        values[j] = b->slot_value[i];
    }
    free(b->slot_hash);
    free(b->slot_value);
    b->slot_hash = hashes;
    b->slot_value = values;
    b->mask = nslots - 1;
    return true;
}

static uint32_t intern_value(struct builder *b, const struct mvt_value *v)
{
    struct site_prop_table *t = b->t;
    uint32_t h;
    if (!mvt_value_hash(v, &h))
        return REFUSED;
    size_t i = h & b->mask;
    for (; b->slot_value[i]; i = (i + 1) & b->mask)
        if (b->slot_hash[i] == h && value_equal(&t->values[b->slot_value[i] - 1], v))
            return b->slot_value[i] - 1;
    if (t->nvalues + 1 >= MAX_VALUES)
        return NONE;
    if (t->nvalues == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        struct mvt_value *grown = realloc(t->values, cap * sizeof *grown);
        uint32_t *hashes = grown ? realloc(t->hashes, cap * sizeof *hashes) : NULL;
        if (grown)
            t->values = grown;
        if (!hashes)
            return NONE;
        t->hashes = hashes;
        t->cap = cap;
    }
    struct mvt_value copy = *v;
    if (v->type == MVT_STRING && !(copy.v.str.ptr = arena_copy(t, v->v.str.ptr, v->v.str.len)))
        return NONE;
    uint32_t number = (uint32_t)t->nvalues++;
    t->values[number] = copy;
    t->hashes[number] = h;
    b->slot_hash[i] = h;
    b->slot_value[i] = number + 1;
    if (2 * t->nvalues > b->mask && !grow_slots(b))
        return NONE;
    return number;
}

static uint32_t intern_key(struct builder *b, const char *key)
{
    struct site_prop_table *t = b->t;
    for (size_t k = 0; k < t->nkeys; k++)
        if (b->last_key_ptr[k] == key)
            return (uint32_t)k;
    for (size_t k = 0; k < t->nkeys; k++)
        if (!strcmp(t->keys[k], key)) {
            b->last_key_ptr[k] = key;
            return (uint32_t)k;
        }
    if (t->nkeys == MAX_KEYS)
        return NONE;
    const char *copy = arena_copy(t, key, strlen(key));
    if (!copy)
        return NONE;
    b->last_key_ptr[t->nkeys] = key;
    t->keys[t->nkeys] = copy;
    return (uint32_t)t->nkeys++;
}

static void record(struct builder *b, const char *key, const struct mvt_value *v)
{
    struct site_prop_table *t = b->t;
    if (b->failed)
        return;
    uint32_t val = intern_value(b, v);
    if (val == REFUSED)
        return; /* the encoder refuses it: the feature goes without */
    uint32_t k = intern_key(b, key);
    if (k == NONE || val == NONE) {
        b->failed = true;
        return;
    }
    if (t->npairs == t->pairs_cap) {
        size_t cap = t->pairs_cap * 2;
        uint32_t *grown = cap > UINT32_MAX ? NULL : realloc(t->pairs, cap * sizeof *grown);
        if (!grown) {
            b->failed = true;
            return;
        }
        t->pairs = grown;
        t->pairs_cap = cap;
    }
    t->pairs[t->npairs++] = k << VALUE_BITS | val;
}

/* The same choices as the tile's own sink (tiles/render.c). */
static void record_string(void *ctx, const char *key, const char *value)
{
    record(ctx, key, &(struct mvt_value){.type = MVT_STRING, .v.str = {value, strlen(value)}});
}

static void record_int(void *ctx, const char *key, int64_t value)
{
    if (value >= 0)
        record(ctx, key, &(struct mvt_value){.type = MVT_UINT, .v.u = (uint64_t)value});
    else
        record(ctx, key, &(struct mvt_value){.type = MVT_SINT, .v.i = value});
}

static void record_bool(void *ctx, const char *key, bool value)
{
    record(ctx, key, &(struct mvt_value){.type = MVT_BOOL, .v.b = value});
}

struct site_prop_table *site_prop_table_build(const struct site_snapshot *snap)
{
    struct site_prop_table *t = calloc(1, sizeof *t);
    struct builder b = {.t = t, .mask = 4095};
    if (!t || snap->count >= UINT32_MAX / 32)
        goto fail;
    t->pairs_cap = 16 * snap->count + 16;
    t->pairs = malloc(t->pairs_cap * sizeof *t->pairs);
    t->offsets = malloc((snap->count + 1) * sizeof *t->offsets);
    b.slot_hash = malloc((b.mask + 1) * sizeof *b.slot_hash);
    b.slot_value = calloc(b.mask + 1, sizeof *b.slot_value);
    if (!t->pairs || !t->offsets || !b.slot_hash || !b.slot_value)
        goto fail;
    struct prop_sink sink = {&b, record_string, record_int, record_bool};
    for (size_t i = 0; i < snap->count && !b.failed; i++) {
        t->offsets[i] = (uint32_t)t->npairs;
        const struct site *s = snap->sites[i];
        site_props_emit(&sink, snap, s, s->status, DAY_NONE, false);
    }
    t->offsets[snap->count] = (uint32_t)t->npairs;
    if (b.failed)
        goto fail;
    free(b.slot_hash);
    free(b.slot_value);
    return t;
fail:
    free(b.slot_hash);
    free(b.slot_value);
    site_prop_table_free(t);
    return NULL;
}

void site_prop_table_free(struct site_prop_table *t)
{
    if (!t)
        return;
    while (t->arena) {
        struct arena_chunk *prev = t->arena->prev;
        free(t->arena);
        t->arena = prev;
    }
    free(t->values);
    free(t->hashes);
    free(t->offsets);
    free(t->pairs);
    free(t);
}

/* --- shared per snapshot --- */

static void *build_value(const struct site_snapshot *snap) { return site_prop_table_build(snap); }
static void free_value(void *t) { site_prop_table_free(t); }
static struct snapcache shared = SNAPCACHE_INIT(build_value, free_value);

const struct site_prop_table *site_prop_table_acquire(const struct site_snapshot *snap)
{
    const struct snapcache_entry *e = snapcache_acquire(&shared, snap);
    if (!e)
        return NULL;
    struct site_prop_table *t = e->value;
    atomic_store_explicit(&t->entry, e, memory_order_relaxed);
    return t;
}

void site_prop_table_release(const struct site_prop_table *t)
{
    if (t)
        snapcache_release(&shared, atomic_load_explicit(&((struct site_prop_table *)(uintptr_t)t)->entry,
                                                        memory_order_relaxed));
}

void site_prop_table_cache_clear(void) { snapcache_clear(&shared); }

/* --- writing a tile --- */

struct site_prop_writer {
    const struct site_prop_table *t;
    struct mvt_layer *layer;
    uint32_t key_index[MAX_KEYS];
    /* value number -> generation << 32 | layer index; an older generation is unset */
    uint64_t *seen;
    size_t cap;
    uint32_t generation;
    const uint32_t *sites; /* the layer's sites, in the order they are written */
    size_t nsites;
};

static pthread_key_t writer_key;
static pthread_once_t writer_once = PTHREAD_ONCE_INIT;

static void writer_free(void *p)
{
    struct site_prop_writer *w = p;
    free(w->seen);
    free(w);
}

static void writer_init(void) { pthread_key_create(&writer_key, writer_free); }

struct site_prop_writer *site_prop_writer_begin(const struct site_prop_table *t, struct mvt_layer *layer,
                                                const uint32_t *sites, size_t nsites)
{
    pthread_once(&writer_once, writer_init);
    struct site_prop_writer *w = pthread_getspecific(writer_key);
    if (!w) {
        if (!(w = calloc(1, sizeof *w)))
            return NULL;
        pthread_setspecific(writer_key, w);
    }
    if (t->nvalues > w->cap) {
        free(w->seen);
        w->cap = 0;
        if (!(w->seen = calloc(t->nvalues, sizeof *w->seen)))
            return NULL;
        w->cap = t->nvalues;
        w->generation = 0;
    }
    if (++w->generation == 0) { /* wrapped: stamps of 2^32 layers ago would look current */
        memset(w->seen, 0, w->cap * sizeof *w->seen);
        w->generation = 1;
    }
    w->t = t;
    w->layer = layer;
    w->sites = sites;
    w->nsites = nsites;
    for (size_t k = 0; k < MAX_KEYS; k++)
        w->key_index[k] = NONE;
    return w;
}

static uint32_t value_index(struct site_prop_writer *w, uint32_t number)
{
    uint64_t seen = w->seen[number];
    if (seen >> 32 == w->generation)
        return (uint32_t)seen;
    uint32_t index = mvt_layer_value_new(w->layer, &w->t->values[number], w->t->hashes[number]);
    if (index != NONE)
        w->seen[number] = (uint64_t)w->generation << 32 | index;
    return index;
}

/* A tile's sites are spread over the whole table: each one costs a few cache misses
 * (its offset, its pairs, the stamps of its values), which dominate a big tile. They
 * are requested ahead, in three steps, each reading only what the step before fetched,
 * so that they overlap instead of stalling one after another. */
#define AHEAD_OFFSET 24
#define AHEAD_PAIRS 12
#define AHEAD_VALUES 4

static void prefetch_ahead(const struct site_prop_writer *w, size_t k)
{
    const struct site_prop_table *t = w->t;
    if (k + AHEAD_OFFSET < w->nsites)
        __builtin_prefetch(&t->offsets[w->sites[k + AHEAD_OFFSET]]);
    if (k + AHEAD_PAIRS < w->nsites)
        __builtin_prefetch(&t->pairs[t->offsets[w->sites[k + AHEAD_PAIRS]]]);
    if (k + AHEAD_VALUES < w->nsites) {
        uint32_t site = w->sites[k + AHEAD_VALUES];
        for (uint32_t p = t->offsets[site]; p < t->offsets[site + 1]; p++) {
            uint32_t number = t->pairs[p] & (MAX_VALUES - 1);
            __builtin_prefetch(&w->seen[number]);
            __builtin_prefetch(&t->values[number]);
        }
    }
}

bool site_prop_writer_add(struct site_prop_writer *w, struct mvt_feature *f, size_t k)
{
    const struct site_prop_table *t = w->t;
    if (k >= w->nsites)
        return false;
    prefetch_ahead(w, k);
    uint32_t site_index = w->sites[k];
    for (uint32_t p = t->offsets[site_index]; p < t->offsets[site_index + 1]; p++) {
        uint32_t key = t->pairs[p] >> VALUE_BITS, number = t->pairs[p] & (MAX_VALUES - 1);
        if (w->key_index[key] == NONE && (w->key_index[key] = mvt_layer_key(w->layer, t->keys[key])) == NONE)
            return false;
        uint32_t index = value_index(w, number);
        if (index == NONE || !mvt_feature_add_tag_index(f, w->key_index[key], index))
            return false;
    }
    return true;
}
