/* GetFeatureInfo: the features drawn under a pixel, per queried layer, nearest first,
 * at most FEATURE_COUNT per layer, written as HTML, GeoJSON, GML (MapServer's
 * msGMLOutput shape, which GDAL and QGIS read) or plain text.
 *
 * What this module promises:
 * - It finds what GetMap draws there: the same scope, filters, scale-dependent levels
 *   (clusters, bubbles, boundaries) and symbol sizes; a point counts when the pixel
 *   centre is within its symbol plus WMS_INFO_TOLERANCE_PX.
 * - Site and action properties come only from db/feature_props.h (justice fields only
 *   for scopes with the justice flag), so GetFeatureInfo shows what every other output
 *   shows. Every value is escaped for the output format. */
#ifndef RBMAP_WMS_FEATUREINFO_H
#define RBMAP_WMS_FEATUREINFO_H
#include "server/http.h"
#include "wms/wms_render.h"
#include "wms/wms_request.h"

#include <jansson.h>

#define WMS_INFO_TOLERANCE_PX 3.0

/* Fills res (200 with the document, or 503 when memory ran out). */
void wms_feature_info(const struct wms_info_request *q, const struct wms_sources *src, const struct site_filter *f,
                      const struct scope *scope, struct response *res);

/* One layer's answer: a JSON array of {"id", "lon", "lat" (may be absent), "properties"}. */
struct wms_info_layer {
    const char *name;
    json_t *features;
};
/* Writes the document in the format asked (wms_featureinfo_write.c). */
void wms_info_write(struct buf *out, enum wms_info_format format, const struct wms_info_layer *layers, size_t n);

#endif
