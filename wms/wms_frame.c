#include "wms/wms_frame.h"

#include "tiles/tile_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Metres per pixel of a 512 px tile at zoom 0 (Web Mercator at the equator). */
#define MERCATOR_RES_Z0 78271.51696402048
#define OUTLINE_STEPS 16

static bool is_mercator(const struct crs_info *crs) { return crs->epsg == 3857; }

/* CRS -> lon/lat for one point, tolerant of points PROJ refuses. */
static bool to_lonlat(const struct crs_info *crs, double x, double y, double *lon, double *lat)
{
    if (crs->geographic) {
        *lon = x;
        *lat = y;
        return true;
    }
    if (is_mercator(crs)) {
        tile_mercator_to_lonlat(x, y, lon, lat);
        return isfinite(*lon) && isfinite(*lat);
    }
    double px = x, py = y;
    if (reproject_points_flags(crs, crs_at(0), &px, &py, 1, REPROJECT_NO_AREA_CHECK, NULL, NULL, 0) != REPROJECT_OK ||
        !isfinite(px) || !isfinite(py))
        return false;
    *lon = px;
    *lat = py;
    return true;
}

static void from_lonlat(const struct crs_info *crs, double *x, double *y, size_t n)
{
    if (crs->geographic)
        return;
    if (is_mercator(crs)) {
        for (size_t i = 0; i < n; i++)
            tile_lonlat_to_mercator(x[i], y[i], &x[i], &y[i]);
        return;
    }
    /* A batch stops at its first bad point and leaves the arrays half done: keep the
     * input, and on failure redo the points one by one (NAN marks those PROJ refuses). */
    double *keep = malloc(2 * n * sizeof(double));
    if (keep) {
        memcpy(keep, x, n * sizeof(double));
        memcpy(keep + n, y, n * sizeof(double));
    }
    if (reproject_points_flags(crs_at(0), crs, x, y, n, REPROJECT_NO_AREA_CHECK, NULL, NULL, 0) == REPROJECT_OK) {
        free(keep);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        double px = keep ? keep[i] : NAN, py = keep ? keep[n + i] : NAN;
        if (!keep ||
            reproject_points_flags(crs_at(0), crs, &px, &py, 1, REPROJECT_NO_AREA_CHECK, NULL, NULL, 0) != REPROJECT_OK)
            px = py = NAN;
        x[i] = px;
        y[i] = py;
    }
    free(keep);
}

void wms_frame_init(struct wms_frame *f, const struct crs_info *crs, const double bbox[4], int width, int height)
{
    *f = (struct wms_frame){.crs = crs, .minx = bbox[0], .miny = bbox[1], .maxx = bbox[2], .maxy = bbox[3],
                            .width = width, .height = height};
    f->px_per_x = width / (f->maxx - f->minx);
    f->px_per_y = height / (f->maxy - f->miny);
    double w = INFINITY, s = INFINITY, e = -INFINITY, n = -INFINITY;
    for (int i = 0; i <= OUTLINE_STEPS; i++)
        for (int j = 0; j <= OUTLINE_STEPS; j++) {
            if (i && j && i < OUTLINE_STEPS && j < OUTLINE_STEPS && i != OUTLINE_STEPS / 2)
                continue; /* the outline and a centre line are enough */
            double x = f->minx + (f->maxx - f->minx) * i / OUTLINE_STEPS;
            double y = f->miny + (f->maxy - f->miny) * j / OUTLINE_STEPS;
            double lon, lat;
            if (!to_lonlat(crs, x, y, &lon, &lat))
                continue;
            w = fmin(w, lon);
            e = fmax(e, lon);
            s = fmin(s, lat);
            n = fmax(n, lat);
        }
    if (!(w <= e && s <= n))
        return;
    double mw = (e - w) * 0.02, mh = (n - s) * 0.02;
    f->west = fmax(w - mw, -180);
    f->east = fmin(e + mw, 180);
    f->south = fmax(s - mh, -90);
    f->north = fmin(n + mh, 90);
    f->has_lonlat = f->west < f->east && f->south < f->north;
    f->deg_per_px = fmax((e - w) / width, (n - s) / height);
    /* Scale along the horizontal centre line, in Mercator metres per pixel. */
    double cy = (f->miny + f->maxy) / 2, lon0, lat0, lon1, lat1;
    double res = 0;
    if (to_lonlat(crs, f->minx, cy, &lon0, &lat0) && to_lonlat(crs, f->maxx, cy, &lon1, &lat1)) {
        double mx0, my0, mx1, my1;
        tile_lonlat_to_mercator(lon0, lat0, &mx0, &my0);
        tile_lonlat_to_mercator(lon1, lat1, &mx1, &my1);
        res = hypot(mx1 - mx0, my1 - my0) / width;
    }
    if (!(res > 0))
        res = (f->east - f->west) / 360.0 * 2 * TILE_MERCATOR_HALF / width;
    f->zoom = res > 0 ? log2(MERCATOR_RES_Z0 / res) : 0;
}

void wms_frame_to_pixels(const struct wms_frame *f, double *x, double *y, size_t n)
{
    from_lonlat(f->crs, x, y, n);
    for (size_t i = 0; i < n; i++) {
        x[i] = (x[i] - f->minx) * f->px_per_x;
        y[i] = (f->maxy - y[i]) * f->px_per_y;
    }
}

bool wms_frame_pixel_to_lonlat(const struct wms_frame *f, double px, double py, double *lon, double *lat)
{
    return to_lonlat(f->crs, f->minx + px / f->px_per_x, f->maxy - py / f->px_per_y, lon, lat);
}
