/* The `clusters` tile layer: supercluster's getTile over the cluster index of the
 * request's snapshot, filters and scope (tiles/cluster_layer.h).
 *
 * What it promises: the features supercluster's getTile gives for z/x/y (its buffer of
 * radius/extent of a tile, copies across the antimeridian), at TILE_EXTENT. A cluster
 * carries `cluster`, `cluster_id` (also the feature id), `point_count`,
 * `point_count_abbreviated` (a number below 1000, else "1.2k" / "12k" as supercluster),
 * `population` (sum of known populations), `status_<status>` for every status (as of
 * the date filter) and `field_type_<id>` for every field type. An unclustered site is
 * written exactly as the sites layer writes it. The public scope gets nothing. */
#ifndef RBMAP_TILES_CLUSTER_RENDER_H
#define RBMAP_TILES_CLUSTER_RENDER_H
#include "tiles/cluster_layer.h"
#include "tiles/mvt.h"
#include "tiles/render.h"

/* Adds the layer to tile; *features gets its feature count. 0, or -1 when memory ran out. */
int cluster_layer_render(const struct tile_request *rq, const struct site_snapshot *snap, struct mvt_tile *tile,
                         size_t *features);

/* Writes one cluster's properties (not its geometry) into an open feature. */
void cluster_feature_properties(struct mvt_feature *f, const struct cluster_view *v, const struct cluster_info *ci);

/* Defined in tiles/render.c beside the sites layer, so that both write a site with the
 * same code: one site as a feature of `layer` at tile pixel (px, py). */
void render_site_feature(struct mvt_layer *layer, const struct site_snapshot *snap, const struct site *s, double px,
                         double py, const struct tile_request *rq);

#endif
