/* MVT encoder: tile and layers, features and their properties. Geometry commands are
 * in tiles/mvt_geom.c, the key/value tables in tiles/mvt_table.c, the protobuf-c output
 * in tiles/mvt_pack.c. */
#include "tiles/mvt.h"

#include "tiles/mvt_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---------- small containers ---------- */

static void *fail(struct mvt_tile *t)
{
    t->failed = true;
    return NULL;
}

bool mvt_vec_reserve(struct mvt_tile *t, struct mvt_u32vec *v, size_t more)
{
    if (t->failed)
        return false;
    if (v->cap - v->n >= more)
        return true;
    size_t cap = v->cap ? v->cap : 256;
    while (cap - v->n < more)
        cap *= 2;
    uint32_t *p = realloc(v->v, cap * sizeof *p);
    if (!p)
        return fail(t);
    v->v = p;
    v->cap = cap;
    return true;
}

int32_t *mvt_scratch(struct mvt_tile *t, size_t npoints)
{
    if (t->failed)
        return NULL;
    if (npoints > t->scratch_cap) {
        size_t cap = t->scratch_cap ? t->scratch_cap : 1024;
        while (cap < npoints)
            cap *= 2;
        int32_t *p = realloc(t->scratch, cap * 2 * sizeof *p);
        if (!p)
            return fail(t);
        t->scratch = p;
        t->scratch_cap = cap;
    }
    return t->scratch;
}

/* ---------- tile and layers ---------- */

struct mvt_tile *mvt_tile_new(void) { return calloc(1, sizeof(struct mvt_tile)); }

static void layers_free(struct mvt_layer *l)
{
    for (struct mvt_layer *next; l; l = next) {
        next = l->next;
        mvt_dict_free(&l->keys);
        mvt_dict_free(&l->values);
        mvt_arena_free(&l->arena);
        free(l->geom.v);
        free(l->tags.v);
        free(l->feats);
        free(l->name);
        free(l);
    }
}

void mvt_tile_destroy(struct mvt_tile *t)
{
    if (!t)
        return;
    layers_free(t->first);
    layers_free(t->spare);
    free(t->scratch);
    free(t);
}

void mvt_tile_reset(struct mvt_tile *t)
{
    while (t->first) {
        struct mvt_layer *l = t->first;
        t->first = l->next;
        l->next = t->spare;
        t->spare = l;
    }
    t->last = NULL;
    t->nlayers = 0;
    t->failed = false;
}

/* A spare layer emptied for reuse: its arrays keep their capacity, its arena keeps its
 * newest chunk. */
static struct mvt_layer *layer_recycle(struct mvt_tile *t)
{
    struct mvt_layer *l = t->spare;
    t->spare = l->next;
    free(l->name);
    l->name = NULL;
    l->next = NULL;
    l->keys.n = l->values.n = 0;
    if (l->keys.slots)
        memset(l->keys.slots, 0xff, ((size_t)l->keys.mask + 1) * sizeof *l->keys.slots);
    if (l->values.slots)
        memset(l->values.slots, 0xff, ((size_t)l->values.mask + 1) * sizeof *l->values.slots);
    if (l->arena.head) {
        struct mvt_arena_chunk *keep = l->arena.head, *older = keep->prev;
        keep->prev = NULL;
        keep->used = 0;
        mvt_arena_free(&(struct mvt_arena){older});
    }
    l->geom.n = l->tags.n = l->nfeats = 0;
    l->cur = (struct mvt_feature){.layer = l};
    return l;
}

bool mvt_tile_failed(const struct mvt_tile *t) { return t->failed; }

struct mvt_layer *mvt_tile_find_layer(struct mvt_tile *t, const char *name)
{
    for (struct mvt_layer *l = t->first; name && l; l = l->next)
        if (!strcmp(l->name, name))
            return l;
    return NULL;
}

struct mvt_layer *mvt_tile_add_layer(struct mvt_tile *t, const char *name, uint32_t extent)
{
    if (t->failed || !name || !*name || !mvt_valid_text(name, strlen(name)) || mvt_tile_find_layer(t, name))
        return NULL;
    struct mvt_layer *l = t->spare ? layer_recycle(t) : calloc(1, sizeof *l);
    if (!l || !(l->name = strdup(name))) {
        if (l) { /* back to the spares, where destroy finds it */
            l->next = t->spare;
            t->spare = l;
        }
        return fail(t);
    }
    l->tile = t;
    l->extent = extent ? extent : MVT_DEFAULT_EXTENT;
    l->cur.layer = l;
    if (t->last)
        t->last->next = l;
    else
        t->first = l;
    t->last = l;
    t->nlayers++;
    return l;
}

uint32_t mvt_layer_extent(const struct mvt_layer *l) { return l->extent; }
size_t mvt_layer_feature_count(const struct mvt_layer *l) { return l->nfeats; }
size_t mvt_layer_key_count(const struct mvt_layer *l) { return l->keys.n; }
size_t mvt_layer_value_count(const struct mvt_layer *l) { return l->values.n; }

static uint32_t key_intern(struct mvt_layer *l, const char *key)
{
    if (l->tile->failed || !key)
        return MVT_NONE;
    size_t len = strlen(key);
    if (!mvt_valid_text(key, len))
        return MVT_NONE;
    uint32_t k = mvt_dict_intern(l, &l->keys, MVT_KEY_TYPE, key, len);
    if (k == MVT_NONE)
        fail(l->tile);
    return k;
}

uint32_t mvt_layer_key(struct mvt_layer *l, const char *key)
{
    uint32_t k = key_intern(l, key);
    /* The caller keeps this index for later features: a feature open now must not take
     * the key (nor its string) back if it ends up dropped. */
    if (k != MVT_NONE && l->cur.open && l->cur.keys_mark < l->keys.n) {
        l->cur.keys_mark = l->keys.n;
        l->cur.arena_mark = mvt_arena_mark(&l->arena);
    }
    return k;
}

/* ---------- features ---------- */

struct mvt_feature *mvt_layer_begin_feature(struct mvt_layer *l, enum mvt_geom_type type)
{
    struct mvt_feature *f = &l->cur;
    if (f->open)
        mvt_feature_end(f);
    if (l->tile->failed || (type != MVT_POINT && type != MVT_LINESTRING && type != MVT_POLYGON))
        return NULL;
    *f = (struct mvt_feature){
        .layer = l,
        .open = true,
        .type = (uint8_t)type,
        .geom_start = l->geom.n,
        .tags_start = l->tags.n,
        .keys_mark = l->keys.n,
        .values_mark = l->values.n,
        .arena_mark = mvt_arena_mark(&l->arena),
        .point_cmd = SIZE_MAX,
    };
    return f;
}

void mvt_feature_set_id(struct mvt_feature *f, uint64_t id)
{
    if (f && f->open) {
        f->id = id;
        f->has_id = true;
    }
}

/* The table identity of a value: its string, or its bit pattern. False when invalid. */
/* A value's identity in the tables; strings are checked unless the caller vouches that
 * they passed the check before (mvt_layer_value_new). */
static bool value_identity(const struct mvt_value *v, bool check_text, const char **str, uint64_t *bits)
{
    *str = NULL;
    switch (v->type) {
    case MVT_STRING:
        if (!v->v.str.ptr || (check_text && !mvt_valid_text(v->v.str.ptr, v->v.str.len)))
            return false;
        *str = v->v.str.ptr;
        *bits = v->v.str.len;
        return true;
    case MVT_FLOAT: {
        uint32_t b32;
        memcpy(&b32, &v->v.f, sizeof b32);
        *bits = b32;
        return true;
    }
    case MVT_DOUBLE: memcpy(bits, &v->v.d, sizeof *bits); return true;
    case MVT_INT:
    case MVT_SINT: *bits = (uint64_t)v->v.i; return true;
    case MVT_UINT: *bits = v->v.u; return true;
    case MVT_BOOL: *bits = v->v.b ? 1 : 0; return true;
    }
    return false;
}

bool mvt_value_hash(const struct mvt_value *v, uint32_t *hash)
{
    const char *str;
    uint64_t bits;
    if (!v || !value_identity(v, true, &str, &bits))
        return false;
    *hash = mvt_entry_hash((uint8_t)v->type, str, bits);
    return true;
}

/* mvt_layer_value and mvt_layer_value_new: a value looked up (known_hash NULL) or
 * known to be new. */
static uint32_t layer_value(struct mvt_layer *l, const struct mvt_value *v, const uint32_t *known_hash)
{
    const char *str;
    uint64_t bits;
    if (l->tile->failed || !v || !value_identity(v, !known_hash, &str, &bits))
        return MVT_NONE;
    uint32_t vi = known_hash ? mvt_dict_append(l, &l->values, (uint8_t)v->type, str, bits, *known_hash)
                             : mvt_dict_intern(l, &l->values, (uint8_t)v->type, str, bits);
    if (vi == MVT_NONE) {
        fail(l->tile);
        return MVT_NONE;
    }
    /* As for mvt_layer_key: the caller keeps the index, a dropped feature must not take
     * the value back. */
    if (l->cur.open && l->cur.values_mark < l->values.n) {
        l->cur.values_mark = l->values.n;
        l->cur.arena_mark = mvt_arena_mark(&l->arena);
    }
    return vi;
}

uint32_t mvt_layer_value(struct mvt_layer *l, const struct mvt_value *v) { return layer_value(l, v, NULL); }

uint32_t mvt_layer_value_new(struct mvt_layer *l, const struct mvt_value *v, uint32_t hash)
{
    return layer_value(l, v, &hash);
}

bool mvt_feature_add_tag(struct mvt_feature *f, uint32_t key, const struct mvt_value *v)
{
    if (!f || !f->open || !v)
        return false;
    struct mvt_layer *l = f->layer;
    const char *str;
    uint64_t bits;
    if (l->tile->failed || key >= l->keys.n || !value_identity(v, true, &str, &bits))
        return false;
    uint32_t vi = mvt_dict_intern(l, &l->values, (uint8_t)v->type, str, bits);
    if (vi == MVT_NONE) {
        fail(l->tile);
        return false;
    }
    return mvt_feature_add_tag_index(f, key, vi);
}

bool mvt_feature_add_tag_index(struct mvt_feature *f, uint32_t key, uint32_t vi)
{
    if (!f || !f->open)
        return false;
    struct mvt_layer *l = f->layer;
    if (l->tile->failed || key >= l->keys.n || vi >= l->values.n)
        return false;
    /* Features have a handful of properties: a scan of this feature's own tags is the
     * cheapest way to keep each key once per feature. */
    for (size_t i = f->tags_start; i < l->tags.n; i += 2) {
        if (l->tags.v[i] == key) {
            l->tags.v[i + 1] = vi;
            return true;
        }
    }
    if (!mvt_vec_reserve(l->tile, &l->tags, 2))
        return false;
    l->tags.v[l->tags.n++] = key;
    l->tags.v[l->tags.n++] = vi;
    return true;
}

bool mvt_feature_add_value(struct mvt_feature *f, const char *key, const struct mvt_value *v)
{
    const char *str;
    uint64_t bits;
    /* Checked before the key is interned, so that a refused value leaves no key. */
    if (!f || !f->open || !v || !value_identity(v, true, &str, &bits))
        return false;
    uint32_t k = key_intern(f->layer, key);
    return k != MVT_NONE && mvt_feature_add_tag(f, k, v);
}

bool mvt_feature_add_string(struct mvt_feature *f, const char *key, const char *value)
{
    if (!value)
        return false;
    struct mvt_value v = {.type = MVT_STRING, .v.str = {value, strlen(value)}};
    return mvt_feature_add_value(f, key, &v);
}

#define TYPED_ADDER(fn, ctype, tag, member)                                                 \
    bool fn(struct mvt_feature *f, const char *key, ctype value)                            \
    {                                                                                       \
        struct mvt_value v = {.type = tag, .v.member = value};                              \
        return mvt_feature_add_value(f, key, &v);                                           \
    }
TYPED_ADDER(mvt_feature_add_float, float, MVT_FLOAT, f)
TYPED_ADDER(mvt_feature_add_double, double, MVT_DOUBLE, d)
TYPED_ADDER(mvt_feature_add_int, int64_t, MVT_INT, i)
TYPED_ADDER(mvt_feature_add_uint, uint64_t, MVT_UINT, u)
TYPED_ADDER(mvt_feature_add_sint, int64_t, MVT_SINT, i)
TYPED_ADDER(mvt_feature_add_bool, bool, MVT_BOOL, b)

bool mvt_feature_end(struct mvt_feature *f)
{
    if (!f || !f->open)
        return false;
    struct mvt_layer *l = f->layer;
    f->open = false;
    size_t glen = l->geom.n - f->geom_start, tlen = l->tags.n - f->tags_start;
    if (!l->tile->failed && glen > 0 && glen <= UINT32_MAX && tlen <= UINT32_MAX) {
        if (l->nfeats == l->featcap) {
            size_t cap = l->featcap ? l->featcap * 2 : 64;
            struct mvt_feat_rec *p = realloc(l->feats, cap * sizeof *p);
            if (!p)
                fail(l->tile);
            else {
                l->feats = p;
                l->featcap = cap;
            }
        }
        if (l->nfeats < l->featcap) {
            l->feats[l->nfeats++] = (struct mvt_feat_rec){
                .id = f->id,
                .geom_off = f->geom_start,
                .tags_off = f->tags_start,
                .geom_len = (uint32_t)glen,
                .tags_len = (uint32_t)tlen,
                .type = f->type,
                .has_id = f->has_id,
            };
            return true;
        }
    }
    /* Nothing of a discarded feature may stay behind: not its commands, not its tags,
     * not the keys and values that only it used. */
    l->geom.n = f->geom_start;
    l->tags.n = f->tags_start;
    mvt_dict_truncate(&l->keys, f->keys_mark);
    mvt_dict_truncate(&l->values, f->values_mark);
    mvt_arena_reset(&l->arena, f->arena_mark);
    return false;
}
