/* The layers rbmap publishes over WMS: the tile layers of tiles/layer_catalog.h plus one
 * sub-layer per boundary level. One table read by GetCapabilities, GetMap,
 * GetFeatureInfo and GetLegendGraphic, so they never disagree on names. */
#ifndef RBMAP_WMS_LAYERS_H
#define RBMAP_WMS_LAYERS_H
#include "styles/legend.h"

#include <stdbool.h>
#include <stddef.h>

enum wms_layer_kind { WMS_LAYER_SITES, WMS_LAYER_ACTIONS, WMS_LAYER_CLUSTERS, WMS_LAYER_TERRITORIES, WMS_LAYER_BOUNDARIES };

struct wms_layer {
    const char *name, *title, *abstract;
    enum wms_layer_kind kind;
    int boundary_level;        /* BOUNDARY_*; -1: every level at the scales where it shows */
    bool needs_site_scope;     /* shows site positions: empty for the public scope */
    enum legend_layer legend;
};

#define WMS_LAYER_COUNT 9 /* for arrays with an entry per layer */

size_t wms_layer_count(void);
const struct wms_layer *wms_layer_at(size_t i);
/* Case-sensitive, as WMS layer names are; NULL when unknown. */
const struct wms_layer *wms_layer_lookup(const char *name, size_t len);

/* Where the layers' data lies (France with its overseas départements), lon/lat: the
 * advertised extent while the boundaries load (wms/wms_extent.h). */
#define WMS_EXTENT_WEST -63.2
#define WMS_EXTENT_SOUTH -21.5
#define WMS_EXTENT_EAST 55.9
#define WMS_EXTENT_NORTH 51.2

#endif
