/* Tile clipping and simplification on GEOS; see tiles/clip.h for why GEOS and how
 * the work is split between load time and tile time. */
#include "tiles/clip.h"

#include <geos_c.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MERC_HALF 20037508.342789244 /* half the EPSG:3857 world width, metres */
#define MAX_LAT 85.0511287798066

struct clip_ctx {
    GEOSContextHandle_t h;
    GEOSWKBReader *reader;
    double *tmp; /* one ring, transformed and closed, before GEOS copies it */
    size_t tmp_cap;
    char err[256];
};

static void on_geos_error(const char *msg, void *user)
{
    struct clip_ctx *c = user;
    snprintf(c->err, sizeof c->err, "GEOS: %s", msg);
}

static void on_geos_notice(const char *msg, void *user)
{
    (void)msg;
    (void)user;
}

static int set_error(struct clip_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return -1;
}

struct clip_ctx *clip_ctx_new(void)
{
    struct clip_ctx *c = calloc(1, sizeof *c);
    if (!c || !(c->h = GEOS_init_r())) {
        free(c);
        return NULL;
    }
    GEOSContext_setErrorMessageHandler_r(c->h, on_geos_error, c);
    GEOSContext_setNoticeMessageHandler_r(c->h, on_geos_notice, c);
    if (!(c->reader = GEOSWKBReader_create_r(c->h))) {
        GEOS_finish_r(c->h);
        free(c);
        return NULL;
    }
    return c;
}

void clip_ctx_free(struct clip_ctx *c)
{
    if (!c)
        return;
    GEOSWKBReader_destroy_r(c->h, c->reader);
    GEOS_finish_r(c->h);
    free(c->tmp);
    free(c);
}

const char *clip_ctx_error(const struct clip_ctx *c) { return c->err; }

/* ---------- the flat geometry ---------- */

void clip_geom_init(struct clip_geom *g) { memset(g, 0, sizeof *g); }

void clip_geom_clear(struct clip_geom *g)
{
    g->kind = CLIP_EMPTY;
    g->on_grid = false;
    g->npoints = g->nparts = g->npolys = 0;
    if (g->polys)
        g->polys[0] = 0;
}

void clip_geom_free(struct clip_geom *g)
{
    free(g->xy);
    free(g->parts);
    free(g->polys);
    free(g->part_off);
    clip_geom_init(g);
}

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (!q)
        return false;
    *p = q;
    *cap = n;
    return true;
}

/* Room for n more points; parts keep pointing into xy when it moves. */
static double *reserve_points(struct clip_geom *g, size_t n)
{
    double *old = g->xy;
    size_t cap = g->cap_xy;
    if (!grow((void **)&g->xy, &cap, g->npoints + n, 2 * sizeof(double)))
        return NULL;
    g->cap_xy = cap;
    if (g->xy != old)
        for (size_t i = 0; i < g->nparts; i++)
            g->parts[i].xy = g->xy + 2 * g->part_off[i];
    return g->xy + 2 * g->npoints;
}

/* Records the n points just written at xy + 2*npoints as a new part. */
static bool commit_part(struct clip_geom *g, size_t n)
{
    /* parts and part_off grow in step from the same capacity. */
    size_t cap = g->cap_parts, cap2 = g->cap_parts;
    if (!grow((void **)&g->parts, &cap, g->nparts + 1, sizeof *g->parts) ||
        !grow((void **)&g->part_off, &cap2, g->nparts + 1, sizeof *g->part_off))
        return false;
    g->cap_parts = cap < cap2 ? cap : cap2;
    g->part_off[g->nparts] = g->npoints;
    g->parts[g->nparts] = (struct mvt_ring){g->xy + 2 * g->npoints, n};
    g->nparts++;
    g->npoints += n;
    if (g->kind == CLIP_POLYGONS)
        g->polys[g->npolys] = g->nparts;
    return true;
}

bool clip_geom_begin_polygon(struct clip_geom *g)
{
    if (g->kind == CLIP_LINES)
        return false;
    if (!grow((void **)&g->polys, &g->cap_polys, g->npolys + 2, sizeof *g->polys))
        return false;
    g->kind = CLIP_POLYGONS;
    g->polys[g->npolys] = g->nparts;
    g->npolys++;
    g->polys[g->npolys] = g->nparts;
    return true;
}

bool clip_geom_add_part(struct clip_geom *g, const double *xy, size_t n)
{
    if (g->kind != CLIP_POLYGONS || !g->npolys)
        return false;
    double *p = reserve_points(g, n);
    if (!p)
        return false;
    memcpy(p, xy, n * 2 * sizeof *xy);
    return commit_part(g, n);
}

bool clip_geom_add_line(struct clip_geom *g, const double *xy, size_t n)
{
    if (g->kind == CLIP_POLYGONS)
        return false;
    g->kind = CLIP_LINES;
    double *p = reserve_points(g, n);
    if (!p)
        return false;
    memcpy(p, xy, n * 2 * sizeof *xy);
    return commit_part(g, n);
}

/* ---------- projections ---------- */

void clip_lonlat_to_world(double lon, double lat, double *wx, double *wy)
{
    if (lat > MAX_LAT)
        lat = MAX_LAT;
    if (lat < -MAX_LAT)
        lat = -MAX_LAT;
    double s = sin(lat * M_PI / 180.0);
    *wx = (lon + 180.0) / 360.0;
    *wy = 0.5 - log((1.0 + s) / (1.0 - s)) / (4.0 * M_PI);
}

void clip_mercator_to_world(double mx, double my, double *wx, double *wy)
{
    *wx = (mx + MERC_HALF) / (2.0 * MERC_HALF);
    *wy = (MERC_HALF - my) / (2.0 * MERC_HALF);
}

void clip_lonlat_to_tile(double lon, double lat, unsigned z, uint32_t x, uint32_t y, uint32_t extent, double *tx,
                         double *ty)
{
    double wx, wy, n = ldexp(1.0, (int)z), e = extent ? extent : MVT_DEFAULT_EXTENT;
    clip_lonlat_to_world(lon, lat, &wx, &wy);
    *tx = (wx * n - x) * e;
    *ty = (wy * n - y) * e;
}

/* ---------- GEOS to clip_geom ---------- */

enum xform { XF_NONE, XF_LONLAT, XF_MERCATOR, XF_ROUND };

static int put_seq(struct clip_ctx *c, const GEOSGeometry *line, enum xform xf, struct clip_geom *out)
{
    const GEOSCoordSequence *s = GEOSGeom_getCoordSeq_r(c->h, line);
    unsigned n;
    if (!s || !GEOSCoordSeq_getSize_r(c->h, s, &n))
        return -1;
    double *p = reserve_points(out, n);
    if (!p)
        return set_error(c, "out of memory");
    if (n && !GEOSCoordSeq_copyToBuffer_r(c->h, s, p, 0, 0))
        return -1;
    for (unsigned i = 0; i < n && xf != XF_NONE; i++) {
        double *q = p + 2 * i;
        if (xf == XF_LONLAT)
            clip_lonlat_to_world(q[0], q[1], &q[0], &q[1]);
        else if (xf == XF_MERCATOR)
            clip_mercator_to_world(q[0], q[1], &q[0], &q[1]);
        else {
            q[0] = mvt_round(q[0]);
            q[1] = mvt_round(q[1]);
        }
    }
    return commit_part(out, n) ? 0 : set_error(c, "out of memory");
}

/* Appends the parts of g of the wanted kind (recursing into collections). */
static int extract(struct clip_ctx *c, const GEOSGeometry *g, enum clip_kind kind, enum xform xf,
                   struct clip_geom *out)
{
    int type = GEOSGeomTypeId_r(c->h, g);
    if (GEOSisEmpty_r(c->h, g) == 1)
        return 0;
    if (type == GEOS_MULTIPOLYGON || type == GEOS_MULTILINESTRING || type == GEOS_GEOMETRYCOLLECTION) {
        int n = GEOSGetNumGeometries_r(c->h, g);
        for (int i = 0; i < n; i++)
            if (extract(c, GEOSGetGeometryN_r(c->h, g, i), kind, xf, out) < 0)
                return -1;
        return 0;
    }
    if (kind == CLIP_POLYGONS && type == GEOS_POLYGON) {
        if (!clip_geom_begin_polygon(out))
            return set_error(c, "out of memory");
        if (put_seq(c, GEOSGetExteriorRing_r(c->h, g), xf, out) < 0)
            return -1;
        int nh = GEOSGetNumInteriorRings_r(c->h, g);
        for (int i = 0; i < nh; i++)
            if (put_seq(c, GEOSGetInteriorRingN_r(c->h, g, i), xf, out) < 0)
                return -1;
    } else if (kind == CLIP_LINES && (type == GEOS_LINESTRING || type == GEOS_LINEARRING)) {
        out->kind = CLIP_LINES;
        return put_seq(c, g, xf, out);
    }
    return 0;
}

/* Which kind a geometry holds: polygons win over lines. */
static enum clip_kind kind_of(struct clip_ctx *c, const GEOSGeometry *g)
{
    int type = GEOSGeomTypeId_r(c->h, g);
    if (type == GEOS_POLYGON || type == GEOS_MULTIPOLYGON)
        return CLIP_POLYGONS;
    if (type == GEOS_LINESTRING || type == GEOS_LINEARRING || type == GEOS_MULTILINESTRING)
        return CLIP_LINES;
    if (type != GEOS_GEOMETRYCOLLECTION)
        return CLIP_EMPTY;
    enum clip_kind k = CLIP_EMPTY;
    int n = GEOSGetNumGeometries_r(c->h, g);
    for (int i = 0; i < n && k != CLIP_POLYGONS; i++) {
        enum clip_kind ki = kind_of(c, GEOSGetGeometryN_r(c->h, g, i));
        if (ki > k)
            k = ki;
    }
    return k;
}

int clip_geom_from_wkb(struct clip_ctx *c, const void *wkb, size_t len, enum clip_crs crs, struct clip_geom *out)
{
    c->err[0] = '\0';
    clip_geom_clear(out);
    GEOSGeometry *g = GEOSWKBReader_read_r(c->h, c->reader, wkb, len);
    if (!g)
        return c->err[0] ? -1 : set_error(c, "unreadable WKB");
    enum clip_kind kind = kind_of(c, g);
    if (kind == CLIP_POLYGONS && GEOSisValid_r(c->h, g) != 1) {
        GEOSGeometry *v = GEOSMakeValid_r(c->h, g);
        GEOSGeom_destroy_r(c->h, g);
        if (!(g = v))
            return -1;
    }
    enum xform xf = crs == CLIP_CRS_LONLAT ? XF_LONLAT : crs == CLIP_CRS_MERCATOR ? XF_MERCATOR : XF_NONE;
    int rc = kind == CLIP_EMPTY ? 0 : extract(c, g, kind, xf, out);
    GEOSGeom_destroy_r(c->h, g);
    if (rc < 0)
        return -1;
    return out->nparts ? 1 : 0;
}

/* ---------- clip_geom to GEOS, cut, back ---------- */

struct frame {
    double scale, ox, oy; /* output = input * scale - o */
    double lo, hi;        /* the buffered tile square; infinite when nothing is cut */
    bool trusted;         /* input valid and integer after the transform: parts wholly
                             inside the square need no GEOS at all */
    bool all_inside;      /* every part handed to GEOS lies inside the square */
};

static void part_bbox(const struct mvt_ring *r, const struct frame *fr, double b[4])
{
    b[0] = b[1] = INFINITY;
    b[2] = b[3] = -INFINITY;
    for (size_t i = 0; i < r->n; i++) {
        double x = r->xy[2 * i], y = r->xy[2 * i + 1];
        b[0] = fmin(b[0], x), b[2] = fmax(b[2], x), b[1] = fmin(b[1], y), b[3] = fmax(b[3], y);
    }
    b[0] = b[0] * fr->scale - fr->ox, b[2] = b[2] * fr->scale - fr->ox;
    b[1] = b[1] * fr->scale - fr->oy, b[3] = b[3] * fr->scale - fr->oy;
}

static bool misses(const double b[4], const struct frame *fr)
{
    return !(b[2] >= fr->lo && b[0] <= fr->hi && b[3] >= fr->lo && b[1] <= fr->hi);
}

/* Strictly inside, so that nothing GEOS later moves onto the edge can touch it. */
static bool inside(const double b[4], const struct frame *fr)
{
    return b[0] > fr->lo && b[2] < fr->hi && b[1] > fr->lo && b[3] < fr->hi;
}

static bool copy_part(struct clip_geom *out, const struct mvt_ring *r, const struct frame *fr)
{
    double *p = reserve_points(out, r->n);
    if (!p)
        return false;
    for (size_t i = 0; i < r->n; i++) {
        p[2 * i] = r->xy[2 * i] * fr->scale - fr->ox;
        p[2 * i + 1] = r->xy[2 * i + 1] * fr->scale - fr->oy;
    }
    return commit_part(out, r->n);
}

/* One part as a GEOS ring (closed here if needed) or line; NULL when too short. */
static GEOSGeometry *part_geos(struct clip_ctx *c, const struct mvt_ring *r, bool ring, const struct frame *fr)
{
    if (!grow((void **)&c->tmp, &c->tmp_cap, r->n + 1, 2 * sizeof(double))) {
        set_error(c, "out of memory");
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        double x = r->xy[2 * i] * fr->scale - fr->ox, y = r->xy[2 * i + 1] * fr->scale - fr->oy;
        if (isfinite(x) && isfinite(y))
            c->tmp[2 * n] = x, c->tmp[2 * n + 1] = y, n++;
    }
    if (ring && n && (c->tmp[0] != c->tmp[2 * n - 2] || c->tmp[1] != c->tmp[2 * n - 1]))
        c->tmp[2 * n] = c->tmp[0], c->tmp[2 * n + 1] = c->tmp[1], n++;
    if (n < (ring ? 4u : 2u))
        return NULL;
    GEOSCoordSequence *s = GEOSCoordSeq_copyFromBuffer_r(c->h, c->tmp, (unsigned)n, 0, 0);
    if (!s)
        return NULL;
    return ring ? GEOSGeom_createLinearRing_r(c->h, s) : GEOSGeom_createLineString_r(c->h, s);
}

/* Sorts the polygons (or lines) of `in`: those that miss the square are skipped,
 * trusted ones wholly inside are copied to out, the rest come back as one GEOS
 * multi-geometry (possibly empty). NULL on failure. */
static GEOSGeometry *build(struct clip_ctx *c, const struct clip_geom *in, struct frame *fr, struct clip_geom *out)
{
    bool poly = in->kind == CLIP_POLYGONS;
    size_t count = poly ? in->npolys : in->nparts, n = 0;
    GEOSGeometry **geoms = malloc((count ? count : 1) * sizeof *geoms);
    GEOSGeometry **holes = malloc((in->nparts ? in->nparts : 1) * sizeof *holes);
    bool ok = geoms && holes;
    for (size_t j = 0; ok && j < count; j++) {
        size_t first = poly ? in->polys[j] : j, end = poly ? in->polys[j + 1] : j + 1;
        double b[4];
        if (first == end)
            continue;
        part_bbox(&in->parts[first], fr, b);
        if (misses(b, fr))
            continue;
        if (fr->trusted && inside(b, fr)) {
            if (poly)
                ok = clip_geom_begin_polygon(out);
            else
                out->kind = CLIP_LINES;
            for (size_t k = first; ok && k < end; k++)
                ok = copy_part(out, &in->parts[k], fr);
            continue;
        }
        fr->all_inside &= inside(b, fr);
        GEOSGeometry *shell = part_geos(c, &in->parts[first], poly, fr);
        if (!shell || !poly) { /* degenerate shells take their holes with them */
            if (shell)
                geoms[n++] = shell;
            continue;
        }
        size_t nh = 0;
        for (size_t k = first + 1; k < end; k++) {
            part_bbox(&in->parts[k], fr, b);
            GEOSGeometry *h = misses(b, fr) ? NULL : part_geos(c, &in->parts[k], true, fr);
            if (h) /* a hole wholly outside the square cannot change the cut */
                holes[nh++] = h;
        }
        GEOSGeometry *p = GEOSGeom_createPolygon_r(c->h, shell, holes, (unsigned)nh);
        if (!(ok = p != NULL))
            break;
        geoms[n++] = p;
    }
    GEOSGeometry *g = NULL;
    if (ok && !c->err[0])
        g = GEOSGeom_createCollection_r(c->h, poly ? GEOS_MULTIPOLYGON : GEOS_MULTILINESTRING, geoms, (unsigned)n);
    else {
        for (size_t i = 0; i < n; i++)
            GEOSGeom_destroy_r(c->h, geoms[i]);
        if (!c->err[0])
            set_error(c, "out of memory");
    }
    free(geoms);
    free(holes);
    return g;
}

/* Replaces *g by next; false (and *g NULL) when GEOS failed. */
static bool then(struct clip_ctx *c, GEOSGeometry **g, GEOSGeometry *next)
{
    if (*g)
        GEOSGeom_destroy_r(c->h, *g);
    *g = next;
    return next != NULL;
}

/* Cut, simplify and (polygons) put on the integer grid, valid. Douglas-Peucker, not
 * GEOSTopologyPreserveSimplify: the latter costs about 7x more (147 ms against 22 ms
 * for the département polygons of z6 tile 32/22) and the validity check below catches
 * what DP breaks. */
static bool finish(struct clip_ctx *c, GEOSGeometry **g, bool poly, double tolerance, const struct frame *fr)
{
    if (!fr->all_inside && !then(c, g, GEOSClipByRect_r(c->h, *g, fr->lo, fr->lo, fr->hi, fr->hi)))
        return false;
    if (tolerance > 0 && !then(c, g, GEOSSimplify_r(c->h, *g, tolerance)))
        return false;
    if (!poly)
        return true;
    /* Rounding point by point keeps nearly every polygon valid and is cheap; the snap
     * rounding overlay that always gives a valid result costs 4-5x more, so it only
     * runs when the check fails (and after GEOSMakeValid if even it throws). */
    GEOSGeometry *r = GEOSGeom_setPrecision_r(c->h, *g, 1.0, GEOS_PREC_NO_TOPO);
    if (r && GEOSisValid_r(c->h, r) == 1)
        return then(c, g, r);
    if (r)
        GEOSGeom_destroy_r(c->h, r);
    if (!(r = GEOSGeom_setPrecision_r(c->h, *g, 1.0, 0))) {
        if (!then(c, g, GEOSMakeValid_r(c->h, *g)))
            return false;
        r = GEOSGeom_setPrecision_r(c->h, *g, 1.0, 0);
    }
    return then(c, g, r);
}

static int cut(struct clip_ctx *c, const struct clip_geom *in, struct frame *fr, double tolerance,
               struct clip_geom *out)
{
    c->err[0] = '\0';
    clip_geom_clear(out);
    if (in->kind == CLIP_EMPTY || in->nparts == 0)
        return 0;
    fr->all_inside = true;
    GEOSGeometry *g = build(c, in, fr, out);
    if (!g)
        return -1;
    bool poly = in->kind == CLIP_POLYGONS;
    int rc = 0;
    if (GEOSGetNumGeometries_r(c->h, g) > 0) {
        if (!finish(c, &g, poly, tolerance, fr))
            rc = c->err[0] ? -1 : set_error(c, "GEOS failed");
        else
            rc = extract(c, g, in->kind, poly ? XF_NONE : XF_ROUND, out);
    }
    if (g)
        GEOSGeom_destroy_r(c->h, g);
    if (rc < 0)
        return -1;
    return out->nparts ? 1 : 0;
}

static void frame_for(struct frame *fr, const struct clip_tile *t, double scale, double ox, double oy)
{
    double e = t->extent ? t->extent : MVT_DEFAULT_EXTENT, b = t->buffer > 0 ? t->buffer : 0;
    *fr = (struct frame){.scale = scale, .ox = ox, .oy = oy, .lo = -b, .hi = e + b};
}

int clip_geom_to_tile(struct clip_ctx *c, const struct clip_geom *world, const struct clip_tile *t,
                      struct clip_geom *out)
{
    double e = t->extent ? t->extent : MVT_DEFAULT_EXTENT;
    struct frame fr;
    frame_for(&fr, t, ldexp(e, (int)t->z), (double)t->x * e, (double)t->y * e);
    return cut(c, world, &fr, t->tolerance, out);
}

int clip_geom_clip(struct clip_ctx *c, const struct clip_geom *in, const struct clip_tile *t, struct clip_geom *out)
{
    struct frame fr;
    frame_for(&fr, t, 1.0, 0.0, 0.0);
    return cut(c, in, &fr, t->tolerance, out);
}

int clip_geom_for_zoom(struct clip_ctx *c, const struct clip_geom *world, unsigned z, uint32_t extent,
                       double tolerance, struct clip_geom *out)
{
    uint32_t e = extent ? extent : MVT_DEFAULT_EXTENT;
    struct frame fr = {.scale = ldexp(e, (int)z), .lo = -INFINITY, .hi = INFINITY};
    int rc = cut(c, world, &fr, tolerance, out);
    if (rc >= 0) {
        out->on_grid = true;
        out->grid_z = z;
        out->grid_extent = e;
    }
    return rc;
}

int clip_geom_zoom_to_tile(struct clip_ctx *c, const struct clip_geom *zoomed, const struct clip_tile *t,
                           struct clip_geom *out)
{
    uint32_t e = t->extent ? t->extent : MVT_DEFAULT_EXTENT;
    if (!zoomed->on_grid || zoomed->grid_z != t->z || zoomed->grid_extent != e) {
        clip_geom_clear(out);
        return set_error(c, "geometry was not prepared for zoom %u and extent %u", t->z, e);
    }
    struct frame fr;
    frame_for(&fr, t, 1.0, (double)t->x * e, (double)t->y * e);
    fr.trusted = true;
    return cut(c, zoomed, &fr, 0, out);
}

bool clip_geom_encode(const struct clip_geom *g, struct mvt_feature *f)
{
    bool any = false;
    if (g->kind == CLIP_POLYGONS) {
        for (size_t j = 0; j < g->npolys; j++)
            if (g->polys[j + 1] > g->polys[j])
                any |= mvt_feature_add_polygon(f, g->parts + g->polys[j], g->polys[j + 1] - g->polys[j]);
    } else if (g->kind == CLIP_LINES) {
        for (size_t i = 0; i < g->nparts; i++)
            any |= mvt_feature_add_line(f, g->parts[i].xy, g->parts[i].n);
    }
    return any;
}
