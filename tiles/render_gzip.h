/* gzip for encoded tiles, shared by the tile server and `rbmap seed` so that a seeded
 * MBTiles holds exactly the bytes the server sends with Content-Encoding: gzip.
 * Level 1 (zlib's fastest): at level 6 compression took half of a big tile's render
 * time, for tiles about 10% smaller. The ETag helper hashes with zlib's CRC-32 and
 * Adler-32 (word-at-a-time) rather than a byte-at-a-time hash, which showed in profiles
 * of 300 KB tiles. */
#ifndef RBMAP_TILES_RENDER_GZIP_H
#define RBMAP_TILES_RENDER_GZIP_H
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>

/* Appends the gzip form of data to out; false on failure (out->len unchanged). */
bool tile_gzip(const void *data, size_t len, struct buf *out);

/* A strong entity tag for tile bytes, "\"<crc32><adler32>-<len hex>\"" (quotes
 * included); out needs at least TILE_ETAG_MAX bytes. */
#define TILE_ETAG_MAX 48
void tile_etag(const void *data, size_t len, char *out);
/* The tag of the gzip form of a tile whose raw tag is raw_etag: the same with "-gz"
 * before the closing quote (a distinct, stable tag per encoding). */
void tile_etag_gzip(const char *raw_etag, char *out);

#endif
