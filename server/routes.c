#include "server/routes.h"

#include "server/handlers.h"

#include <string.h>

const struct route routes[] = {
    {"GET", "/health", "health", handle_health},
    {"GET", "/metrics", "metrics", handle_metrics},
    {"GET", "/reproject", "reproject", handle_reproject},
    {"POST", "/reproject", "reproject", handle_reproject},
    {"GET", "/catalog", "catalog", handle_catalog},
    {"GET", "/tiles/*", "tiles", handle_tiles},
    {"GET", "/clusters/*", "clusters", handle_clusters},
    {"GET", "/geocode/search/", "geocode", handle_geocode_search},
    {"GET", "/geocode/search", "geocode", handle_geocode_search},
    {"GET", "/geocode/reverse/", "geocode", handle_geocode_reverse},
    {"GET", "/geocode/reverse", "geocode", handle_geocode_reverse},
    {"POST", "/geocode/search/csv/", "geocode", handle_geocode_search_csv},
    {"POST", "/geocode/search/csv", "geocode", handle_geocode_search_csv},
    {"POST", "/geocode/reverse/csv/", "geocode", handle_geocode_reverse_csv},
    {"POST", "/geocode/reverse/csv", "geocode", handle_geocode_reverse_csv},
    {"GET", "/ogc", "ogc", handle_ogc},
    {"GET", "/ogc/*", "ogc", handle_ogc},
    {"GET", "/export/*", "export", handle_export},
    {"GET", "/wms", "wms", handle_wms},
    {"GET", "/wms/", "wms", handle_wms},
    {"GET", "/styles/*", "styles", handle_styles},
    {"GET", "/", "viewer", handle_viewer},
    {"GET", "/viewer/*", "viewer", handle_viewer},
};
const size_t route_count = sizeof routes / sizeof routes[0];

const char *const route_names[] = {"health", "metrics", "reproject", "catalog", "tiles", "clusters", "geocode",
                                     "ogc",    "export",  "wms",       "styles",  "viewer"};
const size_t route_name_count = sizeof route_names / sizeof route_names[0];

static bool pattern_matches(const char *pattern, const char *path)
{
    size_t n = strlen(pattern);
    if (n && pattern[n - 1] == '*')
        return !strncmp(pattern, path, n - 1);
    return !strcmp(pattern, path);
}

int routes_match(const char *method, const char *path)
{
    bool path_known = false;
    bool head = !strcmp(method, "HEAD");
    for (size_t i = 0; i < route_count; i++) {
        if (!pattern_matches(routes[i].pattern, path))
            continue;
        if (!strcmp(routes[i].method, method) || (head && !strcmp(routes[i].method, "GET")))
            return (int)i;
        path_known = true;
    }
    return path_known ? -2 : -1;
}

size_t routes_name_index(const struct route *route)
{
    for (size_t i = 0; i < route_name_count; i++)
        if (!strcmp(route_names[i], route->name))
            return i;
    return route_name_count;
}
