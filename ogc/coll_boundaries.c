/* Collection `boundaries`: territory polygons (régions, départements, EPCI, communes),
 * public. Id "<level>:<code>" ("departement:93"). No DESIGN.md filter applies to them,
 * and they have no time: datetime is accepted and ignored. */
#include "ogc/cql2.h"
#include "ogc/ogc_collection.h"
#include "tiles/boundaries.h"
#include "tiles/clip.h"
#include "tiles/tile_math.h"

#include <geos_c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct prop_key boundary_keys[] = {
    {"level", 's', false, 0},
    {"code", 's', false, 0},
    {"name", 's', false, 0},
    {NULL, 0, false, 0},
};

/* GEOS for the exact S_INTERSECTS test of polygons, started on first use; each filter
 * literal is read and prepared once per request. */
#define MAX_LITERALS 8
struct literal {
    const struct cql2_geometry *g;
    GEOSGeometry *geom;
    const GEOSPreparedGeometry *prep; /* NULL: unreadable, the box test decides */
};
struct boundary_state {
    GEOSContextHandle_t h;
    struct literal lit[MAX_LITERALS];
    size_t n_lit;
};

static int open_boundaries(struct ogc_run *r, int *status, char *err, size_t errlen)
{
    if (!r->boundaries) {
        *status = 503;
        snprintf(err, errlen, "boundaries are still loading; retry in a few seconds");
        return -1;
    }
    if (!(r->state = calloc(1, sizeof(struct boundary_state)))) {
        *status = 503;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void close_boundaries(struct ogc_run *r)
{
    struct boundary_state *s = r->state;
    if (!s)
        return;
    for (size_t i = 0; i < s->n_lit; i++) {
        if (s->lit[i].prep)
            GEOSPreparedGeom_destroy_r(s->h, s->lit[i].prep);
        if (s->lit[i].geom)
            GEOSGeom_destroy_r(s->h, s->lit[i].geom);
    }
    if (s->h)
        GEOS_finish_r(s->h);
    free(s);
    r->state = NULL;
}

static const struct literal *literal(struct boundary_state *s, const struct cql2_geometry *g)
{
    for (size_t i = 0; i < s->n_lit; i++)
        if (s->lit[i].g == g)
            return &s->lit[i];
    if (s->n_lit == MAX_LITERALS || (!s->h && !(s->h = GEOS_init_r())))
        return NULL;
    struct literal *l = &s->lit[s->n_lit++];
    l->g = g;
    for (size_t len = 64 * 1024; len <= 4 * 1024 * 1024 && !l->geom; len *= 4) {
        char *wkt = malloc(len);
        if (!wkt)
            break;
        if (cql2_geometry_to_wkt(g, wkt, len)) {
            GEOSWKTReader *reader = GEOSWKTReader_create_r(s->h);
            l->geom = reader ? GEOSWKTReader_read_r(s->h, reader, wkt) : NULL;
            if (reader)
                GEOSWKTReader_destroy_r(s->h, reader);
            len = SIZE_MAX / 8; /* read (or failed to): stop */
        }
        free(wkt);
    }
    l->prep = l->geom ? GEOSPrepare_r(s->h, l->geom) : NULL;
    return l;
}

/* The boundary as a GEOS multipolygon in lon/lat. */
static GEOSGeometry *boundary_geos(GEOSContextHandle_t h, const struct clip_geom *g)
{
    GEOSGeometry **polys = calloc(g->npolys ? g->npolys : 1, sizeof(*polys));
    size_t made = 0;
    bool ok = polys != NULL;
    for (size_t p = 0; ok && p < g->npolys; p++) {
        size_t first = g->polys[p], nrings = g->polys[p + 1] - first;
        GEOSGeometry *shell = NULL, **holes = calloc(nrings ? nrings : 1, sizeof(*holes));
        ok = holes != NULL;
        for (size_t k = 0; ok && k < nrings; k++) {
            const struct mvt_ring *ring = &g->parts[first + k];
            GEOSCoordSequence *seq = GEOSCoordSeq_create_r(h, (unsigned)ring->n, 2);
            for (size_t i = 0; seq && i < ring->n; i++) {
                double lon, lat;
                tile_world_to_lonlat(ring->xy[2 * i], ring->xy[2 * i + 1], &lon, &lat);
                GEOSCoordSeq_setXY_r(h, seq, (unsigned)i, lon, lat);
            }
            GEOSGeometry *lr = seq ? GEOSGeom_createLinearRing_r(h, seq) : NULL;
            ok = lr != NULL;
            if (k == 0)
                shell = lr;
            else
                holes[k - 1] = lr;
        }
        GEOSGeometry *poly = ok ? GEOSGeom_createPolygon_r(h, shell, holes, (unsigned)(nrings - 1)) : NULL;
        if (!poly) {
            if (shell)
                GEOSGeom_destroy_r(h, shell);
            for (size_t k = 0; holes && k + 1 < nrings; k++)
                if (holes[k])
                    GEOSGeom_destroy_r(h, holes[k]);
            ok = false;
        } else {
            polys[made++] = poly;
        }
        free(holes);
    }
    GEOSGeometry *multi = ok ? GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, polys, (unsigned)made) : NULL;
    if (!multi)
        for (size_t i = 0; polys && i < made; i++)
            GEOSGeom_destroy_r(h, polys[i]);
    free(polys);
    return multi;
}

static bool boundaries_meets(struct ogc_run *r, uint32_t item, const struct cql2_geometry *g)
{
    struct boundary_view b;
    if (!boundary_layer_get(r->boundaries, item, &b) ||
        !cql2_geometry_intersects_box(g, b.minlon, b.minlat, b.maxlon, b.maxlat))
        return false;
    struct boundary_state *s = r->state;
    const struct literal *l = literal(s, g);
    if (!l || !l->prep)
        return true; /* GEOS unavailable: the box test decides */
    GEOSGeometry *geom = boundary_geos(s->h, b.world);
    if (!geom)
        return true;
    bool hit = GEOSPreparedIntersects_r(s->h, l->prep, geom) == 1;
    GEOSGeom_destroy_r(s->h, geom);
    return hit;
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
    ogc_extent_init(e, false);
    size_t n = boundary_layer_count(r->boundaries);
    struct boundary_view b;
    for (uint32_t i = 0; i < n; i++)
        if (boundary_layer_get(r->boundaries, i, &b))
            ogc_extent_add_box(e, b.minlon, b.minlat, b.maxlon, b.maxlat);
}

const struct ogc_collection ogc_boundaries = {
    .id = "boundaries",
    .title = "Territory boundaries",
    .description = "Polygons of the régions, départements, EPCI and communes (public). Id: <level>:<INSEE code>.",
    .public_ok = true,
    .keys = boundary_keys,
    .open = open_boundaries,
    .close = close_boundaries,
    .match = boundaries_match,
    .begin = boundaries_begin,
    .geometry = boundaries_geometry,
    .props = boundaries_props,
    .find = boundaries_find,
    .extent = boundaries_extent,
    .meets = boundaries_meets,
};
