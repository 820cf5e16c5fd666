/* The JSON documents of /ogc that describe rather than serve data: landing page,
 * conformance, collections, one collection, queryables; and the parameters each
 * endpoint declares (shared with the OpenAPI document, so both stay equal). */
#ifndef RBMAP_OGC_META_H
#define RBMAP_OGC_META_H
#include "ogc/ogc_collection.h"

#include <jansson.h>

/* Declared query parameters, NULL-terminated (access_token is always accepted). */
extern const char *const ogc_meta_params[];  /* landing, conformance, api, collections, collection, queryables */
extern const char *const ogc_item_params[];  /* items/{fid} */
/* items of c: the common ones, the DESIGN.md filters and zoom where they apply, the
 * CQL2 ones when filtering is built in. Fills out (room for 32), returns it. */
const char *const *ogc_items_params(const struct ogc_collection *c, const char *out[32]);

/* Is CQL2 filtering (Part 3) built in? */
bool ogc_filter_enabled(void);

json_t *ogc_landing_doc(const char *base);
json_t *ogc_conformance_doc(void);
/* run: the caller's scope and snapshots (extents are computed from the data it may see). */
json_t *ogc_collection_doc(struct ogc_run *r, const struct ogc_collection *c, const char *base);
json_t *ogc_collections_doc(struct ogc_run *r, const char *base);
json_t *ogc_queryables_doc(const struct ogc_run *r, const struct ogc_collection *c, const char *base);
/* Every supported CRS as a URI, CRS84 first. */
json_t *ogc_crs_list(void);

#endif
