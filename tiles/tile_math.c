/* Web Mercator tile math. Tile edges are computed from integer tile numbers with
 * ldexp (exact powers of two) so that neighbouring tiles agree to the bit, whatever
 * the zoom; the only rounding is the final scaling to metres or degrees. */
#include "tiles/tile_math.h"

#include <math.h>

#define PI 3.14159265358979323846
#define DEG (PI / 180.0)

bool tile_valid(int z, int64_t x, int64_t y)
{
    if (z < 0 || z > TILE_MAX_ZOOM)
        return false;
    int64_t n = (int64_t)1 << z;
    return x >= 0 && y >= 0 && x < n && y < n;
}

uint32_t tile_count(int z)
{
    return z >= 0 && z <= TILE_MAX_ZOOM ? (uint32_t)1 << z : 0;
}

double tile_clamp_lat(double lat)
{
    return lat > TILE_MAX_LAT ? TILE_MAX_LAT : (lat < -TILE_MAX_LAT ? -TILE_MAX_LAT : lat);
}

void tile_lonlat_to_mercator(double lon, double lat, double *mx, double *my)
{
    *mx = lon * (TILE_MERCATOR_HALF / 180.0);
    *my = TILE_EARTH_RADIUS * atanh(sin(tile_clamp_lat(lat) * DEG));
}

void tile_mercator_to_lonlat(double mx, double my, double *lon, double *lat)
{
    *lon = mx * (180.0 / TILE_MERCATOR_HALF);
    *lat = atan(sinh(my / TILE_EARTH_RADIUS)) / DEG;
}

double tile_pixel_metres(int z, int extent)
{
    if (extent <= 0 || !tile_count(z))
        return NAN;
    return 2 * TILE_MERCATOR_HALF / ldexp((double)extent, z);
}

/* Unclamped in x (pixels beyond the world edge are meaningful in a buffer); y follows
 * the clamped latitude. */
static double frac_x(int z, double lon)
{
    return ldexp((lon + 180.0) / 360.0, z);
}

static double frac_y(int z, double lat)
{
    return ldexp(0.5 - atanh(sin(tile_clamp_lat(lat) * DEG)) / (2 * PI), z);
}

static double lon_of(int z, double fx)
{
    return ldexp(fx, -z) * 360.0 - 180.0;
}

static double lat_of(int z, double fy)
{
    return atan(sinh(PI * (1.0 - ldexp(fy, 1 - z)))) / DEG;
}

bool tile_bounds_mercator(int z, uint32_t x, uint32_t y, struct tile_bbox *out)
{
    if (!tile_valid(z, x, y))
        return false;
    out->minx = TILE_MERCATOR_HALF * (ldexp(2.0 * x, -z) - 1.0);
    out->maxx = TILE_MERCATOR_HALF * (ldexp(2.0 * x + 2.0, -z) - 1.0);
    out->maxy = TILE_MERCATOR_HALF * (1.0 - ldexp(2.0 * y, -z));
    out->miny = TILE_MERCATOR_HALF * (1.0 - ldexp(2.0 * y + 2.0, -z));
    return true;
}

bool tile_bounds_lonlat(int z, uint32_t x, uint32_t y, struct tile_bbox *out)
{
    if (!tile_valid(z, x, y))
        return false;
    out->minx = lon_of(z, x);
    out->maxx = lon_of(z, (double)x + 1);
    out->maxy = lat_of(z, y);
    out->miny = lat_of(z, (double)y + 1);
    return true;
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

void tile_world_to_lonlat(double wx, double wy, double *lon, double *lat)
{
    *lon = lon_of(0, wx);
    *lat = lat_of(0, wy);
}

bool tile_lonlat_to_fraction(int z, double lon, double lat, double *fx, double *fy)
{
    uint32_t n = tile_count(z);
    if (!n || isnan(lon) || isnan(lat))
        return false;
    *fx = clampd(frac_x(z, lon), 0, n);
    *fy = clampd(frac_y(z, lat), 0, n);
    return true;
}

static uint32_t cell(double f, uint32_t n)
{
    double c = floor(f);
    return c >= n ? n - 1 : (uint32_t)c; /* f is already clamped to [0, n] */
}

/* floor() of the fraction can land one tile off when the point is within rounding of
 * an edge (a fifth of the latitude edges do); comparing with the edges exactly as
 * tile_bounds_lonlat computes them keeps both functions in agreement. */
static uint32_t cell_x(int z, double lon)
{
    uint32_t n = tile_count(z), c = cell(clampd(frac_x(z, lon), 0, n), n);
    if (c + 1 < n && lon >= lon_of(z, c + 1.0))
        return c + 1;
    return c > 0 && lon < lon_of(z, c) ? c - 1 : c;
}

static uint32_t cell_y(int z, double lat)
{
    uint32_t n = tile_count(z), c = cell(clampd(frac_y(z, lat), 0, n), n);
    if (c + 1 < n && lat <= lat_of(z, c + 1.0))
        return c + 1;
    return c > 0 && lat > lat_of(z, c) ? c - 1 : c;
}

bool tile_from_lonlat(int z, double lon, double lat, uint32_t *x, uint32_t *y)
{
    if (!tile_count(z) || isnan(lon) || isnan(lat))
        return false;
    *x = cell_x(z, lon);
    *y = cell_y(z, lat);
    return true;
}

bool tile_lonlat_to_pixel(int z, uint32_t x, uint32_t y, int extent, double lon, double lat,
                          double *px, double *py)
{
    if (!tile_valid(z, x, y) || extent <= 0 || isnan(lon) || isnan(lat))
        return false;
    *px = (frac_x(z, lon) - x) * extent;
    *py = (frac_y(z, lat) - y) * extent;
    return true;
}

bool tile_pixel_to_lonlat(int z, uint32_t x, uint32_t y, int extent, double px, double py,
                          double *lon, double *lat)
{
    if (!tile_valid(z, x, y) || extent <= 0 || isnan(px) || isnan(py))
        return false;
    *lon = lon_of(z, x + px / extent);
    *lat = lat_of(z, y + py / extent);
    return true;
}

bool tile_range_for_lonlat(int z, const struct tile_bbox *b, struct tile_range *out)
{
    if (!tile_count(z) || !(b->minx <= b->maxx) || !(b->miny <= b->maxy))
        return false; /* also refuses NaN */
    out->z = z;
    out->minx = cell_x(z, b->minx);
    out->maxx = cell_x(z, b->maxx);
    out->miny = cell_y(z, b->maxy);
    out->maxy = cell_y(z, b->miny);
    return true;
}

bool tile_query_bbox(int z, uint32_t x, uint32_t y, int extent, double buffer,
                     struct tile_bbox *out)
{
    if (!(buffer >= 0) || !isfinite(buffer))
        return false;
    struct tile_bbox b;
    if (!tile_pixel_to_lonlat(z, x, y, extent, -buffer, -buffer, &b.minx, &b.maxy) ||
        !tile_pixel_to_lonlat(z, x, y, extent, extent + buffer, extent + buffer, &b.maxx,
                              &b.miny))
        return false;
    *out = b;
    return true;
}
