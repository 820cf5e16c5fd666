/* PNG files written around wms/png_deflate.h: the signature, IHDR, one IDAT and IEND
 * with their CRCs (libdeflate's crc32). libpng cannot be used here because it
 * compresses through zlib only; the measurement behind this is in wms/png_deflate.h. */
#ifndef RBMAP_WMS_PNG_WRITE_H
#define RBMAP_WMS_PNG_WRITE_H
#include "util/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Appends a PNG of width x height 8-bit pixels, RGBA when alpha else RGB, to out.
 * scanlines: height rows of 1 filter-type byte + width * (alpha ? 4 : 3) bytes, as PNG
 * stores them before compression. false on failure (memory, out's limit). */
bool png_write(const uint8_t *scanlines, int width, int height, bool alpha, struct buf *out);

#endif
