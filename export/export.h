/* Exports of one collection (sites, actions, boundaries, territories) to one file, the
 * same way for GET /export/... and `rbmap export`:
 * - which features: the filters and scope of every other output (db/site_filter.h),
 *   a WGS84 bbox, a level for boundaries and territories; the public scope gets no site
 *   and no action (EXPORT_FORBIDDEN), and territory bubbles as the tiles show them;
 * - bounded: more than max_features features is refused before anything is written;
 * - properties only through db/feature_props.h, justice fields only for a non-public
 *   scope with the justice flag;
 * - coordinates reprojected to the requested CRS with geo/proj.h (a point outside the
 *   CRS's area of use is refused, naming the feature), the CRS declared in the file;
 * - built in a private /vsimem folder that is always removed. */
#ifndef RBMAP_EXPORT_EXPORT_H
#define RBMAP_EXPORT_EXPORT_H
#include "db/action_store.h"
#include "db/site_filter.h"
#include "db/site_store.h"
#include "export/export_format.h"
#include "geo/proj.h"
#include "util/progress.h"

#include <stdbool.h>
#include <stddef.h>

struct boundary_set;
struct territory_points;

struct export_sources {
    const struct site_snapshot *sites;
    const struct action_snapshot *actions;
    const struct boundary_set *boundaries;      /* NULL while not loaded */
    const struct territory_points *territories; /* NULL while not loaded */
};

struct export_query {
    enum export_collection collection;
    const struct export_format *format;
    const struct crs_info *crs;
    const struct site_filter *filter;
    const struct scope *scope;
    bool has_bbox;
    double bbox[4];       /* west, south, east, north in degrees */
    const char *level;    /* boundaries: region|departement|epci|city or NULL for all;
                             territories: region|departement|city, NULL = departement */
    size_t max_features;
    struct progress *progress; /* may be NULL */
};

/* Results; the numbers are the HTTP statuses they turn into. */
enum export_status {
    EXPORT_OK = 0,
    EXPORT_BAD_REQUEST = 400,  /* a bad parameter, or a point outside the CRS */
    EXPORT_FORBIDDEN = 403,    /* the scope may not see this collection (or level) */
    EXPORT_TOO_LARGE = 413,    /* more than max_features */
    EXPORT_UNAVAILABLE = 503,  /* boundaries or territories not loaded yet */
    EXPORT_FAILED = 500,       /* GDAL or memory */
};

/* Checks the query's own consistency (format and collection, CRS and format, level):
 * EXPORT_OK or EXPORT_BAD_REQUEST with a message naming the parameter. */
int export_check_query(const struct export_query *q, char *err, size_t errlen);

/* Writes the export and hands back its bytes (free with export_bytes_free) and the
 * number of features. Returns an enum export_status with a message in err. */
int export_run(const struct export_query *q, const struct export_sources *src, unsigned char **data, size_t *len,
               size_t *features, char *err, size_t errlen);

/* The file name users get: "rbmap-sites-20240501.gpkg" (today's date, UTC). */
void export_file_name(const struct export_query *q, char *out, size_t outlen);

void export_bytes_free(void *data);

#endif
