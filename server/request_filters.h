/* The DESIGN.md filters (status, territory, field_type, date) read from a request, the
 * same way for every endpoint. */
#ifndef RBMAP_SERVER_REQUEST_FILTERS_H
#define RBMAP_SERVER_REQUEST_FILTERS_H
#include "db/site_filter.h"
#include "server/http.h"

/* Fills f from the request's query; on a bad value answers 400 naming the parameter
 * and returns -1. Field type labels are resolved against snap. */
int request_site_filter(const struct request *req, const struct site_snapshot *snap, struct site_filter *f,
                        struct response *res);

#endif
