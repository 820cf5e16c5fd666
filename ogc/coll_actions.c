/* Collection `actions`: one point per action address (eti) or per site of a sur_site
 * action. A point's id is "<action_id>-<n>", n counting the action's points from 1 in
 * the store's order (by site id), so it stays put while the action is unchanged. */
#include "ogc/ogc_collection.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool action_passes(const struct ogc_run *r, const struct action_point *p)
{
    return scope_allows_action(r->scope, p) && action_point_match(&r->filter, p) &&
           ogc_bbox_has_point(&r->q, p->lon, p->lat) && ogc_datetime_match(&r->q, p->started_day, p->ended_day);
}

static int actions_match(struct ogc_run *r, struct u32list *out)
{
    for (size_t i = 0; i < r->actions->count; i++)
        if (action_passes(r, &r->actions->points[i]) && !u32list_push(out, (uint32_t)i))
            return -1;
    return 0;
}

static void actions_begin(struct ogc_run *r, uint32_t item, struct ogc_writer *w)
{
    const struct action_point *pts = r->actions->points;
    uint32_t first = item;
    while (first > 0 && pts[first - 1].action_id == pts[item].action_id)
        first--;
    char id[32];
    snprintf(id, sizeof id, "%d-%u", (int)pts[item].action_id, item - first + 1);
    ogc_feature_begin_str(w, id);
}

static void actions_geometry(struct ogc_run *r, uint32_t item, struct ogc_writer *w)
{
    ogc_geometry_point(w, r->actions->points[item].lon, r->actions->points[item].lat);
}

static void actions_props(struct ogc_run *r, uint32_t item, const struct prop_sink *sink)
{
    action_props_emit(sink, &r->actions->points[item]);
}

static int actions_find(struct ogc_run *r, const char *fid, uint32_t *item)
{
    int action, n, used = 0;
    if (sscanf(fid, "%9d-%9d%n", &action, &n, &used) != 2 || fid[used] || action < 0 || n < 1)
        return -1;
    const struct action_point *pts = r->actions->points;
    size_t lo = 0, hi = r->actions->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pts[mid].action_id < action)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t i = lo + (size_t)n - 1;
    if (i >= r->actions->count || pts[i].action_id != action || !scope_allows_action(r->scope, &pts[i]))
        return -1;
    *item = (uint32_t)i;
    return 0;
}

static void actions_extent(struct ogc_run *r, struct ogc_extent *e)
{
    memset(e, 0, sizeof(*e));
    e->temporal = true;
    e->tmin = DAY_NONE;
    e->minlon = e->minlat = INFINITY;
    e->maxlon = e->maxlat = -INFINITY;
    bool open = false;
    int32_t last = DAY_NONE;
    for (size_t i = 0; i < r->actions->count; i++) {
        const struct action_point *p = &r->actions->points[i];
        if (!scope_allows_action(r->scope, p))
            continue;
        e->has_bbox = true;
        e->minlon = fmin(e->minlon, p->lon), e->maxlon = fmax(e->maxlon, p->lon);
        e->minlat = fmin(e->minlat, p->lat), e->maxlat = fmax(e->maxlat, p->lat);
        if (p->started_day != DAY_NONE && (e->tmin == DAY_NONE || p->started_day < e->tmin))
            e->tmin = p->started_day;
        if (p->ended_day == DAY_NONE)
            open = true;
        else if (last == DAY_NONE || p->ended_day > last)
            last = p->ended_day;
    }
    e->tmax = open ? DAY_NONE : last;
}

const struct ogc_collection ogc_actions = {
    .id = "actions",
    .title = "Actions",
    .description = "Actions for the inhabitants: one point per address of an eti action and per site of a "
                   "sur_site action; scoped by the action's département.",
    .public_ok = false,
    .site_filters = true,
    .temporal = true,
    .keys = action_prop_keys,
    .match = actions_match,
    .begin = actions_begin,
    .geometry = actions_geometry,
    .props = actions_props,
    .find = actions_find,
    .extent = actions_extent,
};
