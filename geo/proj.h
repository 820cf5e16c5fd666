/* Coordinate reprojection between the CRSs rbmap supports (a PROJ 9 wrapper).
 *
 * What this module promises:
 * - One registry of supported CRSs (crs_count/crs_at) and one parser (crs_lookup) for
 *   the ways users write them; everything else is refused with a message listing what
 *   is supported. A `const struct crs_info *` always points into that registry.
 * - Axis order is fixed whatever the CRS definition says: x = longitude or easting,
 *   y = latitude or northing (EPSG:4326 and CRS:84 therefore behave the same).
 * - Safe from any thread: each thread gets its own PJ_CONTEXT (network off, logging
 *   off) and its own cache of transformations, created on first use. Memory is
 *   released when the thread exits (pthread key destructor) or by
 *   proj_thread_release(). No locks on the transformation path.
 * - No silent wrong numbers: every point is checked, in WGS84 lon/lat, against the area
 *   of use of the source CRS (catches a projected point whose inverse lands elsewhere)
 *   and of the target CRS (catches a Réunion point sent to Lambert-93), with a margin
 *   of REPROJECT_AREA_MARGIN_DEG; a point PROJ cannot transform (HUGE_VAL) is an error
 *   too. Areas come from proj_get_area_of_use, read once per process.
 * - Errors say which point failed: "point 3 (55.45,-20.88) is outside the area of use
 *   of EPSG:2154 (RGF93 v1 / Lambert-93)"; point numbers in messages count from 1,
 *   *bad_index counts from 0.
 */
#ifndef RBMAP_GEO_PROJ_H
#define RBMAP_GEO_PROJ_H
#include <stdbool.h>
#include <stddef.h>

struct crs_info {
    const char *code;       /* canonical: "EPSG:2154", "OGC:CRS84" */
    int epsg;               /* 0 when there is no EPSG code (CRS84) */
    const char *name;       /* EPSG name, as PROJ reports it */
    const char *area;       /* where it is meant to be used, in words */
    const char *axis_note;  /* the CRS's own axis order, which rbmap hides */
    bool geographic;        /* degrees (lon,lat) rather than metres */
    /* Area of use (degrees, WGS84) as in the EPSG database; the authoritative
     * values are read from PROJ at run time, see crs_area_of_use. */
    double west, south, east, north;
};

/* Degrees of slack on every area-of-use bound (about 1 km): points on the edge of a
 * territory or rounded by a client must not be refused. */
#define REPROJECT_AREA_MARGIN_DEG 0.01

size_t crs_count(void);
const struct crs_info *crs_at(size_t i); /* NULL past the end */
size_t crs_index(const struct crs_info *crs); /* crs_at(crs_index(c)) == c */

/* Parses user text: "EPSG:2154" (prefix case-insensitive), "2154",
 * "http://www.opengis.net/def/crs/EPSG/0/2154", "CRS:84", "OGC:CRS84",
 * "http://www.opengis.net/def/crs/OGC/1.3/CRS84", "urn:ogc:def:crs:EPSG::2154".
 * Returns NULL with "unsupported CRS 'X'; supported: ..." in err. */
const struct crs_info *crs_lookup(const char *text, char *err, size_t errlen);

/* The supported codes, comma separated ("EPSG:4326, OGC:CRS84, ..."). */
const char *crs_supported_list(void);

/* Area of use of crs from PROJ (falls back to the table if PROJ cannot say). */
void crs_area_of_use(const struct crs_info *crs, double *west, double *south,
                     double *east, double *north);

enum {
    REPROJECT_OK = 0,
    REPROJECT_BAD_POINT = -1, /* the caller's data: *bad_index says which point */
    REPROJECT_INTERNAL = -2,  /* PROJ could not build the transformation (proj.db?) */
};

/* Skip the area-of-use checks (rendering a map extent that runs past a territory).
 * Points PROJ cannot transform are still errors. */
#define REPROJECT_NO_AREA_CHECK 1u

/* Transforms n points in place from `from` to `to`. On error returns REPROJECT_BAD_POINT
 * or REPROJECT_INTERNAL with a message in err; the arrays are then partly transformed
 * and must be discarded. bad_index may be NULL; err may be NULL when errlen is 0. */
int reproject_points(const struct crs_info *from, const struct crs_info *to, double *x,
                     double *y, size_t n, size_t *bad_index, char *err, size_t errlen);
int reproject_points_flags(const struct crs_info *from, const struct crs_info *to,
                           double *x, double *y, size_t n, unsigned flags,
                           size_t *bad_index, char *err, size_t errlen);

/* Frees the calling thread's PROJ context and cached transformations now (the main
 * thread at exit; other threads do it automatically when they end). */
void proj_thread_release(void);

#endif
