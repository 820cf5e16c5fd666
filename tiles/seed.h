/* `rbmap seed`: pre-renders a zoom range over one or several lon/lat boxes into an
 * MBTiles 1.3 file (tiles/mbtiles.h), with a progress bar.
 *
 * What it promises:
 * - The tiles are the server's tiles: the same renderer (tiles/render.h), filters and
 *   scope, so a seeded tile gunzips to exactly the bytes that
 *   GET /tiles/{layers}/{z}/{x}/{y}.mvt sends for the same query and scope.
 * - A seeded file holds everything its scope can see and is read without any
 *   credential check: `national` (the default) holds every matching site's position,
 *   `public` what anonymous users see (boundaries only).
 * - Bad arguments exit 2 with a message naming the flag, before the database is
 *   touched; so does a request for more than 5 million tiles. Runtime failures exit 1
 *   and leave no file behind (nor replace an existing one).
 */
#ifndef RBMAP_TILES_SEED_H
#define RBMAP_TILES_SEED_H

int cmd_seed(int argc, char **argv);

#endif
