/* Collection `territories`: the platform's territory aggregates (tiles/territory_bubbles.h)
 * as points at each territory's reference point, with the same counts and the same
 * public suppression as the `territories` tile layer. Without zoom=, every level the
 * scope may see (the public: régions and départements); with zoom=, the level the tiles
 * show at that zoom. datetime= takes an instant: the counts as they stood that day (like
 * date=). Id "<level>:<code>". */
#include "ogc/cql2.h"
#include "ogc/ogc_collection.h"
#include "tiles/territory_bubbles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct prop_key territory_keys[] = {
    {"level", 's', false, 0},
    {"code", 's', false, 0},
    {"name", 's', false, 0},
    {"sites", 'i', false, 0},
    {"population", 'i', false, 0},
    {"status_open", 'i', false, 0},
    {"status_closed", 'i', false, 0},
    {NULL, 0, false, 0},
};

struct bubble_copy {
    struct territory_bubble b;
    uint32_t status[SITE_STATUS_COUNT];
    bool has_status; /* b.status points into status once the array stops moving */
};

struct bubbles {
    struct bubble_copy *items;
    size_t len, cap;
    bool failed;
};

static bool keep(const struct territory_bubble *b, void *arg)
{
    struct bubbles *s = arg;
    if (s->len == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        struct bubble_copy *items = realloc(s->items, cap * sizeof(*items));
        if (!items) {
            s->failed = true;
            return false;
        }
        s->items = items;
        s->cap = cap;
    }
    struct bubble_copy *c = &s->items[s->len++];
    c->b = *b;
    c->b.status = NULL;
    c->has_status = b->status != NULL;
    if (b->status)
        memcpy(c->status, b->status, sizeof c->status);
    return true;
}

static int open_territories(struct ogc_run *r, int *status, char *err, size_t errlen)
{
    if (!r->territories) {
        *status = 503;
        snprintf(err, errlen, "territories are still loading; retry in a few seconds");
        return -1;
    }
    if (r->q.has_datetime) {
        if (!r->q.datetime_is_instant) {
            *status = 400;
            snprintf(err, errlen, "datetime: territories take an instant (the counts as they stood that day), "
                                  "not an interval");
            return -1;
        }
        r->filter.day = r->q.dt_start;
    }
    struct bubbles *s = calloc(1, sizeof(*s));
    if (!s)
        goto oom;
    r->state = s;
    int only = r->q.zoom >= 0 ? territory_bubble_level(r->q.zoom, r->scope) : -2;
    for (int level = 0; level < BUBBLE_LEVELS; level++) {
        if (only != -2 && level != only)
            continue;
        if (territory_bubbles_visit(r->sites, r->territories, &r->filter, r->scope, level, keep, s) < 0 || s->failed)
            goto oom;
    }
    for (size_t i = 0; i < s->len; i++) {
        struct bubble_copy *c = &s->items[i];
        if (c->has_status)
            c->b.status = c->status;
    }
    return 0;
oom:
    *status = 503;
    snprintf(err, errlen, "out of memory");
    return -1;
}

static void close_territories(struct ogc_run *r)
{
    struct bubbles *s = r->state;
    if (s)
        free(s->items);
    free(s);
    r->state = NULL;
}

static const struct territory_bubble *bubble(const struct ogc_run *r, uint32_t item)
{
    return &((struct bubbles *)r->state)->items[item].b;
}

static int territories_match(struct ogc_run *r, struct u32list *out)
{
    struct bubbles *s = r->state;
    for (size_t i = 0; i < s->len; i++)
        if (ogc_bbox_has_point(&r->q, s->items[i].b.lon, s->items[i].b.lat) && !u32list_push(out, (uint32_t)i))
            return -1;
    return 0;
}

static void territories_begin(struct ogc_run *r, uint32_t item, struct ogc_writer *w)
{
    const struct territory_bubble *b = bubble(r, item);
    char id[48];
    snprintf(id, sizeof id, "%s:%s", b->level_name, b->code);
    ogc_feature_begin_str(w, id);
}

static void territories_geometry(struct ogc_run *r, uint32_t item, struct ogc_writer *w)
{
    ogc_geometry_point(w, bubble(r, item)->lon, bubble(r, item)->lat);
}

static void territories_props(struct ogc_run *r, uint32_t item, const struct prop_sink *sink)
{
    const struct territory_bubble *b = bubble(r, item);
    sink->add_string(sink->ctx, "level", b->level_name);
    sink->add_string(sink->ctx, "code", b->code);
    sink->add_string(sink->ctx, "name", b->name);
    sink->add_int(sink->ctx, "sites", b->sites);
    if (b->population_shown)
        sink->add_int(sink->ctx, "population", b->population);
    if (b->split_shown) {
        sink->add_int(sink->ctx, "status_open", b->open);
        sink->add_int(sink->ctx, "status_closed", b->closed);
    }
    if (b->status) {
        char key[48];
        for (int s = 0; s < SITE_STATUS_COUNT; s++) {
            if (s == SITE_OPEN)
                continue; /* status_open is written above */
            snprintf(key, sizeof key, "status_%s", site_status_name((enum site_status)s));
            sink->add_int(sink->ctx, key, b->status[s]);
        }
    }
}

static int territories_find(struct ogc_run *r, const char *fid, uint32_t *item)
{
    struct bubbles *s = r->state;
    char id[48];
    for (size_t i = 0; i < s->len; i++) {
        snprintf(id, sizeof id, "%s:%s", s->items[i].b.level_name, s->items[i].b.code);
        if (!strcmp(id, fid)) {
            *item = (uint32_t)i;
            return 0;
        }
    }
    return -1;
}

static void territories_extent(struct ogc_run *r, struct ogc_extent *e)
{
    struct bubbles *s = r->state;
    ogc_extent_init(e, false);
    for (size_t i = 0; i < s->len; i++)
        ogc_extent_add_box(e, s->items[i].b.lon, s->items[i].b.lat, s->items[i].b.lon, s->items[i].b.lat);
}

static bool territories_meets(struct ogc_run *r, uint32_t item, const struct cql2_geometry *g)
{
    return cql2_geometry_intersects_point(g, bubble(r, item)->lon, bubble(r, item)->lat);
}

const struct ogc_collection ogc_territories = {
    .id = "territories",
    .title = "Territory aggregates",
    .description = "Counts of sites and people per région, département and commune (the platform's bubbles), at "
                   "each territory's reference point. The public sees régions and départements of at least 5 sites.",
    .public_ok = true,
    .site_filters = true,
    .zoom_param = true,
    .keys = territory_keys,
    .open = open_territories,
    .close = close_territories,
    .match = territories_match,
    .begin = territories_begin,
    .geometry = territories_geometry,
    .props = territories_props,
    .find = territories_find,
    .extent = territories_extent,
    .meets = territories_meets,
};
