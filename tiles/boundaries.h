/* Territory boundaries in memory (régions, départements, EPCI, communes), loaded once
 * from PostGIS, and their rendering into the `boundaries` tile layer: each level at the
 * zooms where it makes sense, clipped to the tile plus buffer and simplified for the
 * zoom (tiles/clip.h). */
#ifndef RBMAP_TILES_BOUNDARIES_H
#define RBMAP_TILES_BOUNDARIES_H
#include <libpq-fe.h>
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

/* Adds a `boundaries` layer to tile (when any polygon reaches it); *features gets the
 * number written. -1 on failure. Safe from several threads at once. */
int boundary_layer_render(const struct boundary_set *set, int z, uint32_t x, uint32_t y, struct mvt_tile *tile,
                      size_t *features);

#endif
