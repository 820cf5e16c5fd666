#include "wms/wms_extent.h"

#include "db/site_filter.h"
#include "tiles/boundaries.h"

#include <math.h>
#include <string.h>

static const struct wms_extent empty = {INFINITY, INFINITY, -INFINITY, -INFINITY};

static void add_point(struct wms_extent *e, double lon, double lat)
{
    struct wms_extent p = {lon - WMS_EXTENT_POINT_MARGIN, lat - WMS_EXTENT_POINT_MARGIN,
                           lon + WMS_EXTENT_POINT_MARGIN, lat + WMS_EXTENT_POINT_MARGIN};
    wms_extent_union(e, &p);
}

void wms_extent_union(struct wms_extent *into, const struct wms_extent *box)
{
    into->west = fmin(into->west, box->west);
    into->south = fmin(into->south, box->south);
    into->east = fmax(into->east, box->east);
    into->north = fmax(into->north, box->north);
}

/* One pass over the boundaries: the box of each level, and of all. */
static void boundaries_extents(const struct boundary_set *set, struct wms_extent level[BOUNDARY_LEVEL_COUNT],
                               struct wms_extent *all)
{
    for (int l = 0; l < BOUNDARY_LEVEL_COUNT; l++)
        level[l] = empty;
    *all = empty;
    struct boundary_view b;
    for (uint32_t i = 0; set && boundary_layer_get(set, i, &b); i++) {
        struct wms_extent box = {b.minlon, b.minlat, b.maxlon, b.maxlat};
        wms_extent_union(all, &box);
        for (int l = 0; l < BOUNDARY_LEVEL_COUNT; l++)
            if (!strcmp(b.level, style_boundary_level_name((enum boundary_level)l))) {
                wms_extent_union(&level[l], &box);
                break;
            }
    }
}

static bool holds_something(const struct wms_extent *e) { return e->west < e->east && e->south < e->north; }

void wms_layer_extents(const struct wms_sources *src, const struct scope *scope, struct wms_extent out[WMS_LAYER_COUNT])
{
    struct wms_extent sites = empty, actions = empty, level[BOUNDARY_LEVEL_COUNT], boundaries;
    for (size_t i = 0; scope->kind != SCOPE_PUBLIC && src->sites && i < src->sites->count; i++)
        if (scope_allows_site(scope, src->sites->sites[i]))
            add_point(&sites, src->sites->sites[i]->lon, src->sites->sites[i]->lat);
    for (size_t i = 0; scope->kind != SCOPE_PUBLIC && src->actions && i < src->actions->count; i++)
        if (scope_allows_action(scope, &src->actions->points[i]))
            add_point(&actions, src->actions->points[i].lon, src->actions->points[i].lat);
    boundaries_extents(src->boundaries, level, &boundaries);
    const struct wms_extent france = {WMS_EXTENT_WEST, WMS_EXTENT_SOUTH, WMS_EXTENT_EAST, WMS_EXTENT_NORTH};
    const struct wms_extent *fallback = holds_something(&boundaries) ? &boundaries : &france;
    for (size_t i = 0; i < WMS_LAYER_COUNT; i++) {
        const struct wms_layer *l = wms_layer_at(i);
        const struct wms_extent *e = l->kind == WMS_LAYER_SITES || l->kind == WMS_LAYER_CLUSTERS ? &sites
                                     : l->kind == WMS_LAYER_ACTIONS                              ? &actions
                                     : l->boundary_level >= 0 ? &level[l->boundary_level]
                                                              : &boundaries;
        out[i] = holds_something(e) ? *e : *fallback;
    }
}
