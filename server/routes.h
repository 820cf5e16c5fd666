/* The route table: which handler answers which method and path. */
#ifndef RBMAP_SERVER_ROUTES_H
#define RBMAP_SERVER_ROUTES_H
#include "server/http.h"

#include <stdbool.h>
#include <stddef.h>

struct route {
    const char *method;  /* "GET" also answers HEAD */
    const char *pattern; /* exact path, or a prefix ending in '*' */
    const char *name;    /* for metrics and logs */
    handler_fn handler;
};

extern const struct route routes[];
extern const size_t route_count;
extern const char *const route_names[]; /* route_count names, distinct, in metrics order */
extern const size_t route_name_count;

/* Finds the route for method+path. Returns its index in routes[], or -1 when no path
 * matches, or -2 when the path exists but not for this method (405). */
int routes_match(const char *method, const char *path);
/* Index of a route's name in route_names (for metrics). */
size_t routes_name_index(const struct route *route);

#endif
