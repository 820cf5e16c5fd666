/* The geometry of one WMS image: its CRS, BBOX and size, and the conversions between
 * lon/lat, the CRS and pixels. The BBOX is the outer edge of the pixels: pixel (i, j)
 * covers [minx + i*rx, minx + (i+1)*rx] x [maxy - (j+1)*ry, maxy - j*ry].
 * Also the map's scale as a MapLibre zoom (512 px tiles), so that the WMS image shows
 * what the web map shows at that scale (style minzooms, cluster and bubble levels). */
#ifndef RBMAP_WMS_FRAME_H
#define RBMAP_WMS_FRAME_H
#include "geo/proj.h"

#include <stdbool.h>
#include <stddef.h>

struct wms_frame {
    const struct crs_info *crs;
    double minx, miny, maxx, maxy;
    int width, height;
    double px_per_x, px_per_y;  /* pixels per CRS unit */
    bool has_lonlat;            /* false: the BBOX has no point on Earth (blank image) */
    double west, south, east, north; /* lon/lat box covering the image (with a margin) */
    double deg_per_px;          /* largest lon/lat span of one pixel, for search margins */
    double zoom;                /* MapLibre zoom of this scale */
};

void wms_frame_init(struct wms_frame *f, const struct crs_info *crs, const double bbox[4], int width, int height);

/* lon/lat to pixel coordinates (x right, y down, fractional), n points in place. A point
 * PROJ cannot transform becomes NAN. */
void wms_frame_to_pixels(const struct wms_frame *f, double *x, double *y, size_t n);
/* A pixel position (fractional) to lon/lat; false when PROJ cannot. */
bool wms_frame_pixel_to_lonlat(const struct wms_frame *f, double px, double py, double *lon, double *lat);

#endif
