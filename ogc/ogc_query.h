/* The query parameters of OGC API Features requests, checked and parsed once.
 *
 * What this module promises:
 * - Every parameter of a request is one the endpoint declares in its OpenAPI document
 *   (ogc_param_allowed); anything else, and any parameter given twice, is a 400 that
 *   names it. access_token (credentials, server/auth.c) is always allowed.
 * - limit: integer 1..cfg max; a larger value is clamped to the maximum (Part 1
 *   /req/core/fc-limit-response-1), anything that is not an integer >= 1 is a 400.
 * - bbox: 4 or 6 numbers (the 6-number form's heights are ignored) in bbox-crs
 *   (default CRS84), in that CRS's axis order (EPSG:4326: lat,lon); turned into one or
 *   two lon/lat boxes (two when a CRS84 box crosses the antimeridian, minlon > maxlon).
 * - crs / bbox-crs: any CRS of geo/proj.h, as URI or code; anything else is a 400.
 * - datetime: an RFC 3339 date or date-time, or an interval a/b with ".." or "" for an
 *   open end; kept as whole days (a date-time counts as its UTC day).
 * - properties: comma list, each a known property name for the collection (checked by
 *   the caller); sortby: comma list of [+|-]name.
 * Messages name the parameter ("bbox: expected 4 or 6 numbers"). */
#ifndef RBMAP_OGC_QUERY_H
#define RBMAP_OGC_QUERY_H
#include "geo/proj.h"
#include "server/http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OGC_MAX_SORT_KEYS 4
#define OGC_MAX_OFFSET 100000000L

struct ogc_lonlat_box {
    double minlon, minlat, maxlon, maxlat;
};

struct ogc_sort_key {
    char name[64];
    bool descending;
};

struct ogc_query {
    long limit, offset;
    bool has_bbox;
    size_t n_boxes;
    struct ogc_lonlat_box boxes[2];
    const struct crs_info *crs;      /* output CRS (CRS84 by default) */
    const struct crs_info *bbox_crs; /* CRS84 by default */
    bool has_datetime, datetime_is_instant;
    int32_t dt_start, dt_end;        /* inclusive days; INT32_MIN / INT32_MAX when open */
    size_t n_props;                  /* properties= */
    char props[64][64];
    size_t n_sort;
    struct ogc_sort_key sort[OGC_MAX_SORT_KEYS];
    int zoom;                        /* -1 when absent */
};

/* True when name is declared for this endpoint. `allowed` is a NULL-terminated list. */
bool ogc_param_allowed(const char *name, const char *const *allowed);
/* 400 on an undeclared or repeated parameter (the message lists the declared ones). */
int ogc_check_params(const struct request *req, const char *const *allowed, struct response *res);

/* Parses the items parameters; -1 after answering 400. */
int ogc_parse_query(const struct request *req, long limit_default, long limit_max, int max_zoom,
                    struct ogc_query *q, struct response *res);

/* Parses crs= alone (items/{fid}); -1 after a 400. */
int ogc_parse_crs(const struct request *req, const char *name, const struct crs_info **out, struct response *res);

/* The URI of a CRS ("http://www.opengis.net/def/crs/EPSG/0/2154", ".../OGC/1.3/CRS84"). */
void ogc_crs_uri(const struct crs_info *crs, char *out, size_t outlen);

/* Does a life span [start, end) in days (DAY_NONE start = unknown: never matches; DAY_NONE
 * end = still going) meet the query's datetime? True when no datetime was given. */
bool ogc_datetime_match(const struct ogc_query *q, int32_t start, int32_t end);

/* Is (lon, lat) in one of the query boxes (true without bbox)? Boxes meeting. */
bool ogc_bbox_has_point(const struct ogc_query *q, double lon, double lat);
bool ogc_bbox_meets_box(const struct ogc_query *q, double minlon, double minlat, double maxlon, double maxlat);

#endif
