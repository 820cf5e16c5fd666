/* Internals of the MVT encoder shared by tiles/mvt.c (tile, layers, tables, output)
 * and tiles/mvt_geom.c (geometry commands). Not for use outside tiles/mvt*.c. */
#ifndef RBMAP_TILES_MVT_IMPL_H
#define RBMAP_TILES_MVT_IMPL_H
#include "tiles/mvt.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bump allocator for the strings of one layer. Per layer, not per tile, because a
 * dropped feature gives its strings back by resetting to a mark, and two layers may
 * have open features at the same time. */
struct mvt_arena_chunk {
    struct mvt_arena_chunk *prev;
    size_t cap, used;
    char data[];
};
struct mvt_arena {
    struct mvt_arena_chunk *head;
};
struct mvt_arena_mark {
    struct mvt_arena_chunk *chunk;
    size_t used;
};

struct mvt_u32vec {
    uint32_t *v;
    size_t n, cap;
};

#define MVT_NONE UINT32_MAX
#define MVT_KEY_TYPE 0xff /* entry type of keys; values use enum mvt_value_type */

/* A key or a value of the layer tables. Scalars keep their bit pattern in `bits`
 * (byte-for-byte identity is what the spec asks for: -0.0 and 0.0 stay distinct). */
struct mvt_entry {
    const char *str; /* strings: arena copy, NUL-terminated (protobuf-c wants char *) */
    uint64_t bits;   /* scalars: the value; strings: the length */
    uint32_t hash;   /* kept for rebuilding the index without rehashing strings */
    uint8_t type;
};

/* A slot of the open-addressing index: the full hash beside the entry index, so that
 * a probe touches entries (and their strings) only on a hash match. */
struct mvt_slot {
    uint32_t hash;
    uint32_t index; /* MVT_NONE = empty */
};

/* Entries in insertion order plus a linear-probing index at most half full. Removing
 * the newest entries (a dropped feature's) is emptying their slots: no entry inserted
 * earlier ever probed past a slot that was still empty when it was inserted, and a
 * rebuild re-inserts oldest first, which keeps that true. */
struct mvt_dict {
    struct mvt_entry *e;
    size_t n, cap;
    struct mvt_slot *slots;
    uint32_t mask;
};

struct mvt_feat_rec {
    uint64_t id;
    size_t geom_off, tags_off;
    uint32_t geom_len, tags_len;
    uint8_t type, has_id;
};

struct mvt_feature {
    struct mvt_layer *layer;
    bool open, has_id;
    uint8_t type;
    uint64_t id;
    /* Where this feature's data starts, to discard it if the feature ends up empty. */
    size_t geom_start, tags_start, keys_mark, values_mark;
    struct mvt_arena_mark arena_mark;
    int64_t cx, cy;    /* the geometry cursor, carried across parts */
    size_t point_cmd;  /* index of the MoveTo of a point feature, SIZE_MAX before the first */
    uint32_t npoints;
};

struct mvt_layer {
    struct mvt_tile *tile;
    struct mvt_layer *next;
    char *name;
    uint32_t extent;
    struct mvt_dict keys, values;
    struct mvt_arena arena;
    struct mvt_u32vec geom, tags; /* every feature's commands and tags, back to back */
    struct mvt_feat_rec *feats;
    size_t nfeats, featcap;
    struct mvt_feature cur;
};

struct mvt_tile {
    struct mvt_layer *first, *last;
    struct mvt_layer *spare; /* layers of a reset tile, kept with their memory */
    size_t nlayers;
    bool failed;
    int32_t *scratch; /* ring work space: x,y pairs */
    size_t scratch_cap;
};

/* tiles/mvt_table.c */
struct mvt_arena_mark mvt_arena_mark(const struct mvt_arena *a);
/* Frees everything allocated after the mark. */
void mvt_arena_reset(struct mvt_arena *a, struct mvt_arena_mark m);
void mvt_arena_free(struct mvt_arena *a);
/* Index of the entry (strings: str and its length in bits; scalars: str NULL and the
 * bit pattern), added to d and, for strings, copied into l's arena if new.
 * MVT_NONE on allocation failure. */
uint32_t mvt_dict_intern(struct mvt_layer *l, struct mvt_dict *d, uint8_t type, const char *str, uint64_t bits);
/* The same for an entry known not to be in d, with its hash (mvt_entry_hash): no lookup. */
uint32_t mvt_dict_append(struct mvt_layer *l, struct mvt_dict *d, uint8_t type, const char *str, uint64_t bits,
                         uint32_t hash);
uint32_t mvt_entry_hash(uint8_t type, const char *str, uint64_t bits);
/* Takes out the entries added after d had n of them. */
void mvt_dict_truncate(struct mvt_dict *d, size_t n);
void mvt_dict_free(struct mvt_dict *d);
/* UTF-8 without NUL bytes: what a protobuf-c string field can carry. */
bool mvt_valid_text(const char *s, size_t len);

/* tiles/mvt.c */
/* Grows v to hold `more` further elements; on failure marks the tile failed. */
bool mvt_vec_reserve(struct mvt_tile *t, struct mvt_u32vec *v, size_t more);
/* Scratch space for `npoints` points; NULL (tile failed) on allocation failure. */
int32_t *mvt_scratch(struct mvt_tile *t, size_t npoints);

#endif
