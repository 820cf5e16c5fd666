/* Where each WMS layer's data lies, in lon/lat, for one caller: the sites and actions
 * the caller's scope may see (clusters: the sites), the boundary polygons of the
 * layer's level (territories and boundaries: every level). GetCapabilities advertises
 * these boxes, so a client zooming to a layer lands on its data.
 *
 * A layer that holds nothing for the caller (sites for the public scope, or boundaries
 * still loading) gets the extent of the boundaries, or France with its overseas
 * départements (WMS_EXTENT_*) while those load: WMS requires a box on every layer.
 * Points are padded by WMS_EXTENT_POINT_MARGIN so that a single site still has a box
 * with west < east and south < north. */
#ifndef RBMAP_WMS_EXTENT_H
#define RBMAP_WMS_EXTENT_H
#include "db/scope.h"
#include "wms/wms_layers.h"
#include "wms/wms_render.h"

#include <stdbool.h>

#define WMS_EXTENT_POINT_MARGIN 0.01 /* degrees, about a kilometre */

struct wms_extent {
    double west, south, east, north;
};

/* The box of every layer (out[i] for wms_layer_at(i)) as `scope` sees src: one pass
 * over the sites, the actions and the boundaries. */
void wms_layer_extents(const struct wms_sources *src, const struct scope *scope, struct wms_extent out[WMS_LAYER_COUNT]);
/* Grows `into` to cover `box`. */
void wms_extent_union(struct wms_extent *into, const struct wms_extent *box);

#endif
