/* /collections/{id}/items and /items/{fid}: the generic part (matching through the
 * collection, CQL2 filter, sortby, paging, links, streaming GeoJSON). */
#ifndef RBMAP_OGC_ITEMS_H
#define RBMAP_OGC_ITEMS_H
#include "ogc/ogc_collection.h"

/* r->q is parsed and the collection opened. base: the service URL (".../ogc"). */
struct ogc_filter; /* ogc/ogc_filter.h; NULL = no filter */
void ogc_items_respond(struct ogc_run *r, const struct ogc_collection *c, struct ogc_filter *filter, const char *base,
                       bool html, struct response *res);
void ogc_item_respond(struct ogc_run *r, const struct ogc_collection *c, const char *fid, const char *base, bool html,
                      struct response *res);

/* Checks properties= and sortby= names against the collection's keys; -1 after a 400. */
int ogc_check_property_names(const struct ogc_run *r, const struct ogc_collection *c, struct response *res);

#endif
