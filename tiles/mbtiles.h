/* A writer for MBTiles 1.3 files (https://github.com/mapbox/mbtiles-spec/blob/master/1.3/spec.md).
 *
 * What this module promises:
 * - The file appears at its final path complete or not at all: everything is written
 *   to PATH.tmp in one SQLite transaction, flushed to disk, then moved into place by
 *   mbtiles_commit. mbtiles_abort (or a crash) leaves the destination untouched.
 * - Without `overwrite`, an existing destination is never replaced, even when it
 *   appears while we write (the final move is a hard link, which fails on EEXIST).
 * - Tables are the spec's: metadata(name, value) and tiles(zoom_level, tile_column,
 *   tile_row, tile_data) with a unique index on the tile coordinates. Callers pass XYZ
 *   coordinates; the TMS row flip (tile_row = 2^z - 1 - y) happens here, in one place.
 * - One thread writes; mbtiles_fill lets several threads produce tiles for it.
 */
#ifndef RBMAP_TILES_MBTILES_H
#define RBMAP_TILES_MBTILES_H
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mbtiles;
struct scope;

/* Creates PATH.tmp (a stale one from a crashed run is removed) with the schema and
 * starts the transaction. NULL with a message in err. */
struct mbtiles *mbtiles_create(const char *path, bool overwrite, char *err, size_t errlen);

int mbtiles_put_metadata(struct mbtiles *m, const char *name, const char *value, char *err, size_t errlen);
/* data is stored as given (callers gzip pbf tiles); x/y are XYZ. */
int mbtiles_put_tile(struct mbtiles *m, int z, uint32_t x, uint32_t y, const void *data, size_t len, char *err,
                     size_t errlen);

/* rbmap's metadata for a vector tileset: name, format pbf, type, minzoom, maxzoom,
 * bounds, center, description, attribution, and `json` with the vector_layers of the
 * layer catalog (tiles/layer_catalog.h), fields as TileJSON lists them for the scope
 * (justice fields only when it grants them), so the two never disagree. */
struct mbtiles_vector_info {
    unsigned layers; /* bit per enum tile_layer_id */
    const struct scope *scope;
    int minzoom, maxzoom;
    double bounds[4]; /* west, south, east, north */
    double center[2]; /* lon, lat; the center's zoom is chosen from minzoom/maxzoom */
};
int mbtiles_put_vector_metadata(struct mbtiles *m, const struct mbtiles_vector_info *info, char *err, size_t errlen);

/* Fills the tiles table from `threads` producer threads, with this thread as the only
 * SQLite writer: producers hand tiles over through a bounded queue, so memory stays
 * flat however fast they are. The first failure stops everyone and is returned. */
struct mbtiles_producer {
    void *ctx;
    /* The next tile to make, false when there are none left. Called under a lock. */
    bool (*next)(void *ctx, int *z, uint32_t *x, uint32_t *y);
    /* Makes tile z/x/y into out (left empty: no tile is stored). Runs on several
     * threads at once; scratch is the thread's own buffer to use freely. */
    int (*produce)(void *ctx, int z, uint32_t x, uint32_t y, struct buf *out, struct buf *scratch, char *err,
                   size_t errlen);
    void (*done)(void *ctx); /* on this thread after each tile, stored or empty (progress) */
};
struct mbtiles_fill_stats {
    uint64_t written, empty, bytes, largest;
};
int mbtiles_fill(struct mbtiles *m, const struct mbtiles_producer *p, int threads, struct mbtiles_fill_stats *stats,
                 char *err, size_t errlen);

/* Indexes, commits, syncs and moves PATH.tmp to PATH; frees m in every case. On
 * failure the temporary file is removed and the destination left as it was. */
int mbtiles_commit(struct mbtiles *m, char *err, size_t errlen);
/* Drops everything written; frees m. NULL is fine. */
void mbtiles_abort(struct mbtiles *m);

#endif
