/* A cairo ARGB32 surface written as PNG (wms/png_write.h: runs of repeated pixels as
 * back-references, no entropy coding) or JPEG (libjpeg): a WMS answer is produced once
 * and thrown away, so encoding speed wins over the last percent of size. Used by WMS
 * GetMap/GetLegendGraphic and any other endpoint serving a rendered image. PNG rows
 * use filter None: runs are found between a pixel and the one before it. */
#ifndef RBMAP_WMS_IMAGE_ENCODE_H
#define RBMAP_WMS_IMAGE_ENCODE_H
#include "util/buf.h"

#include <cairo.h>
#include <stdbool.h>

#define IMAGE_JPEG_QUALITY 85

/* Appends the image to out. alpha: keep transparency (RGBA), else RGB (the surface
 * must then be opaque). false on failure (memory, out's limit). */
bool image_encode_png(cairo_surface_t *surface, bool alpha, struct buf *out);
/* JPEG has no alpha: pixels are composited over nothing (the caller paints a background). */
bool image_encode_jpeg(cairo_surface_t *surface, struct buf *out);

#endif
