/* GetMap drawing: every requested layer, in order, onto a caller's cairo surface, from
 * the in-memory snapshots, for one caller's scope and filters, with the style tables
 * (styles/style.h). Each request has its own surface and cairo context, so any number
 * of requests render at once; the snapshots are only read.
 *
 * What this module promises:
 * - Sites, actions and clusters only for scopes that may see site positions
 *   (scope_allows_site, scope_allows_action; none for the public scope); territory
 *   bubbles with the tiles' counting and suppression rules; boundaries for everyone.
 * - A symbol is drawn when any part of it reaches the image (searched with a margin of
 *   its size), anti-aliased, centred on the point's exact pixel position.
 * - Polygons are reprojected vertex by vertex (world -> lon/lat -> CRS), after
 *   dropping vertices closer than half a pixel, so cost follows the image, not the data. */
#ifndef RBMAP_WMS_RENDER_H
#define RBMAP_WMS_RENDER_H
#include "db/action_store.h"
#include "db/site_filter.h"
#include "db/site_store.h"
#include "styles/style.h"
#include "wms/wms_frame.h"
#include "wms/wms_layers.h"

#include <cairo.h>

struct boundary_set;
struct territory_points;

struct wms_sources {
    const struct site_snapshot *sites;
    const struct action_snapshot *actions;
    const struct boundary_set *boundaries;       /* NULL while loading: nothing drawn */
    const struct territory_points *territories;  /* idem */
};

struct wms_draw {
    cairo_t *cr;
    const struct wms_frame *frame;
    const struct style_def *style;
    const struct site_filter *filter;
    const struct scope *scope;
    const struct wms_sources *src;
};

/* Draws one layer. 0, or -1 when memory ran out. */
int wms_draw_layer(const struct wms_draw *d, const struct wms_layer *layer);

/* Per kind (wms_render.c, wms_draw_boundaries.c). */
int wms_draw_sites(const struct wms_draw *d);
int wms_draw_actions(const struct wms_draw *d);
int wms_draw_clusters(const struct wms_draw *d);
int wms_draw_territories(const struct wms_draw *d);
int wms_draw_boundaries(const struct wms_draw *d, int level);

/* Shared drawing helpers (wms_draw_symbols.c). */
void wms_set_color(cairo_t *cr, struct style_color c, double opacity);
void wms_site_marker(const struct wms_draw *d, const struct site *s, double x, double y);
/* A circle with its count in the middle (clusters, bubbles). */
void wms_count_bubble(const struct wms_draw *d, double x, double y, double r, struct style_color fill,
                      struct style_color stroke, struct style_color text, unsigned count);
/* Text centred on (x, y), or starting there when !centred, with the style's halo if asked. */
void wms_label(const struct wms_draw *d, double x, double y, const char *text, struct style_color color,
               double size, bool centred, bool halo);

/* The map zoom used for styles (floor of the frame's, within 0..22). */
int wms_style_zoom(const struct wms_frame *f);

#endif
