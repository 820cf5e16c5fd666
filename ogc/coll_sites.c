/* Collection `sites`: the shantytown sites of the caller's scope (none for the public). */
#include "geo/rtree.h"
#include "ogc/cql2.h"
#include "ogc/ogc_collection.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int32_t site_start(const struct site *s) { return s->declared_day != DAY_NONE ? s->declared_day : s->built_day; }

static bool site_passes(const struct ogc_run *r, const struct site *s)
{
    return scope_allows_site(r->scope, s) && site_filter_match(&r->filter, s) &&
           ogc_bbox_has_point(&r->q, s->lon, s->lat) && ogc_datetime_match(&r->q, site_start(s), s->closed_day);
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

struct collect {
    const struct ogc_run *r;
    struct u32list *out;
    bool failed;
};

static bool collect_hit(uint32_t index, void *arg)
{
    struct collect *c = arg;
    if (site_passes(c->r, c->r->sites->sites[index]) && !u32list_push(c->out, index))
        c->failed = true;
    return !c->failed;
}

static int sites_match(struct ogc_run *r, struct u32list *out)
{
    const struct site_snapshot *snap = r->sites;
    if (!r->q.has_bbox) {
        for (size_t i = 0; i < snap->count; i++)
            if (site_passes(r, snap->sites[i]) && !u32list_push(out, (uint32_t)i))
                return -1;
        return 0;
    }
    struct collect c = {r, out, false};
    for (size_t b = 0; b < r->q.n_boxes; b++) {
        const struct ogc_lonlat_box *box = &r->q.boxes[b];
        struct rtree_box qb = {box->minlon, box->minlat, box->maxlon, box->maxlat};
        rtree_search(snap->index, &qb, collect_hit, &c);
    }
    if (c.failed)
        return -1;
    /* Snapshot order is id order: the default paging order. Two boxes never overlap
     * (they meet at most at +-180, where a point is found twice): drop duplicates. */
    if (out->len > 1)
        qsort(out->items, out->len, sizeof(uint32_t), compare_u32);
    size_t n = 0;
    for (size_t i = 0; i < out->len; i++)
        if (!n || out->items[n - 1] != out->items[i])
            out->items[n++] = out->items[i];
    out->len = n;
    return 0;
}

static void sites_begin(struct ogc_run *r, uint32_t item, struct ogc_writer *w)
{
    ogc_feature_begin_int(w, r->sites->sites[item]->id);
}

static void sites_geometry(struct ogc_run *r, uint32_t item, struct ogc_writer *w)
{
    const struct site *s = r->sites->sites[item];
    ogc_geometry_point(w, s->lon, s->lat);
}

static void sites_props(struct ogc_run *r, uint32_t item, const struct prop_sink *sink)
{
    const struct site *s = r->sites->sites[item];
    int status = site_status_on(s, r->filter.day);
    site_props_emit(sink, r->sites, s, status < 0 ? SITE_UNKNOWN : status, r->filter.day, r->justice);
    site_props_emit_details(sink, s, r->flags);
}

static int sites_find(struct ogc_run *r, const char *fid, uint32_t *item)
{
    long id = ogc_parse_int_fid(fid);
    const struct site *s = id < 0 ? NULL : site_snapshot_find(r->sites, (int32_t)id);
    if (!s || !scope_allows_site(r->scope, s))
        return -1;
    /* sites[] is sorted by id: the position of s. */
    size_t lo = 0, hi = r->sites->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->sites->sites[mid]->id < s->id)
            lo = mid + 1;
        else
            hi = mid;
    }
    *item = (uint32_t)lo;
    return 0;
}

static void sites_extent(struct ogc_run *r, struct ogc_extent *e)
{
    ogc_extent_init(e, true);
    for (size_t i = 0; i < r->sites->count; i++) {
        const struct site *s = r->sites->sites[i];
        if (!scope_allows_site(r->scope, s))
            continue;
        ogc_extent_add_box(e, s->lon, s->lat, s->lon, s->lat);
        ogc_extent_add_days(e, site_start(s), s->closed_day);
    }
}

static bool sites_meets(struct ogc_run *r, uint32_t item, const struct cql2_geometry *g)
{
    const struct site *s = r->sites->sites[item];
    return cql2_geometry_intersects_point(g, s->lon, s->lat);
}

const struct ogc_collection ogc_sites = {
    .id = "sites",
    .title = "Sites",
    .description = "Shantytowns and squats (one point per site) with their status, field type, population and "
                   "dates; justice and police fields only for credentials with the justice flag.",
    .public_ok = false,
    .site_filters = true,
    .temporal = true,
    .keys = site_prop_keys,
    .match = sites_match,
    .begin = sites_begin,
    .geometry = sites_geometry,
    .props = sites_props,
    .find = sites_find,
    .extent = sites_extent,
    .meets = sites_meets,
};
