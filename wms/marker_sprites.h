/* Site markers drawn once and reused: cairo fills a small circle through its general
 * polygon rasteriser, tens of microseconds each, which is most of a map of a few thousand
 * sites. A marker is rendered into a small ARGB surface the first time a (style, fill,
 * ring, opacity, sub-pixel phase) combination is needed, and composited pixel-aligned
 * afterwards; with PHASES steps per pixel the centre is placed within 1/(2*PHASES) px.
 *
 * The cache is process-wide and thread-safe (a mutex around lookups; sprites are never
 * changed once made, so many requests read them at once), bounded to SPRITE_MAX entries;
 * beyond that, markers are drawn directly. */
#ifndef RBMAP_WMS_MARKER_SPRITES_H
#define RBMAP_WMS_MARKER_SPRITES_H
#include "styles/style.h"

#include <cairo.h>

#define SPRITE_PHASES 4
#define SPRITE_MAX 4096

/* Draws the marker (fill disk of radius r, ring from r to r + ring) centred on (x, y)
 * with cr's current state, directly (no cache). */
void marker_draw(cairo_t *cr, double x, double y, double r, double ring, struct style_color fill,
                 struct style_color ring_color, double opacity);

/* The same through the sprite cache. */
void marker_paint(cairo_t *cr, double x, double y, double r, double ring, struct style_color fill,
                  struct style_color ring_color, double opacity);

/* Frees every sprite (process exit). */
void marker_sprites_free(void);

#endif
