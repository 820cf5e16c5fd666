/* Streaming GeoJSON for OGC API Features: features are written one by one straight
 * into the response buffer (no document tree), coordinates reprojected to the
 * requested CRS in its own axis order (EPSG:4326 lat,lon; CRS84 lon,lat; projected
 * easting,northing), properties through a prop_sink (db/feature_props.h) that honours
 * `properties=`. Any failure (memory, buffer limit, a point PROJ cannot transform)
 * sets `failed` and the message; callers check it once at the end. */
#ifndef RBMAP_OGC_GEOJSON_H
#define RBMAP_OGC_GEOJSON_H
#include "db/feature_props.h"
#include "geo/proj.h"
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OGC_MAX_SELECTED_PROPS 64

struct ogc_writer {
    struct buf *out;
    const struct crs_info *crs; /* output CRS; lon/lat WGS84 sources */
    bool lat_first;             /* EPSG geographic CRS: latitude first */
    bool project;               /* crs is not lon/lat WGS84 */
    /* properties=: only these keys (n_selected > 0), else every key */
    size_t n_selected;
    const char *selected[OGC_MAX_SELECTED_PROPS];
    bool first_prop;
    bool failed;
    char error[160];
};

/* crs NULL = CRS84. */
void ogc_writer_init(struct ogc_writer *w, struct buf *out, const struct crs_info *crs);

/* A JSON string literal of s (escaped; bytes that are not UTF-8 become '?'). */
bool ogc_json_string(struct buf *out, const char *s);

/* "type":"Feature","id":..., then geometry, then properties, then end. */
void ogc_feature_begin_int(struct ogc_writer *w, int64_t id);
void ogc_feature_begin_str(struct ogc_writer *w, const char *id);
void ogc_geometry_point(struct ogc_writer *w, double lon, double lat);
/* A MultiPolygon: begin, then per polygon polygon_begin, its rings (exterior first;
 * lon/lat pairs, reprojected in place, so xy is scratch), polygon_end; then end. */
void ogc_multipolygon_begin(struct ogc_writer *w);
void ogc_polygon_begin(struct ogc_writer *w, bool first);
void ogc_ring(struct ogc_writer *w, double *xy, size_t n, bool first);
void ogc_polygon_end(struct ogc_writer *w);
void ogc_multipolygon_end(struct ogc_writer *w);
void ogc_properties_begin(struct ogc_writer *w);
/* The sink writing into the open properties object (honours `selected`). */
struct prop_sink ogc_prop_sink(struct ogc_writer *w);
void ogc_properties_end(struct ogc_writer *w);
void ogc_feature_end(struct ogc_writer *w);

#endif
