/* /ogc/api: the OpenAPI 3.0 document of this service, built from the same parameter
 * lists the endpoints check (ogc/ogc_meta.h), so that everything accepted is declared
 * and nothing declared is refused. limit and bbox are declared the way the OGC test
 * suite (ets-ogcapi-features10) checks them. */
#ifndef RBMAP_OGC_OPENAPI_H
#define RBMAP_OGC_OPENAPI_H
#include "ogc/ogc_collection.h"

#include <jansson.h>

json_t *ogc_openapi_doc(const struct ogc_run *r, const char *base, long limit_default, long limit_max);

#endif
