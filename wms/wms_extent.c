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

/* Boundaries of one level (BOUNDARY_*), or of every level when level < 0. */
static void boundaries_extent(const struct boundary_set *set, int level, struct wms_extent *e)
{
    const char *name = level >= 0 ? style_boundary_level_name((enum boundary_level)level) : NULL;
    struct boundary_view b;
    for (uint32_t i = 0; set && boundary_layer_get(set, i, &b); i++)
        if (!name || !strcmp(b.level, name))
            wms_extent_union(e, &(struct wms_extent){b.minlon, b.minlat, b.maxlon, b.maxlat});
}

void wms_layer_extent(const struct wms_layer *layer, const struct wms_sources *src, const struct scope *scope,
                      struct wms_extent *out)
{
    *out = empty;
    switch (layer->kind) {
    case WMS_LAYER_SITES:
    case WMS_LAYER_CLUSTERS:
        for (size_t i = 0; scope->kind != SCOPE_PUBLIC && src->sites && i < src->sites->count; i++)
            if (scope_allows_site(scope, src->sites->sites[i]))
                add_point(out, src->sites->sites[i]->lon, src->sites->sites[i]->lat);
        break;
    case WMS_LAYER_ACTIONS:
        for (size_t i = 0; scope->kind != SCOPE_PUBLIC && src->actions && i < src->actions->count; i++)
            if (scope_allows_action(scope, &src->actions->points[i]))
                add_point(out, src->actions->points[i].lon, src->actions->points[i].lat);
        break;
    case WMS_LAYER_TERRITORIES:
    case WMS_LAYER_BOUNDARIES:
        boundaries_extent(src->boundaries, layer->boundary_level, out);
        break;
    }
    if (out->west < out->east && out->south < out->north)
        return;
    boundaries_extent(src->boundaries, -1, out);
    if (!(out->west < out->east && out->south < out->north))
        *out = (struct wms_extent){WMS_EXTENT_WEST, WMS_EXTENT_SOUTH, WMS_EXTENT_EAST, WMS_EXTENT_NORTH};
}
