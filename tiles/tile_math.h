/* Web Mercator (EPSG:3857) tile math for the XYZ grid: tile z/x/y, x growing east,
 * y growing south, tile 0/0/0 covering the whole world.
 *
 * What this module promises:
 * - Pure functions: no state, no allocation, safe from any thread.
 * - Valid tiles are z in 0..TILE_MAX_ZOOM and x, y in [0, 2^z). Functions taking a tile
 *   return false (and leave outputs alone) for anything else, and for NaN input.
 * - Latitudes are clamped to +-TILE_MAX_LAT wherever they are projected; longitudes are
 *   not wrapped (rbmap's data never crosses the antimeridian).
 * - Tile pixel coordinates are doubles in the tile's own frame: (0,0) is the north-west
 *   corner, (extent, extent) the south-east one, y grows southwards; values outside
 *   [0, extent] are the buffer and beyond.
 * - Tile edges are exact in EPSG:3857: tile 0/0/0 is +-TILE_MERCATOR_HALF exactly, and
 *   neighbouring tiles share bit-identical edges in both metres and degrees.
 */
#ifndef RBMAP_TILES_TILE_MATH_H
#define RBMAP_TILES_TILE_MATH_H
#include <stdbool.h>
#include <stdint.h>

#define TILE_MAX_ZOOM 24
#define TILE_EXTENT 4096
#define TILE_EARTH_RADIUS 6378137.0
#define TILE_MERCATOR_HALF 20037508.342789244 /* pi * radius */
#define TILE_MAX_LAT 85.0511287798066         /* atan(sinh(pi)) in degrees */

/* Same layout as struct rtree_box: x = longitude or easting, y = latitude or northing. */
struct tile_bbox {
    double minx, miny, maxx, maxy;
};

/* An inclusive range of tiles at one zoom. */
struct tile_range {
    int z;
    uint32_t minx, miny, maxx, maxy;
};

bool tile_valid(int z, int64_t x, int64_t y);
/* 2^z, or 0 for an invalid zoom. */
uint32_t tile_count(int z);

double tile_clamp_lat(double lat);
void tile_lonlat_to_mercator(double lon, double lat, double *mx, double *my);
void tile_mercator_to_lonlat(double mx, double my, double *lon, double *lat);
/* World units (tiles/clip.h: Web Mercator normalised to [0,1], y down) to lon/lat. */
void tile_world_to_lonlat(double wx, double wy, double *lon, double *lat);
/* Size of one pixel of a tile at zoom z, in EPSG:3857 metres (at the equator). */
double tile_pixel_metres(int z, int extent);

bool tile_bounds_mercator(int z, uint32_t x, uint32_t y, struct tile_bbox *out);
bool tile_bounds_lonlat(int z, uint32_t x, uint32_t y, struct tile_bbox *out);

/* Fractional tile coordinates at zoom z (0..2^z, clamped), e.g. 518.69 for Paris at z10. */
bool tile_lonlat_to_fraction(int z, double lon, double lat, double *fx, double *fy);
/* The tile containing a point, consistent with tile_bounds_lonlat to the bit: a point
 * on a shared edge belongs to the tile east or south of it, the world's east and south
 * edges to the last tile. */
bool tile_from_lonlat(int z, double lon, double lat, uint32_t *x, uint32_t *y);

/* lon/lat -> pixel coordinates in tile z/x/y with the given extent, and back. */
bool tile_lonlat_to_pixel(int z, uint32_t x, uint32_t y, int extent, double lon, double lat,
                          double *px, double *py);
bool tile_pixel_to_lonlat(int z, uint32_t x, uint32_t y, int extent, double px, double py,
                          double *lon, double *lat);

/* The tiles at zoom z covering a lon/lat box (same edge rule as tile_from_lonlat; the
 * box is clamped to the world). False for an invalid zoom, NaN, or west > east or
 * south > north. */
bool tile_range_for_lonlat(int z, const struct tile_bbox *lonlat, struct tile_range *out);

/* The lon/lat box of tile z/x/y grown by `buffer` pixels of `extent` on every side:
 * the box to query a lon/lat spatial index with so that features in the buffer are
 * found (Mercator is conformal, so a square buffer in pixels is this box in degrees).
 * Near the poles its latitudes may exceed TILE_MAX_LAT; at the world's east and west
 * edges its longitudes may pass +-180. */
bool tile_query_bbox(int z, uint32_t x, uint32_t y, int extent, double buffer,
                     struct tile_bbox *out);

#endif
