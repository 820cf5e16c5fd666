/* Key and value tables of the MVT encoder: the per-layer string arena and the
 * de-duplicating hash tables (see struct mvt_dict in tiles/mvt_impl.h). */
#include "tiles/mvt_impl.h"

#include "util/text.h"

#include <stdlib.h>
#include <string.h>

static char *arena_strdup(struct mvt_arena *a, const char *s, size_t len)
{
    struct mvt_arena_chunk *c = a->head;
    if (!c || c->cap - c->used < len + 1) {
        size_t cap = len + 1 > 32768 ? len + 1 : 32768;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->prev = a->head;
        c->cap = cap;
        c->used = 0;
        a->head = c;
    }
    char *p = c->data + c->used;
    memcpy(p, s, len);
    p[len] = '\0';
    c->used += len + 1;
    return p;
}

struct mvt_arena_mark mvt_arena_mark(const struct mvt_arena *a)
{
    return (struct mvt_arena_mark){a->head, a->head ? a->head->used : 0};
}

void mvt_arena_reset(struct mvt_arena *a, struct mvt_arena_mark m)
{
    while (a->head && a->head != m.chunk) {
        struct mvt_arena_chunk *prev = a->head->prev;
        free(a->head);
        a->head = prev;
    }
    if (a->head)
        a->head->used = m.used;
}

void mvt_arena_free(struct mvt_arena *a) { mvt_arena_reset(a, (struct mvt_arena_mark){NULL, 0}); }

static inline uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Eight bytes per step: property strings are hashed once per feature and property,
 * millions of times for a big layer, so a byte-at-a-time hash shows in profiles. */
static uint64_t hash_bytes(const char *s, size_t n, uint64_t seed)
{
    uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ mix64(w)) * 0x9e3779b97f4a7c15ULL;
        s += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, s, n);
    return mix64(h ^ w);
}

uint32_t mvt_entry_hash(uint8_t type, const char *str, uint64_t bits)
{
    uint64_t h = str ? hash_bytes(str, (size_t)bits, type) : mix64(bits ^ ((uint64_t)type << 56));
    return (uint32_t)(h ^ (h >> 32));
}

static struct mvt_slot *dict_slot(struct mvt_slot *slots, uint32_t mask, uint32_t h, const struct mvt_dict *d,
                                   uint8_t type, const char *str, uint64_t bits)
{
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        struct mvt_slot *s = &slots[i];
        if (s->index == MVT_NONE)
            return s;
        if (s->hash == h && d) {
            const struct mvt_entry *e = &d->e[s->index];
            if (e->type == type && e->bits == bits && (!str || !memcmp(e->str, str, bits)))
                return s;
        }
    }
}

static bool dict_rehash(struct mvt_dict *d, uint32_t nslots)
{
    struct mvt_slot *slots = malloc((size_t)nslots * sizeof *slots);
    if (!slots)
        return false;
    memset(slots, 0xff, (size_t)nslots * sizeof *slots);
    for (size_t i = 0; i < d->n; i++) { /* oldest first: see struct mvt_dict */
        uint32_t h = d->e[i].hash;
        *dict_slot(slots, nslots - 1, h, NULL, 0, NULL, 0) = (struct mvt_slot){h, (uint32_t)i};
    }
    free(d->slots);
    d->slots = slots;
    d->mask = nslots - 1;
    return true;
}

/* Adds an entry known not to be in d yet, with its hash; MVT_NONE on allocation failure. */
uint32_t mvt_dict_append(struct mvt_layer *l, struct mvt_dict *d, uint8_t type, const char *str, uint64_t bits,
                         uint32_t h)
{
    if (d->n >= (MVT_NONE >> 2))
        return MVT_NONE;
    if (!d->slots || 2 * (d->n + 1) > (size_t)d->mask + 1) {
        if (!dict_rehash(d, d->slots ? (d->mask + 1) * 2 : 256))
            return MVT_NONE;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        struct mvt_entry *e = realloc(d->e, cap * sizeof *e);
        if (!e)
            return MVT_NONE;
        d->e = e;
        d->cap = cap;
    }
    const char *copy = NULL;
    if (str && !(copy = arena_strdup(&l->arena, str, (size_t)bits)))
        return MVT_NONE;
    uint32_t i = (uint32_t)d->n++;
    d->e[i] = (struct mvt_entry){.str = copy, .bits = bits, .hash = h, .type = type};
    *dict_slot(d->slots, d->mask, h, NULL, 0, NULL, 0) = (struct mvt_slot){h, i};
    return i;
}

/* Index of the entry, added if new; MVT_NONE on allocation failure. */
uint32_t mvt_dict_intern(struct mvt_layer *l, struct mvt_dict *d, uint8_t type, const char *str, uint64_t bits)
{
    uint32_t h = mvt_entry_hash(type, str, bits);
    if (d->slots) {
        struct mvt_slot *s = dict_slot(d->slots, d->mask, h, d, type, str, bits);
        if (s->index != MVT_NONE)
            return s->index;
    }
    return mvt_dict_append(l, d, type, str, bits, h);
}

/* Removes the entries added after the table had n of them (newest first). */
void mvt_dict_truncate(struct mvt_dict *d, size_t n)
{
    while (d->n > n) {
        uint32_t h = d->e[--d->n].hash;
        for (uint32_t i = h & d->mask;; i = (i + 1) & d->mask) {
            if (d->slots[i].index == d->n) {
                d->slots[i].index = MVT_NONE;
                break;
            }
        }
    }
}

void mvt_dict_free(struct mvt_dict *d)
{
    free(d->e);
    free(d->slots);
}

bool mvt_valid_text(const char *s, size_t len) { return memchr(s, '\0', len) == NULL && utf8_valid(s, len); }

