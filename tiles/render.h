/* Renders one vector tile (one or several layers) from in-memory snapshots, for one
 * caller's filters and scope. Pure: the same inputs give the same bytes, so tiles can
 * be cached under a key of those inputs. */
#ifndef RBMAP_TILES_RENDER_H
#define RBMAP_TILES_RENDER_H
#include "db/action_store.h"
#include "db/site_filter.h"
#include "db/site_store.h"
#include "tiles/layer_catalog.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stdint.h>

struct boundary_set; /* tiles/boundaries.h */
struct territory_points; /* tiles/territory_bubbles.h */

struct tile_sources {
    const struct site_snapshot *sites;
    const struct action_snapshot *actions;
    const struct boundary_set *boundaries; /* NULL: boundaries layer stays empty */
    const struct territory_points *territories; /* NULL: territories layer stays empty */
};

struct tile_request {
    int z;
    uint32_t x, y;
    unsigned layers; /* bit per enum tile_layer_id */
    const struct site_filter *filter;
    const struct scope *scope;
};

struct tile_render_stats {
    size_t features[LAYER_COUNT];
    /* The tile had more visible sites than TILE_SITES_FEATURE_BUDGET and kept that many,
     * in thinning order (tiles/render_thin.h). */
    bool sites_thinned;
};

/* Builds the structures the sites layer derives from a snapshot (thinning order,
 * interned properties: tiles/render_thin.h, tiles/render_props.h) so that the first
 * tile of a new snapshot does not pay for them: a site_snapshot_prepare_fn
 * (db/site_store.h) for the store's writer thread; ctx is unused. */
void tile_snapshot_prepare(const struct site_snapshot *snap, void *ctx);

/* The first zoom of a layer for this snapshot: the catalog's, except for the sites layer
 * of a snapshot dense enough that a low-zoom tile would exceed its feature budget
 * (thin_index_sites_minzoom, tiles/render_thin.h), where the sites layer starts deeper
 * and its tiles above that zoom are empty. TileJSON and /catalog announce this zoom. */
int tile_layer_minzoom(enum tile_layer_id id, const struct site_snapshot *snap);
/* Fixes the sites layer's first zoom (config sites_minzoom = N; 0: from zoom 0, thinned
 * where dense) instead of the automatic rule above (-1, the default). Process-wide. */
void tile_sites_minzoom_set(int z);

/* Appends the encoded tile to out (nothing for an empty tile). Returns 0, or -1 when
 * memory ran out or out's limit was reached. Uses a per-thread scratch encoder. */
int tile_render(const struct tile_request *rq, const struct tile_sources *src, struct buf *out,
                struct tile_render_stats *stats);

#endif
