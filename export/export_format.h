/* The file formats and collections of GET /export/{collection}.{format} and `rbmap export`:
 * one table says, per format, which GDAL driver writes it, its MIME type, how its
 * columns are named (keys, short shapefile names or readable French labels) and whether
 * it carries geometry or coordinate columns. */
#ifndef RBMAP_EXPORT_EXPORT_FORMAT_H
#define RBMAP_EXPORT_EXPORT_FORMAT_H
#include <stdbool.h>
#include <stddef.h>

enum export_naming {
    NAMING_KEYS,   /* the property keys of db/feature_props.h (gpkg, fgb, geojson, kml) */
    NAMING_SHORT,  /* ≤ 10 characters, from a deliberate table (shapefile dBase fields) */
    NAMING_FRENCH, /* the platform's readable French column names (csv, xlsx) */
};

struct export_format {
    const char *name;      /* as in the URL: "gpkg", "shp.zip", ... */
    const char *driver;    /* GDAL vector driver */
    const char *mime;
    const char *extension; /* of the file GDAL writes (".shp" inside the zip) */
    enum export_naming naming;
    bool spreadsheet;      /* no geometry: coordinates as two columns, dates and booleans as text */
    bool wgs84_only;       /* KML: the format defines its CRS */
    bool zipped;           /* the written files are delivered as one zip */
};

enum export_collection { EXPORT_SITES, EXPORT_ACTIONS, EXPORT_BOUNDARIES, EXPORT_TERRITORIES, EXPORT_COLLECTIONS };

/* NULL when unknown. */
const struct export_format *export_format_find(const char *name);
/* "gpkg, shp.zip, kml, csv, xlsx, fgb, geojson" */
const char *export_format_list(void);

/* -1 when unknown. */
int export_collection_find(const char *name);
const char *export_collection_name(enum export_collection c);
/* "sites, actions, boundaries, territories" */
const char *export_collection_list(void);

/* Splits "sites.shp.zip" into a collection and a format (the format is everything after
 * the first dot). -1 with a message naming what is wrong. */
int export_parse_name(const char *name, enum export_collection *collection, const struct export_format **format,
                      char *err, size_t errlen);

#endif
