/* The sites layer's properties, interned once per site snapshot, so that a tile does
 * not hash and validate every property of every feature it writes.
 *
 * The table holds every distinct value site_props_emit writes for the current data
 * (no date filter, no justice fields), numbered, and per site the list of its (key,
 * value) numbers in site_props_emit's order. A writer, one per tile layer, gives each
 * number the layer's next key or value index the first time the tile meets it
 * (mvt_layer_key, mvt_layer_value_new: a value the layer cannot hold yet goes in
 * without a lookup) and then only adds index pairs: the layer's tables fill in the same
 * order as when properties are added one by one, so the tile is byte-for-byte the same.
 *
 * What this module promises:
 * - site_prop_table_build is pure and keeps copies of the strings it needs; values that
 *   the encoder would refuse (invalid UTF-8) are left out, as the encoder leaves them out.
 * - Tables are shared per snapshot like tiles/render_snapcache.h says: built once, on
 *   first use; NULL (take the slow path) for an older snapshot or a failed build.
 * - A writer lives in per-thread memory: one tile layer at a time per thread, until the
 *   next site_prop_writer_begin on that thread. Its layer must be new and get its
 *   properties only through the writer.
 * - Memory: per snapshot about 4 bytes per property of every site plus the distinct
 *   values (about 40 bytes each); per thread that writes tiles, 8 bytes per distinct
 *   value (value number -> layer index, kept between tiles so that a tile clears
 *   nothing). */
#ifndef RBMAP_TILES_RENDER_PROPS_H
#define RBMAP_TILES_RENDER_PROPS_H
#include "db/site_store.h"
#include "tiles/mvt.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct site_prop_table;
struct site_prop_writer;

struct site_prop_table *site_prop_table_build(const struct site_snapshot *snap);
void site_prop_table_free(struct site_prop_table *t);

const struct site_prop_table *site_prop_table_acquire(const struct site_snapshot *snap);
void site_prop_table_release(const struct site_prop_table *t); /* NULL is fine */
void site_prop_table_cache_clear(void);

/* A writer for one new layer that will get the properties of `sites` (positions in the
 * table's snapshot), in that order; the array must outlive the writer. NULL when
 * memory ran out (then add properties one by one). */
struct site_prop_writer *site_prop_writer_begin(const struct site_prop_table *t, struct mvt_layer *layer,
                                                const uint32_t *sites, size_t nsites);
/* Adds the properties of sites[k] to f (a feature of the writer's layer), k counting up
 * from 0 (it fetches the memory of the next sites ahead); false when k is out of range
 * or the encoder refused (out of memory). */
bool site_prop_writer_add(struct site_prop_writer *w, struct mvt_feature *f, size_t k);

#endif
