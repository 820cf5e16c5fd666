/* Hierarchical greedy point clustering with the semantics of supercluster 8 (mapbox),
 * for the `clusters` tile layer and the /clusters endpoints.
 *
 * What this module promises:
 * - Given the same points in the same order and the same options, it forms the same
 *   clusters as supercluster's load(): the same members, the same cluster ids
 *   ((i << 5) + (zoom + 1) + N, i being the origin's index in its zoom's data), the same
 *   count-weighted centroids (same float32 rounding of projected points, same KDBush
 *   trees and visiting order, hence the same summation order: equal to the bit unless
 *   libm's log/sin differ from V8's by an ulp).
 * - Queries mirror supercluster's: getClusters (antimeridian aware), getTile (buffered
 *   by radius/extent, wrapping at the world's edges), getChildren, getLeaves (limit,
 *   offset, same order), getClusterExpansionZoom. Unknown ids are an error, never a
 *   crash.
 * - Each cluster also carries aggregates, summed at build time: a weight sum (points
 *   with a negative weight count as unknown) and counters, each point adding 1 to
 *   CLUSTER_CATS of them (rbmap: its status and its field type).
 * - Memory: flat arrays, no allocation per point. A zoom where nothing clusters shares
 *   the tree of the zoom above (identical in supercluster too). About 12 bytes per item
 *   per distinct zoom, plus per cluster its centroid, children and aggregates.
 * - Immutable after build: any number of threads may query one index. */
#ifndef RBMAP_TILES_CLUSTER_INDEX_H
#define RBMAP_TILES_CLUSTER_INDEX_H
#include "tiles/cluster_kdbush.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* supercluster's defaults; rbmap's one place for them (tiles/cluster_layer.h uses these). */
#define CLUSTER_MIN_ZOOM 0
#define CLUSTER_MAX_ZOOM 16
#define CLUSTER_MIN_POINTS 2
#define CLUSTER_RADIUS 40.0
#define CLUSTER_EXTENT 512.0
#define CLUSTER_NODE_SIZE 64
#define CLUSTER_ZOOM_LIMIT 30 /* ids keep the zoom in 5 bits */
#define CLUSTER_MAX_POINTS ((uint32_t)1 << 26) /* (i << 5) stays within 31 bits, as in JS */
#define CLUSTER_CATS 2

struct cluster_options {
    int min_zoom, max_zoom, min_points;
    double radius, extent;
    uint32_t node_size;
    uint32_t n_counters; /* aggregate counters per cluster */
};

void cluster_options_default(struct cluster_options *o, uint32_t n_counters);

struct cluster_input {
    double lon, lat;
    int64_t weight;               /* < 0: unknown, not summed */
    uint16_t cats[CLUSTER_CATS];  /* counters this point adds 1 to (< n_counters) */
};

struct cluster_index;

/* NULL when memory ran out, n > CLUSTER_MAX_POINTS or the options are out of range
 * (err says which). Points with a non-finite coordinate are skipped, as supercluster
 * skips features without geometry (they keep their index). */
struct cluster_index *cluster_index_build(const struct cluster_input *points, uint32_t n,
                                          const struct cluster_options *o, char *err, size_t errlen);
void cluster_index_free(struct cluster_index *idx);

const struct cluster_options *cluster_index_options(const struct cluster_index *idx);
uint32_t cluster_index_points(const struct cluster_index *idx); /* N */
size_t cluster_index_clusters(const struct cluster_index *idx);
size_t cluster_index_memory(const struct cluster_index *idx);
int cluster_index_distinct_trees(const struct cluster_index *idx);

/* Results are "refs": below N a point's input index, from N on a cluster. */
static inline bool cluster_ref_is_point(const struct cluster_index *idx, uint32_t ref)
{
    return ref < cluster_index_points(idx);
}

struct cluster_info {
    uint32_t id, count;
    double x, y;      /* centroid in normalised Mercator (0..1) */
    double lon, lat;  /* the same in degrees (supercluster's xLng/yLat) */
    int64_t weight;   /* sum of known weights */
    uint32_t n_weighted; /* points whose weight was known */
    const uint32_t *counters; /* n_counters values */
};
/* ref must be a cluster ref (>= N). */
void cluster_index_info(const struct cluster_index *idx, uint32_t ref, struct cluster_info *out);
/* The cluster ref of a cluster id; false when no cluster has that id. */
bool cluster_index_find(const struct cluster_index *idx, uint64_t id, uint32_t *ref);

/* supercluster's _limitZoom: the tree a zoom reads. */
int cluster_index_limit_zoom(const struct cluster_index *idx, double zoom);

/* getClusters: refs of the points and clusters in [west, south, east, north] at zoom. */
bool cluster_index_get_clusters(const struct cluster_index *idx, const double bbox[4], double zoom,
                                struct u32vec *out);

/* getTile: refs in tile z/x/y and its buffer; shifts[i] is the x (in tiles) to subtract
 * for result i (x itself, or 2^z / -1 for copies wrapped across the antimeridian). */
bool cluster_index_get_tile(const struct cluster_index *idx, int z, uint32_t x, uint32_t y, struct u32vec *refs,
                            struct u32vec *shifts);

/* getChildren: the refs one zoom down, in supercluster's order; false if no such id. */
bool cluster_index_children(const struct cluster_index *idx, uint64_t id, const uint32_t **refs, size_t *n);
/* getLeaves: point refs, skipping `offset`, at most `limit`; false if no such id. */
bool cluster_index_leaves(const struct cluster_index *idx, uint64_t id, size_t limit, size_t offset,
                          struct u32vec *out);
/* getClusterExpansionZoom; -1 if no such id. */
int cluster_index_expansion_zoom(const struct cluster_index *idx, uint64_t id);

/* supercluster's projections (lngX, latY unclamped-to-float) and their inverses. */
double cluster_lng_x(double lng);
double cluster_lat_y(double lat);
double cluster_x_lng(double x);
double cluster_y_lat(double y);

/* point_count_abbreviated: "" and false when the count stays a number (< 1000). */
bool cluster_abbreviate(uint32_t count, char out[16]);

#endif
