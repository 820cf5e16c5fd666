#include "ogc/ogc_collection.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const struct ogc_collection *const ogc_collections[] = {
    &ogc_sites, &ogc_actions, &ogc_clusters, &ogc_territories, &ogc_boundaries, NULL,
};

bool ogc_collection_visible(const struct ogc_collection *c, const struct scope *scope)
{
    return c->public_ok || scope->kind != SCOPE_PUBLIC;
}

const struct ogc_collection *ogc_collection_find(const char *id, const struct scope *scope)
{
    for (size_t i = 0; ogc_collections[i]; i++)
        if (!strcmp(ogc_collections[i]->id, id))
            return ogc_collection_visible(ogc_collections[i], scope) ? ogc_collections[i] : NULL;
    return NULL;
}

const struct prop_key *ogc_collection_key(const struct ogc_collection *c, const struct ogc_run *r, const char *key)
{
    for (const struct prop_key *k = c->keys; k->name; k++)
        if (!strcmp(k->name, key) && prop_key_granted(k, r->justice, r->flags))
            return k;
    return NULL;
}

long ogc_parse_int_fid(const char *fid)
{
    char *end;
    errno = 0;
    if (*fid < '0' || *fid > '9')
        return -1;
    long v = strtol(fid, &end, 10);
    return *end || errno || v > INT32_MAX ? -1 : v;
}

void ogc_extent_init(struct ogc_extent *e, bool temporal)
{
    memset(e, 0, sizeof(*e));
    e->temporal = temporal;
    e->tmin = e->tmax = DAY_NONE;
    e->minlon = e->minlat = INFINITY;
    e->maxlon = e->maxlat = -INFINITY;
}

void ogc_extent_add_box(struct ogc_extent *e, double minlon, double minlat, double maxlon, double maxlat)
{
    e->has_bbox = true;
    e->minlon = fmin(e->minlon, minlon), e->maxlon = fmax(e->maxlon, maxlon);
    e->minlat = fmin(e->minlat, minlat), e->maxlat = fmax(e->maxlat, maxlat);
}

void ogc_extent_add_days(struct ogc_extent *e, int32_t start, int32_t end)
{
    if (start != DAY_NONE && (e->tmin == DAY_NONE || start < e->tmin))
        e->tmin = start;
    if (end == DAY_NONE) {
        e->ongoing = true;
        e->tmax = DAY_NONE;
    } else if (!e->ongoing && (e->tmax == DAY_NONE || end > e->tmax)) {
        e->tmax = end;
    }
}
