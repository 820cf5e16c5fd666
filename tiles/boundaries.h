/* Territory boundaries in memory (régions, départements, EPCI, communes), loaded once
 * from PostGIS, and their rendering into the `boundaries` tile layer: each level at the
 * zooms where it makes sense, clipped to the tile plus buffer and simplified for the
 * zoom (tiles/clip.h). */
#ifndef RBMAP_TILES_BOUNDARIES_H
#define RBMAP_TILES_BOUNDARIES_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct boundary_set;
struct mvt_tile;

/* First zoom at which each level shows. */
#define BOUNDARY_MINZOOM_REGION 0
#define BOUNDARY_MINZOOM_DEPARTEMENT 4
#define BOUNDARY_MINZOOM_EPCI 7
#define BOUNDARY_MINZOOM_CITY 9

struct boundary_set *boundary_layer_load(PGconn *conn, char *err, size_t errlen);
void boundary_layer_free(struct boundary_set *set);
size_t boundary_layer_count(const struct boundary_set *set);

/* One boundary, read-only, for outputs other than tiles (GeoJSON, WMS, exports). The
 * polygon is in world units (tiles/clip.h: Web Mercator normalised to [0,1], y down);
 * tile_world_to_lonlat (tiles/tile_math.h) brings a vertex back to lon/lat. */
struct clip_geom;
struct boundary_view {
    uint32_t index;     /* position in the set: stable for one loaded set, coarse levels first */
    const char *level;  /* "region", "departement", "epci", "city" */
    const char *code;
    const char *name;
    int minzoom;        /* first zoom where the tiles show it */
    const struct clip_geom *world;
    double minlon, minlat, maxlon, maxlat;
};

/* Fills out for item index; false when index is past the end. */
bool boundary_layer_get(const struct boundary_set *set, uint32_t index, struct boundary_view *out);
/* Calls visit for every boundary whose lon/lat box meets the given one, in no
 * particular order, until visit returns false. */
void boundary_layer_search(const struct boundary_set *set, double minlon, double minlat, double maxlon,
                           double maxlat, bool (*visit)(const struct boundary_view *b, void *arg), void *arg);

/* Adds a `boundaries` layer to tile (when any polygon reaches it); *features gets the
 * number written. -1 on failure. Safe from several threads at once. */
int boundary_layer_render(const struct boundary_set *set, int z, uint32_t x, uint32_t y, struct mvt_tile *tile,
                      size_t *features);

#endif
