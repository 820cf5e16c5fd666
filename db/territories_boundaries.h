/* Boundary polygons for `rbmap import-territories`, read through GDAL/OGR so that any
 * vector format works: the GeoJSON files of the shared data (gzipped or not), IGN Admin
 * Express shapefiles (Lambert-93 or overseas CRS), GeoPackage... Each feature goes to
 * stage_poly as a MultiPolygon in EPSG:4326 with its INSEE code; validity is fixed
 * later, in SQL. */
#ifndef RBMAP_DB_TERRITORIES_BOUNDARIES_H
#define RBMAP_DB_TERRITORIES_BOUNDARIES_H
#include <libpq-fe.h>
#include <stddef.h>

enum terr_level { LEVEL_REGION, LEVEL_DEPARTEMENT, LEVEL_COMMUNE, LEVEL_COUNT };

#define BOUNDARY_MAX_FILES 8

struct boundary_sources {
    char *files[LEVEL_COUNT][BOUNDARY_MAX_FILES]; /* owned copies */
    int n[LEVEL_COUNT];
};

void boundaries_free(struct boundary_sources *src);

/* The name stored in stage_poly.level ("region", "departement", "commune"). */
const char *terr_level_name(enum terr_level level);

/* Adds one file for a level. */
int boundaries_add_file(struct boundary_sources *src, enum terr_level level, const char *path, char *err,
                        size_t errlen);

/* Adds a --boundaries argument: a directory holding regions.geojson,
 * departements.geojson and communes.geojson[.gz] (each optional, at least one
 * present), or a file whose name tells its level (REGION.shp, departements.geojson,
 * COMMUNE.shp, ARRONDISSEMENT_MUNICIPAL.shp...). Levels already set by `explicit_src`
 * are not taken from a directory. */
int boundaries_add_path(struct boundary_sources *src, const struct boundary_sources *explicit_src,
                        const char *path, char *err, size_t errlen);

struct boundary_counts {
    unsigned long features[LEVEL_COUNT];   /* staged polygons */
    unsigned long skipped[LEVEL_COUNT];    /* no code, no geometry or not a polygon */
    unsigned long reprojected[LEVEL_COUNT];
};

/* Reads every source and COPYs it into stage_poly. */
int boundaries_stage(PGconn *conn, const struct boundary_sources *src, struct boundary_counts *counts,
                     char *err, size_t errlen);

#endif
