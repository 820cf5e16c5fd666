/* GetCapabilities documents for WMS 1.1.1 (WMT_MS_Capabilities, DTD) and 1.3.0
 * (WMS_Capabilities, XSD): every layer of wms/wms_layers.h with its CRSs, geographic
 * box and a BoundingBox per CRS in that CRS's axis order (1.3.0 EPSG:4326 is lat,lon)
 * from the layer's data (wms/wms_extent.h; the root layer covers them all),
 * its styles with LegendURLs of the exact legend size, and the advertised limits.
 * Every URL starts at the public base URL the caller gives. */
#ifndef RBMAP_WMS_CAPABILITIES_H
#define RBMAP_WMS_CAPABILITIES_H
#include "db/site_store.h"
#include "util/buf.h"
#include "wms/wms_extent.h"
#include "wms/wms_request.h"

struct wms_capabilities_input {
    enum wms_version version;
    const char *base_url;            /* "https://host/prefix", no trailing slash */
    int max_width, max_height;
    const struct field_type *types;  /* for the sites legend's size */
    size_t n_types;
    unsigned long long update_sequence;
    const struct wms_extent *extents; /* per layer of wms_layer_at(), for this caller */
};

void wms_capabilities_write(struct buf *out, const struct wms_capabilities_input *in);

/* How a CRS is written in WMS ("EPSG:2154", "CRS:84"). */
void wms_crs_name(const struct crs_info *crs, char *out, size_t outlen);
/* Whether the CRS is one a version advertises (1.1.1 has no CRS:84). */
bool wms_crs_advertised(const struct crs_info *crs, enum wms_version v);

#endif
