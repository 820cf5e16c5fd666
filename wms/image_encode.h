/* A cairo ARGB32 surface written as PNG (libpng, fast compression) or JPEG (libjpeg):
 * cairo_surface_write_to_png_stream has no compression level, and a WMS answer is
 * produced once and thrown away, so speed wins over the last percent of size. Used by
 * WMS GetMap/GetLegendGraphic and any other endpoint serving a rendered image. */
#ifndef RBMAP_WMS_IMAGE_ENCODE_H
#define RBMAP_WMS_IMAGE_ENCODE_H
#include "util/buf.h"

#include <cairo.h>
#include <stdbool.h>

/* zlib level 2 with the run-length strategy and no PNG filter: maps are mostly flat
 * runs, which RLE finds at a fraction of deflate's cost. Measured on a 1024x768 map of
 * Seine-Saint-Denis' sites: 39 ms (level 2, SUB filter), 30 ms (RLE, SUB), 25 ms (RLE,
 * no filter; 30% larger than with SUB, still a tenth of the raw image). */
#define IMAGE_PNG_COMPRESSION 2
#define IMAGE_JPEG_QUALITY 85

/* Appends the image to out. alpha: keep transparency (RGBA), else RGB (the surface
 * must then be opaque). false on failure (memory, out's limit). */
bool image_encode_png(cairo_surface_t *surface, bool alpha, struct buf *out);
/* JPEG has no alpha: pixels are composited over nothing (the caller paints a background). */
bool image_encode_jpeg(cairo_surface_t *surface, struct buf *out);

#endif
