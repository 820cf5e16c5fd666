/* OGC API Features Part 3: `filter` (CQL2 text, ogc/cql2.h), `filter-lang`, `filter-crs`
 * on /items. The queryables are the collection's property keys the caller may see
 * (justice ones only with the flag) plus `geometry`; a feature's values come through
 * its props() (so through db/feature_props.h for sites and actions), read only when
 * the filter asks for a property. Nothing reaches SQL. */
#ifndef RBMAP_OGC_FILTER_H
#define RBMAP_OGC_FILTER_H
#include "ogc/ogc_collection.h"

struct ogc_filter;

/* NULL in *out when the request has no filter; -1 after answering 400 (syntax, unknown
 * property, wrong type, filter-lang other than cql2-text, unsupported filter-crs). When
 * the filter implies a lon/lat box and the query has no bbox, it becomes the query's
 * bbox (a prefilter using the spatial index; the filter is still evaluated). */
int ogc_filter_parse(const struct request *req, const struct ogc_collection *c, struct ogc_run *r,
                     struct ogc_filter **out, struct response *res);
/* Keeps the items of list that match; -1 when memory ran out. */
int ogc_filter_apply(struct ogc_filter *f, struct ogc_run *r, const struct ogc_collection *c, struct u32list *list);
void ogc_filter_free(struct ogc_filter *f);

#endif
