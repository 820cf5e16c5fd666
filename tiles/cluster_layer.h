/* The sites layer clustered: one supercluster index (tiles/cluster_index.h) per
 * (snapshot version, filters, scope), built lazily and kept in a small LRU.
 *
 * What this module promises:
 * - Filters and scope apply before clustering: the index holds only the sites this
 *   scope may see that match these filters, so no cluster counts a hidden site. The
 *   public scope gets no index (it sees no site position).
 * - The points go in in snapshot order (site id order), so the cluster ids are those
 *   supercluster gives the same sites in id order: ids are only meaningful for the
 *   same data, filters and scope.
 * - Cluster aggregates: population (sum of known populations), counters 0..6 per status
 *   as of the filter date (enum site_status), then one per field type in the
 *   snapshot's order.
 * - At most CLUSTER_CACHE_ENTRIES indexes are kept (least recently used dropped), and an
 *   index made from an older snapshot is dropped as soon as a newer one is used. Two
 *   requests needing the same index build it once (the second waits). Indexes in use
 *   stay valid until released. Thread-safe. */
#ifndef RBMAP_TILES_CLUSTER_LAYER_H
#define RBMAP_TILES_CLUSTER_LAYER_H
#include "db/site_filter.h"
#include "db/site_store.h"
#include "tiles/cluster_index.h"

#define CLUSTER_CACHE_ENTRIES 8
#define CLUSTER_STATUS_SLOTS SITE_STATUS_COUNT

struct cluster_view {
    struct cluster_index *idx;
    const uint32_t *site_index; /* input index -> index in the snapshot's sites[] */
    uint64_t version;
    size_t n_field_types;       /* counters after the status slots, snapshot order */
    const int32_t *field_type_ids;
    double build_ms;
};

/* The index for this snapshot, filters and scope; NULL for the public scope (err "")
 * or when memory ran out (err says so). Release it with cluster_view_release. The
 * snapshot must stay acquired while the view is used. */
const struct cluster_view *cluster_view_acquire(const struct site_snapshot *snap, const struct site_filter *f,
                                                const struct scope *scope, char *err, size_t errlen);
void cluster_view_release(const struct cluster_view *v);

/* Builds a view without caching it (tests, benchmarks); free with cluster_view_free. */
struct cluster_view *cluster_view_build(const struct site_snapshot *snap, const struct site_filter *f,
                                        const struct scope *scope, char *err, size_t errlen);
void cluster_view_free(struct cluster_view *v);

/* The snapshot's site behind a point ref of the view's index. */
static inline const struct site *cluster_view_site(const struct cluster_view *v, const struct site_snapshot *snap,
                                                   uint32_t ref)
{
    return snap->sites[v->site_index[ref]];
}

/* supercluster's radius, extent, minPoints and maxZoom for every index built from now
 * on (the server sets them once at start, before any request; defaults: those of
 * tiles/cluster_index.h). Values are the caller's to validate (server/config.c). */
void cluster_layer_set_options(int radius, int extent, int min_points, int max_zoom);
/* The options set last (what TileJSON and /catalog describe). */
void cluster_layer_get_options(int *radius, int *extent, int *min_points, int *max_zoom);

/* Drops every cached index (tests). */
void cluster_cache_clear(void);

#endif
