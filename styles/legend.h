/* Legends drawn with cairo from the style tables (styles/style.h): one image per layer
 * kind and style, for WMS GetLegendGraphic and /styles/{name}/legend.png. Knows nothing
 * of WMS: callers pick the layer kind and encode the surface as they like.
 *
 * What this module promises:
 * - legend_size gives exactly the size legend_render draws at (capabilities advertise
 *   it before any image exists), and both depend only on the input.
 * - The same colours, radii and line widths as the map renderer, scaled down where a
 *   symbol (a 45 px bubble) would not fit a row. */
#ifndef RBMAP_STYLES_LEGEND_H
#define RBMAP_STYLES_LEGEND_H
#include <cairo.h>
#include <stddef.h>

enum legend_layer { LEGEND_SITES, LEGEND_ACTIONS, LEGEND_CLUSTERS, LEGEND_TERRITORIES, LEGEND_BOUNDARIES };

struct style_def;
struct field_type; /* db/site_store.h */

struct legend_input {
    const struct style_def *style;
    enum legend_layer layer;
    const struct field_type *types; /* sites: one row per field type (may be NULL) */
    size_t n_types;
};

#define LEGEND_MAX_TYPES 32 /* rows of field types at most; the rest are left out */

void legend_size(const struct legend_input *in, int *width, int *height);
/* A new ARGB32 surface (transparent background) of legend_size; NULL when cairo failed.
 * The caller destroys it. */
cairo_surface_t *legend_render(const struct legend_input *in);

#endif
