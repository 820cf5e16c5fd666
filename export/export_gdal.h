/* The GDAL/OGR side of exports: one layer in a new dataset of a given format, its
 * fields named for that format (export_fields.h), features filled through a
 * `struct prop_sink` (so sites and actions carry exactly the properties of
 * db/feature_props.h), and the finished file read back from /vsimem.
 * GDAL errors stay quiet (a per-thread error handler) and come back as messages. */
#ifndef RBMAP_EXPORT_EXPORT_GDAL_H
#define RBMAP_EXPORT_EXPORT_GDAL_H
#include "db/feature_props.h"
#include "export/export_format.h"
#include "geo/proj.h"

#include <stdbool.h>
#include <stddef.h>

struct export_layer;

enum export_geometry { EXPORT_POINTS, EXPORT_POLYGONS };

/* Registers the drivers (once per process). */
void export_gdal_init(void);

/* Creates dir/layer_name<extension> (dir is a /vsimem folder) with one layer named
 * layer_name in crs, and the fields of keys (sensitive ones only when with_sensitive,
 * those needing a flag (owners, finances) only when `flags` has it: feature_flags).
 * NULL with a message on failure. */
struct export_layer *export_layer_create(const struct export_format *fmt, enum export_collection collection,
                                         const char *dir, const char *layer_name, const struct crs_info *crs,
                                         enum export_geometry geometry, bool with_sensitive, unsigned flags,
                                         char *err, size_t errlen);

/* A feature: begin, fill through the sink (valid until end), set its geometry, end. */
const struct prop_sink *export_layer_begin(struct export_layer *l, long long fid);
void export_layer_set_point(struct export_layer *l, double x, double y);
/* Polygons as a flat list of rings: polygon j is rings[polys[j] .. polys[j+1]), the first
 * one its exterior; ring r is xy[2*ring_start[r] .. 2*ring_start[r+1]). */
void export_layer_set_polygons(struct export_layer *l, const double *xy, const size_t *ring_start, size_t nrings,
                               const size_t *polys, size_t npolys);
int export_layer_end(struct export_layer *l, char *err, size_t errlen);

/* Commits and closes the dataset (the file is complete in dir afterwards); frees l
 * even on failure. */
int export_layer_close(struct export_layer *l, char *err, size_t errlen);

/* The bytes of the finished export in dir: the single file GDAL wrote, or, for a zipped
 * format, a zip of every file (.shp, .shx, .dbf, .prj, .cpg). Free with export_bytes_free. */
int export_collect_bytes(const struct export_format *fmt, const char *dir, const char *layer_name,
                         unsigned char **data, size_t *len, char *err, size_t errlen);
void export_bytes_free(void *data);

/* A fresh /vsimem folder name, unique in the process (several threads export at once). */
void export_vsimem_dir(char *out, size_t len);
/* Deletes dir and everything in it. */
void export_vsimem_remove(const char *dir);

#endif
