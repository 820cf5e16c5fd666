/* The thinning order of the sites layer, computed once per site snapshot, so that a
 * tile over its feature budget takes its first sites in that order instead of sorting
 * every site it covers.
 *
 * The order at zoom z (as tippecanoe's drop-densest-as-needed): every site gets a rank
 * within its cell of a grid of THIN_CELL_PX tile units at zoom z (0 for the cell's
 * highest-priority site, 1 for the next...), and sites come by rank, then by priority
 * (open first, then the most populated, then the lowest id). A tile keeping its first
 * N visible sites in this order keeps one site per occupied cell before it keeps a
 * second one anywhere: the densest places give up sites first, a lone site never does.
 * Ranks are computed over all sites of the snapshot with their current status, so
 * filters and scopes only skip sites (the budget counts visible sites); a rank saturates
 * at 65,535.
 *
 * What this module promises:
 * - thin_index_build is pure: the same snapshot gives the same index. The index keeps
 *   copies of what it needs (positions, priority, ranks), no pointer into the snapshot.
 * - thin_index_walk visits every site whose lon/lat lies in the (closed) box exactly
 *   once, in the order above, until the visitor returns false; searches take no lock,
 *   allocate one heap, and may run from any number of threads at once.
 * - thin_index_acquire shares one index per snapshot (identified by its address and
 *   version: a store must give every new snapshot a new version, as db/site_store
 *   does): built on first use, once, while other threads asking for the same snapshot
 *   wait for it. A snapshot older than the one indexed gets NULL (callers fall back to
 *   sorting), and so does a failed allocation.
 * - Memory: about 70 bytes per site (2 bytes of rank per zoom 0-16), freed when the
 *   next snapshot's index replaces it and its last reader releases it. */
#ifndef RBMAP_TILES_RENDER_THIN_H
#define RBMAP_TILES_RENDER_THIN_H
#include "db/site_store.h"
#include "geo/rtree.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define THIN_MAX_ZOOM 16
#define THIN_CELL_PX 2 /* tile units (of 4096) per grid cell */
/* Highest zoom the sites layer may start at (thin_index_sites_minzoom): beyond, a spot
 * dense enough stays thinned rather than hidden. */
#define THIN_SITES_MINZOOM_MAX 12

struct thin_index;

struct thin_index *thin_index_build(const struct site_snapshot *snap);
void thin_index_free(struct thin_index *ix);

const struct thin_index *thin_index_acquire(const struct site_snapshot *snap);
void thin_index_release(const struct thin_index *ix); /* NULL is fine */
/* Drops the shared index (tests, shutdown). */
void thin_index_cache_clear(void);

/* Called with the site's position in snap->sites; false stops the walk. */
typedef bool (*thin_visit_fn)(uint32_t site_index, void *ctx);
/* Visits the sites in box at zoom z (0..THIN_MAX_ZOOM) in thinning order; returns how
 * many were visited, or SIZE_MAX when memory ran out (nothing more is visited). */
size_t thin_index_walk(const struct thin_index *ix, int z, const struct rtree_box *box, thin_visit_fn visit,
                       void *ctx);

/* The zoom the sites layer starts at for this snapshot: the lowest one (at most
 * THIN_SITES_MINZOOM_MAX) at which no tile holds more than TILE_SITES_FEATURE_BUDGET
 * of its sites (all of them, whatever a caller's filters or scope; the tile's buffer
 * not counted). 0 at the platform's scale of a few thousand sites. Below it, the
 * clusters layer shows the sites. */
int thin_index_sites_minzoom(const struct thin_index *ix);

/* Where a site stands at zoom z: its rank in its cell and its priority position
 * (0 = kept first); false for an unknown site index. For tests. */
bool thin_index_site_order(const struct thin_index *ix, int z, uint32_t site_index, uint32_t *rank,
                           uint32_t *priority);

#endif
