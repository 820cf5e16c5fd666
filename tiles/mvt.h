/* Mapbox Vector Tile 2.1 encoder (tiles/vector_tile.proto, serialised with protobuf-c).
 *
 * A tile is built in one pass: add layers, then features one at a time (begin, geometry,
 * properties, end), then serialise. Everything a tile owns (names, strings, geometry,
 * key and value tables) lives in memory that mvt_tile_destroy frees in one call; adding
 * a feature allocates nothing per feature (arrays grow geometrically, strings go into an
 * arena), so layers of 100,000 features cost a few amortised reallocations, and a tile
 * kept per thread and emptied with mvt_tile_reset stops allocating altogether.
 *
 * What the encoder guarantees about its output, whatever the caller passes in:
 *  - every layer has version 2, a unique name (byte-for-byte) and an explicit extent;
 *  - layers with no feature are not written (the spec says a layer SHOULD have one), so
 *    a tile without features serialises to zero bytes, which is a valid empty tile;
 *  - keys are unique within a layer, values are unique within a layer and type, every
 *    feature has each key at most once (a repeated key replaces the earlier value), all
 *    tag indices are in range; lookups are hash tables, not scans;
 *  - geometry coordinates are the inputs rounded to the nearest integer and clamped to
 *    +-MVT_COORD_LIMIT (mvt_round), so deltas always fit the spec's 32-bit parameters;
 *  - commands are MoveTo/LineTo/ClosePath with packed counts and zigzag deltas from a
 *    cursor that runs across the parts of a feature; no LineTo has a zero delta;
 *  - points: kept as given (a multipoint may repeat a point: each is a feature part);
 *  - lines: consecutive repeated points are dropped, lines left with < 2 points dropped;
 *  - polygon rings: repeated points, the closing point and zero-width spikes (a vertex
 *    where the ring turns straight back) are dropped, rings left with < 3 points or zero
 *    area are dropped, exterior rings are written with positive surveyor's area in tile
 *    space (clockwise, y down) and interior rings with negative area, reversing rings that
 *    arrive the other way; a polygon whose exterior ring is dropped is dropped with its
 *    holes;
 *  - a feature whose geometry ends up empty is not written, and the keys and values only
 *    it introduced are taken back out of the layer tables (keys handed out by
 *    mvt_layer_key excepted: callers hold their indices).
 * What it does NOT do: clip, simplify, or repair rings that cross each other or holes
 * outside their shell; tiles/clip.h does that before geometry reaches the encoder.
 *
 * Errors: a call that gets invalid input (non-finite coordinate, geometry of another
 * type than the feature's, string with a NUL or invalid UTF-8) returns false and adds
 * nothing. Running out of memory marks the tile failed: later calls do nothing and
 * mvt_tile_serialize returns false. A tile is not thread-safe; use one per thread. */
#ifndef RBMAP_TILES_MVT_H
#define RBMAP_TILES_MVT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct mvt_tile;
struct mvt_layer;
struct mvt_feature;

#define MVT_DEFAULT_EXTENT 4096u
/* Coordinates are clamped to this magnitude so that any delta between two of them fits
 * the spec's parameter range and shoelace products fit in 64 bits. */
#define MVT_COORD_LIMIT (1 << 28)

enum mvt_geom_type { MVT_POINT = 1, MVT_LINESTRING = 2, MVT_POLYGON = 3 };

/* The seven Value fields of the spec: each is a distinct type for de-duplication, so
 * int 5 and uint 5 are two table entries. */
enum mvt_value_type {
    MVT_STRING, /* string_value */
    MVT_FLOAT,  /* float_value */
    MVT_DOUBLE, /* double_value */
    MVT_INT,    /* int_value (int64, varint: negative numbers take 10 bytes) */
    MVT_UINT,   /* uint_value */
    MVT_SINT,   /* sint_value (zigzag: small negative numbers stay small) */
    MVT_BOOL,   /* bool_value */
};

struct mvt_value {
    enum mvt_value_type type;
    union {
        struct {
            const char *ptr; /* UTF-8, no NUL byte inside; copied by the encoder */
            size_t len;
        } str;
        float f;
        double d;
        int64_t i; /* MVT_INT and MVT_SINT */
        uint64_t u;
        bool b;
    } v;
};

/* One ring or line: n points as x0,y0,x1,y1,... in tile coordinates (0..extent is the
 * tile, beyond is buffer). A ring may or may not repeat its first point at the end. */
struct mvt_ring {
    const double *xy;
    size_t n;
};

/* --- tile and layers --- */
struct mvt_tile *mvt_tile_new(void);
/* Frees the tile, its layers and everything they hold. NULL is fine. */
void mvt_tile_destroy(struct mvt_tile *t);
/* Empties the tile for the next one (no layers, not failed) but keeps its memory, so
 * that a thread encoding tile after tile stops allocating once warm. Layer and feature
 * handles of the previous tile are void. */
void mvt_tile_reset(struct mvt_tile *t);
/* A new layer; extent 0 means MVT_DEFAULT_EXTENT. NULL when the tile already has a layer
 * of that name, the name is empty or not UTF-8, or memory ran out. Layers are written in
 * the order they were added. The layer belongs to the tile. */
struct mvt_layer *mvt_tile_add_layer(struct mvt_tile *t, const char *name, uint32_t extent);
struct mvt_layer *mvt_tile_find_layer(struct mvt_tile *t, const char *name);
/* True once an allocation failed; the tile then refuses to serialise. */
bool mvt_tile_failed(const struct mvt_tile *t);

uint32_t mvt_layer_extent(const struct mvt_layer *l);
/* Features written so far (ended and kept). */
size_t mvt_layer_feature_count(const struct mvt_layer *l);
size_t mvt_layer_key_count(const struct mvt_layer *l);
size_t mvt_layer_value_count(const struct mvt_layer *l);
/* Interns a key and returns its index, for mvt_feature_add_tag: a caller that adds the
 * same keys to many features looks them up once instead of hashing each time. The
 * index stays valid until the tile is reset or destroyed, even if the feature open at
 * the time is dropped. Returns UINT32_MAX on invalid key or failure. */
uint32_t mvt_layer_key(struct mvt_layer *l, const char *key);
/* The same for a value (validated as mvt_feature_add_tag does), for
 * mvt_feature_add_tag_index: a caller that knows its values repeat across features
 * looks each up once per layer. The index stays valid until the tile is reset or
 * destroyed. Returns UINT32_MAX on invalid value or failure. */
uint32_t mvt_layer_value(struct mvt_layer *l, const struct mvt_value *v);
/* For callers that intern values once for many tiles (tiles/render_props.h): the
 * value's hash as the layer tables compute it; false (nothing written) for a value
 * mvt_layer_value would refuse. */
bool mvt_value_hash(const struct mvt_value *v, uint32_t *hash);
/* Adds a value the caller knows the layer does not hold yet (it keeps its own map from
 * its values to layer indices), with its hash from mvt_value_hash (which also checked
 * its text: it is not checked again), without looking it up: the index mvt_layer_value would have returned, the same tables, and the same
 * index stability. A value the layer already holds would be written twice (the spec
 * says values SHOULD NOT repeat): that is the caller's promise to keep. */
uint32_t mvt_layer_value_new(struct mvt_layer *l, const struct mvt_value *v, uint32_t hash);

/* --- features ---
 * A layer has at most one open feature; the handle points inside the layer and stays
 * valid until mvt_feature_end or the next mvt_layer_begin_feature on that layer (which
 * ends the open one) or serialisation (which ends open features in every layer). */
struct mvt_feature *mvt_layer_begin_feature(struct mvt_layer *l, enum mvt_geom_type type);
void mvt_feature_set_id(struct mvt_feature *f, uint64_t id);

/* Geometry. Each call adds one part; parts may be mixed only within the feature's type.
 * The return value says whether the part was kept (false: dropped as degenerate, or
 * invalid input). */
bool mvt_feature_add_point(struct mvt_feature *f, double x, double y);
bool mvt_feature_add_line(struct mvt_feature *f, const double *xy, size_t n);
/* One polygon: rings[0] is the exterior ring, rings[1..] its holes, in any winding.
 * Call once per polygon of a multipolygon. */
bool mvt_feature_add_polygon(struct mvt_feature *f, const struct mvt_ring *rings, size_t nrings);

/* Properties (key is NUL-terminated UTF-8). */
bool mvt_feature_add_value(struct mvt_feature *f, const char *key, const struct mvt_value *v);
bool mvt_feature_add_tag(struct mvt_feature *f, uint32_t key_index, const struct mvt_value *v);
/* A key and a value by their indices in the layer (mvt_layer_key, mvt_layer_value):
 * the same tag as mvt_feature_add_tag with that key and value, without hashing. */
bool mvt_feature_add_tag_index(struct mvt_feature *f, uint32_t key_index, uint32_t value_index);
bool mvt_feature_add_string(struct mvt_feature *f, const char *key, const char *value);
bool mvt_feature_add_float(struct mvt_feature *f, const char *key, float value);
bool mvt_feature_add_double(struct mvt_feature *f, const char *key, double value);
bool mvt_feature_add_int(struct mvt_feature *f, const char *key, int64_t value);
bool mvt_feature_add_uint(struct mvt_feature *f, const char *key, uint64_t value);
bool mvt_feature_add_sint(struct mvt_feature *f, const char *key, int64_t value);
bool mvt_feature_add_bool(struct mvt_feature *f, const char *key, bool value);

/* Closes the feature. True when it was written; false when its geometry was empty (the
 * feature and whatever keys and values only it introduced are discarded). */
bool mvt_feature_end(struct mvt_feature *f);

/* --- output ---
 * Appends the encoded tile to out (which may already hold data). False on failure
 * (tile failed, or out refused the bytes: its limit); out->len is then unchanged.
 * The tile stays usable: more features may be added and the tile serialised again. */
bool mvt_tile_serialize(struct mvt_tile *t, struct buf *out);
/* The same into a malloc'd array the caller frees; NULL on failure. A tile without
 * features gives a non-NULL pointer and *len 0. */
uint8_t *mvt_tile_pack(struct mvt_tile *t, size_t *len);

/* The integer the encoder writes for a coordinate: nearest, halves away from zero,
 * clamped to +-MVT_COORD_LIMIT. Exposed so that callers and tests agree with it. */
int32_t mvt_round(double v);

#endif
