/* Polygons and lines cut to a tile: clipped to the tile square plus a buffer, simplified
 * for the zoom, snapped to the integer grid of the tile, valid, ready for the encoder.
 *
 * Built on GEOS (reentrant API, one handle per clip_ctx, so one clip_ctx per thread):
 * GEOSClipByRect for the cut, GEOSSimplify (Douglas-Peucker) for the zoom, rounding to
 * integers point by point, GEOSisValid on the result and, only when that fails, the
 * snap-rounding GEOSGeom_setPrecision(1.0) (GEOSMakeValid first if even that throws).
 * A home-made Sutherland-Hodgman would be faster per vertex but leaves zero-width
 * slivers along the tile edge wherever a polygon leaves and re-enters the tile, and
 * rounding afterwards can make rings cross; both are invalid MVT, and repairing them is
 * the part GEOS already does well. Measured costs and the reasons for DP over
 * GEOSTopologyPreserveSimplify are in tiles/clip.c.
 *
 * Two ways to use it:
 *  - one shot: clip_geom_to_tile cuts, simplifies and validates a world geometry for
 *    one tile (every polygon that reaches the tile goes through GEOS);
 *  - prepared (boundaries: static polygons, many tiles): clip_geom_for_zoom simplifies
 *    and snaps a geometry once per zoom, then clip_geom_zoom_to_tile cuts it per tile;
 *    polygons wholly inside the buffered tile are then copied without GEOS (a whole
 *    number shift of a valid integer geometry stays valid), and only those crossing
 *    the tile edge are clipped and checked.
 *
 * Coordinates: "world" units are Web Mercator normalised to [0,1] x [0,1], y down
 * (0 = 85.05113 N), so that tile z/x/y is the square [x, x+1] x [y, y+1] / 2^z, and
 * tile coordinates are (world * 2^z - x) * extent. Boundaries are loaded once into a
 * world clip_geom (clip_geom_from_wkb). A clip_geom is only read while cutting, so
 * threads may share one (each with its own clip_ctx). */
#ifndef RBMAP_TILES_CLIP_H
#define RBMAP_TILES_CLIP_H
#include "tiles/mvt.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct clip_ctx;

/* NULL when GEOS cannot start. */
struct clip_ctx *clip_ctx_new(void);
void clip_ctx_free(struct clip_ctx *c);
/* The last GEOS or input error, "" when none. */
const char *clip_ctx_error(const struct clip_ctx *c);

enum clip_kind { CLIP_EMPTY = 0, CLIP_LINES, CLIP_POLYGONS };

/* A multi-line or a multi-polygon, flat. For polygons, parts are rings and polygon j is
 * parts[polys[j] .. polys[j+1]), its first ring the exterior; for lines, every part is
 * a line and polys is unused. Ring closure and winding are free on input; on output
 * rings are closed (first point repeated) and in GEOS's orientation (the encoder
 * orients them). */
struct clip_geom {
    enum clip_kind kind;
    double *xy; /* npoints x,y pairs */
    size_t npoints;
    struct mvt_ring *parts; /* views into xy, valid until the geometry changes */
    size_t nparts;
    size_t *polys; /* npolys + 1 entries */
    size_t npolys;
    /* private */
    size_t *part_off;
    size_t cap_xy, cap_parts, cap_polys;
    bool on_grid; /* made by clip_geom_for_zoom for grid_z and grid_extent */
    unsigned grid_z;
    uint32_t grid_extent;
};

void clip_geom_init(struct clip_geom *g);
void clip_geom_clear(struct clip_geom *g); /* empties, keeps the memory */
void clip_geom_free(struct clip_geom *g);
/* Building by hand (tests, callers with their own rings): begin a polygon, add its
 * rings (exterior first), or add lines. False on allocation failure or kind mismatch. */
bool clip_geom_begin_polygon(struct clip_geom *g);
bool clip_geom_add_part(struct clip_geom *g, const double *xy, size_t n);
bool clip_geom_add_line(struct clip_geom *g, const double *xy, size_t n);

struct clip_tile {
    unsigned z;
    uint32_t x, y;
    uint32_t extent;  /* 0 = MVT_DEFAULT_EXTENT */
    double buffer;    /* tile units kept beyond each edge, e.g. 64 */
    double tolerance; /* simplification in tile units, 0 = none; 1-2 hides nothing a
                         512 px tile can show with extent 4096 */
};

enum clip_crs {
    CLIP_CRS_LONLAT,   /* EPSG:4326 as x = longitude, y = latitude (PostGIS order) */
    CLIP_CRS_MERCATOR, /* EPSG:3857 metres */
    CLIP_CRS_WORLD,    /* already world units */
};

/* Reads (E)WKB (Z and M dropped) into world units; polygonal parts win over lineal
 * ones in a collection, points are ignored. Invalid polygons are made valid here, once,
 * so that every tile cut starts from a valid shape.
 * Returns 1 with out filled, 0 when nothing polygonal or lineal remains, -1 on bad
 * input or GEOS failure (clip_ctx_error says which). */
int clip_geom_from_wkb(struct clip_ctx *c, const void *wkb, size_t len, enum clip_crs crs, struct clip_geom *out);

/* Cuts a world geometry for tile t into integer-valued tile coordinates.
 * Returns 1 with out filled, 0 when nothing of it shows in the buffered tile, -1 on
 * failure. Every polygon in out is valid (GEOSisValid) after rounding. */
int clip_geom_to_tile(struct clip_ctx *c, const struct clip_geom *world, const struct clip_tile *t,
                      struct clip_geom *out);
/* The same for a geometry already in tile coordinates (t->z, x, y unused). */
int clip_geom_clip(struct clip_ctx *c, const struct clip_geom *in, const struct clip_tile *t, struct clip_geom *out);

/* Prepares a world geometry for every tile of zoom z: simplified with `tolerance` (tile
 * units), on the integer grid of that zoom (world * 2^z * extent), valid. Not cut.
 * Returns 1, 0 (collapsed at this zoom) or -1, as above. */
int clip_geom_for_zoom(struct clip_ctx *c, const struct clip_geom *world, unsigned z, uint32_t extent,
                       double tolerance, struct clip_geom *out);
/* Cuts a geometry prepared by clip_geom_for_zoom for tile t (t->z and t->extent must be
 * the prepared ones, else -1; t->tolerance is not used: simplification was done). */
int clip_geom_zoom_to_tile(struct clip_ctx *c, const struct clip_geom *zoomed, const struct clip_tile *t,
                           struct clip_geom *out);

/* Adds every polygon (or line) of g to feature f; true when at least one was kept. */
bool clip_geom_encode(const struct clip_geom *g, struct mvt_feature *f);

/* Projections. Latitudes beyond +-85.05113 are clamped to the Mercator square. */
void clip_lonlat_to_world(double lon, double lat, double *wx, double *wy);
void clip_mercator_to_world(double mx, double my, double *wx, double *wy);
/* lon/lat straight to the tile coordinates of z/x/y with that extent:
 * x_tile = ((lon + 180) / 360 * 2^z - x) * extent, y through Web Mercator. */
void clip_lonlat_to_tile(double lon, double lat, unsigned z, uint32_t x, uint32_t y, uint32_t extent, double *tx,
                         double *ty);

#endif
