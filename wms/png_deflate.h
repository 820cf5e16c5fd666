/* The zlib stream (RFC 1950/1951) of a PNG's scanlines, made for speed: each run of a
 * repeated pixel becomes one back-reference to the pixel before it (distance 3 or 4
 * bytes, fixed Huffman codes), short stretches between runs are fixed-code literals,
 * long ones stored blocks; there is no entropy coding. Any inflater reads it (zlib,
 * libpng, browsers; tests/unit/test_wms.c checks with zlib and libpng).
 *
 * Why not zlib: perf on GetMap (1024x768 maps of the sites layer) put 70-75% of the
 * server's CPU in zlib (level 2, Z_RLE, adler32 alone 15%), 7-22 ms per image; libdeflate
 * (Debian's 1.14, level 1) is no faster on these images. Maps are transparent
 * emptiness and flat fills with few anti-aliased edges: finding the runs costs a
 * comparison per byte and a copy, about 1-7 ms, for files 0-45% larger than zlib's
 * level 2 (numbers in docs/wms.md). Checksums come from libdeflate (SIMD). */
#ifndef RBMAP_WMS_PNG_DEFLATE_H
#define RBMAP_WMS_PNG_DEFLATE_H
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Runs shorter than this (bytes) stay literals: a back-reference costs 13-18 bits. */
#define PNG_DEFLATE_MIN_RUN 8
/* Literal stretches this long or longer go into stored blocks (5 bytes of framing,
 * then a plain copy) rather than fixed codes (8-9 bits per byte). */
#define PNG_DEFLATE_MIN_STORED 32

/* Appends the zlib stream of data[0..len) to out; pixel_bytes (3 or 4) is the
 * distance at which runs repeat. false on failure (memory, out's limit). */
bool png_deflate(const uint8_t *data, size_t len, int pixel_bytes, struct buf *out);

#endif
