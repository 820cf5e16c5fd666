#include "export/export_format.h"

#include <stdio.h>
#include <string.h>

static const struct export_format formats[] = {
    {"gpkg", "GPKG", "application/geopackage+sqlite3", ".gpkg", NAMING_KEYS, false, false, false},
    {"shp.zip", "ESRI Shapefile", "application/zip", ".shp", NAMING_SHORT, false, false, true},
    {"kml", "KML", "application/vnd.google-earth.kml+xml", ".kml", NAMING_KEYS, false, true, false},
    {"csv", "CSV", "text/csv; charset=utf-8", ".csv", NAMING_FRENCH, true, false, false},
    {"xlsx", "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", NAMING_FRENCH,
     true, false, false},
    {"fgb", "FlatGeobuf", "application/flatgeobuf", ".fgb", NAMING_KEYS, false, false, false},
    {"geojson", "GeoJSON", "application/geo+json", ".geojson", NAMING_KEYS, false, false, false},
};

static const char *const collections[EXPORT_COLLECTIONS] = {"sites", "actions", "boundaries", "territories"};

const struct export_format *export_format_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof formats / sizeof formats[0]; i++)
        if (!strcmp(formats[i].name, name))
            return &formats[i];
    return NULL;
}

const char *export_format_list(void) { return "gpkg, shp.zip, kml, csv, xlsx, fgb, geojson"; }

int export_collection_find(const char *name)
{
    for (int i = 0; name && i < EXPORT_COLLECTIONS; i++)
        if (!strcmp(collections[i], name))
            return i;
    return -1;
}

const char *export_collection_name(enum export_collection c) { return collections[c]; }

const char *export_collection_list(void) { return "sites, actions, boundaries, territories"; }

int export_parse_name(const char *name, enum export_collection *collection, const struct export_format **format,
                      char *err, size_t errlen)
{
    const char *dot = strchr(name, '.');
    char coll[32];
    size_t n = dot ? (size_t)(dot - name) : strlen(name);
    if (n >= sizeof coll)
        n = sizeof coll - 1;
    memcpy(coll, name, n);
    coll[n] = 0;
    int c = export_collection_find(coll);
    if (c < 0) {
        snprintf(err, errlen, "unknown collection '%.31s'; expected one of: %s", coll, export_collection_list());
        return -1;
    }
    if (!dot || !(*format = export_format_find(dot + 1))) {
        snprintf(err, errlen, "unknown format '%.31s'; expected one of: %s", dot ? dot + 1 : "",
                 export_format_list());
        return -1;
    }
    *collection = (enum export_collection)c;
    return 0;
}
