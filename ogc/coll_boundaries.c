/* Collection `boundaries`: territory polygons (régions, départements, EPCI, communes),
 * public. Id "<level>:<code>" ("departement:93"). No DESIGN.md filter applies to them,
 * and they have no time: datetime is accepted and ignored. */
#include "ogc/ogc_collection.h"
#include "tiles/boundaries.h"
#include "tiles/clip.h"
#include "tiles/tile_math.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct prop_key boundary_keys[] = {
    {"level", 's', false},
    {"code", 's', false},
    {"name", 's', false},
    {NULL, 0, false},
};

static int open_boundaries(struct ogc_run *r, int *status, char *err, size_t errlen)
{
    if (!r->boundaries) {
        *status = 503;
        snprintf(err, errlen, "boundaries are still loading; retry in a few seconds");
        return -1;
    }
    return 0;
}

struct collect {
    struct u32list *out;
    bool failed;
};

static bool collect_hit(const struct boundary_view *b, void *arg)
{
    struct collect *c = arg;
    c->failed = !u32list_push(c->out, b->index);
    return !c->failed;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int boundaries_match(struct ogc_run *r, struct u32list *out)
{
    size_t n = boundary_layer_count(r->boundaries);
    if (!r->q.has_bbox) {
        for (size_t i = 0; i < n; i++)
            if (!u32list_push(out, (uint32_t)i))
                return -1;
        return 0;
    }
    struct collect c = {out, false};
    for (size_t b = 0; b < r->q.n_boxes && !c.failed; b++) {
        const struct ogc_lonlat_box *box = &r->q.boxes[b];
        boundary_layer_search(r->boundaries, box->minlon, box->minlat, box->maxlon, box->maxlat, collect_hit, &c);
    }
    if (c.failed)
        return -1;
    if (out->len > 1)
        qsort(out->items, out->len, sizeof(uint32_t), compare_u32);
    size_t k = 0;
    for (size_t i = 0; i < out->len; i++)
        if (!k || out->items[k - 1] != out->items[i])
            out->items[k++] = out->items[i];
    out->len = k;
    return 0;
}

static void boundaries_begin(struct ogc_run *r, uint32_t item, struct ogc_writer *w)
{
    struct boundary_view b;
    boundary_layer_get(r->boundaries, item, &b);
    char id[64];
    snprintf(id, sizeof id, "%s:%s", b.level, b.code);
    ogc_feature_begin_str(w, id);
}

static void boundaries_geometry(struct ogc_run *r, uint32_t item, struct ogc_writer *w)
{
    struct boundary_view b;
    boundary_layer_get(r->boundaries, item, &b);
    const struct clip_geom *g = b.world;
    double *xy = malloc((g->npoints ? g->npoints : 1) * 2 * sizeof(double));
    if (!xy) {
        w->failed = true;
        snprintf(w->error, sizeof w->error, "out of memory");
        return;
    }
    ogc_multipolygon_begin(w);
    for (size_t p = 0; p < g->npolys; p++) {
        ogc_polygon_begin(w, p == 0);
        for (size_t k = g->polys[p]; k < g->polys[p + 1]; k++) {
            const struct mvt_ring *ring = &g->parts[k];
            for (size_t i = 0; i < ring->n; i++)
                tile_world_to_lonlat(ring->xy[2 * i], ring->xy[2 * i + 1], &xy[2 * i], &xy[2 * i + 1]);
            ogc_ring(w, xy, ring->n, k == g->polys[p]);
        }
        ogc_polygon_end(w);
    }
    ogc_multipolygon_end(w);
    free(xy);
}

static void boundaries_props(struct ogc_run *r, uint32_t item, const struct prop_sink *sink)
{
    struct boundary_view b;
    boundary_layer_get(r->boundaries, item, &b);
    sink->add_string(sink->ctx, "level", b.level);
    sink->add_string(sink->ctx, "code", b.code);
    sink->add_string(sink->ctx, "name", b.name);
}

static int boundaries_find(struct ogc_run *r, const char *fid, uint32_t *item)
{
    const char *colon = strchr(fid, ':');
    if (!colon)
        return -1;
    size_t n = boundary_layer_count(r->boundaries);
    struct boundary_view b;
    for (uint32_t i = 0; i < n; i++)
        if (boundary_layer_get(r->boundaries, i, &b) && strlen(b.level) == (size_t)(colon - fid) &&
            !strncmp(b.level, fid, (size_t)(colon - fid)) && !strcmp(b.code, colon + 1)) {
            *item = i;
            return 0;
        }
    return -1;
}

static void boundaries_extent(struct ogc_run *r, struct ogc_extent *e)
{
    memset(e, 0, sizeof(*e));
    e->minlon = e->minlat = INFINITY;
    e->maxlon = e->maxlat = -INFINITY;
    size_t n = boundary_layer_count(r->boundaries);
    struct boundary_view b;
    for (uint32_t i = 0; i < n; i++)
        if (boundary_layer_get(r->boundaries, i, &b)) {
            e->has_bbox = true;
            e->minlon = fmin(e->minlon, b.minlon), e->maxlon = fmax(e->maxlon, b.maxlon);
            e->minlat = fmin(e->minlat, b.minlat), e->maxlat = fmax(e->maxlat, b.maxlat);
        }
}

const struct ogc_collection ogc_boundaries = {
    .id = "boundaries",
    .title = "Territory boundaries",
    .description = "Polygons of the régions, départements, EPCI and communes (public). Id: <level>:<INSEE code>.",
    .public_ok = true,
    .keys = boundary_keys,
    .open = open_boundaries,
    .match = boundaries_match,
    .begin = boundaries_begin,
    .geometry = boundaries_geometry,
    .props = boundaries_props,
    .find = boundaries_find,
    .extent = boundaries_extent,
};
