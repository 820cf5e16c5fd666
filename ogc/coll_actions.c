/* Collection `actions`: one point per action address (eti) or per site of a sur_site
 * action. A point's id is "<action_id>-<n>", n the rank of the point among its action's
 * points ordered by (site id, longitude, latitude), counting from 1: it does not depend
 * on the order the store loaded them in, so it stays put while the action is unchanged. */
#include "ogc/cql2.h"
#include "ogc/ogc_collection.h"

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

/* The first point of the action at item, and one past its last. */
static void action_span(const struct action_snapshot *a, uint32_t item, uint32_t *first, uint32_t *end)
{
    *first = *end = item;
    while (*first > 0 && a->points[*first - 1].action_id == a->points[item].action_id)
        (*first)--;
    while (*end < a->count && a->points[*end].action_id == a->points[item].action_id)
        (*end)++;
}

static bool point_before(const struct action_point *p, const struct action_point *q)
{
    if (p->site_id != q->site_id)
        return p->site_id < q->site_id;
    if (p->lon != q->lon)
        return p->lon < q->lon;
    return p->lat < q->lat;
}

static uint32_t point_rank(const struct action_snapshot *a, uint32_t item)
{
    uint32_t first, end, rank = 1;
    action_span(a, item, &first, &end);
    for (uint32_t i = first; i < end; i++)
        if (i != item && point_before(&a->points[i], &a->points[item]))
            rank++;
    return rank;
}

static void actions_begin(struct ogc_run *r, uint32_t item, struct ogc_writer *w)
{
    char id[32];
    snprintf(id, sizeof id, "%d-%u", (int)r->actions->points[item].action_id, point_rank(r->actions, item));
    ogc_feature_begin_str(w, id);
}

static void actions_geometry(struct ogc_run *r, uint32_t item, struct ogc_writer *w)
{
    ogc_geometry_point(w, r->actions->points[item].lon, r->actions->points[item].lat);
}

static void actions_props(struct ogc_run *r, uint32_t item, const struct prop_sink *sink)
{
    action_props_emit(sink, &r->actions->points[item], r->flags);
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
    if (lo >= r->actions->count || pts[lo].action_id != action)
        return -1;
    uint32_t first, end;
    action_span(r->actions, (uint32_t)lo, &first, &end);
    for (uint32_t i = first; i < end; i++)
        if (point_rank(r->actions, i) == (uint32_t)n) {
            if (!scope_allows_action(r->scope, &pts[i]))
                return -1;
            *item = i;
            return 0;
        }
    return -1;
}

static void actions_extent(struct ogc_run *r, struct ogc_extent *e)
{
    ogc_extent_init(e, true);
    for (size_t i = 0; i < r->actions->count; i++) {
        const struct action_point *p = &r->actions->points[i];
        if (!scope_allows_action(r->scope, p))
            continue;
        ogc_extent_add_box(e, p->lon, p->lat, p->lon, p->lat);
        ogc_extent_add_days(e, p->started_day, p->ended_day);
    }
}

static bool actions_meets(struct ogc_run *r, uint32_t item, const struct cql2_geometry *g)
{
    return cql2_geometry_intersects_point(g, r->actions->points[item].lon, r->actions->points[item].lat);
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
    .meets = actions_meets,
};
