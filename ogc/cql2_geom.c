/* CQL2 geometry literals: WKT-like text to struct cql2_geometry. */
#include "ogc/cql2_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* BBOX edges are split so that a box given in a projected filter-crs stays close to its
 * shape once its vertices are transformed to lon/lat. */
#define BBOX_EDGE_STEPS 16

struct geom_builder {
    struct cql2_range *rings, *polys;
    size_t n_rings, cap_rings, n_polys, cap_polys;
};

static const struct {
    const char *word;
    enum cql2_geom_kind kind;
} geometry_words[] = {
    {"POINT", GEOM_POINT},
    {"MULTIPOINT", GEOM_MULTIPOINT},
    {"LINESTRING", GEOM_LINESTRING},
    {"MULTILINESTRING", GEOM_MULTILINESTRING},
    {"POLYGON", GEOM_POLYGON},
    {"MULTIPOLYGON", GEOM_MULTIPOLYGON},
    {"BBOX", GEOM_BBOX},
    {"ENVELOPE", GEOM_BBOX},
};

bool cql2_is_geometry_start(const struct cql2_parser *p)
{
    for (size_t i = 0; i < sizeof geometry_words / sizeof geometry_words[0]; i++)
        if (cql2_tok_is_word(&p->tok, geometry_words[i].word))
            return true;
    return false;
}

static bool expect(struct cql2_parser *p, enum cql2_tok kind, const char *what)
{
    if (p->tok.kind != kind)
        return cql2_fail(p, p->tok.pos, "expected %s", what);
    return cql2_next(p);
}

static bool grow(void **array, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap * 2 : 16;
    while (cap2 < need)
        cap2 *= 2;
    void *a = realloc(*array, cap2 * size);
    if (!a)
        return false;
    *array = a;
    *cap = cap2;
    return true;
}

static bool push_xy(struct cql2_parser *p, double x, double y)
{
    if (!grow((void **)&p->scratch, &p->scratch_cap, p->scratch_len + 2, sizeof(double)))
        return cql2_fail(p, p->tok.pos, "out of memory");
    p->scratch[p->scratch_len++] = x;
    p->scratch[p->scratch_len++] = y;
    return true;
}

static double read_number(struct cql2_parser *p, bool *ok)
{
    if (p->tok.kind != TOK_NUMBER) {
        *ok = cql2_fail(p, p->tok.pos, "expected a coordinate");
        return 0;
    }
    double v = p->tok.num;
    *ok = cql2_next(p);
    return v;
}

/* x y [z]: the z is accepted and dropped. */
static bool read_coord(struct cql2_parser *p)
{
    size_t pos = p->tok.pos;
    bool ok;
    double x = read_number(p, &ok);
    if (!ok)
        return false;
    double y = read_number(p, &ok);
    if (!ok)
        return false;
    if (p->tok.kind == TOK_NUMBER && !cql2_next(p))
        return false;
    if (++p->coords > CQL2_MAX_COORDS)
        return cql2_fail(p, pos, "more than %d coordinates", CQL2_MAX_COORDS);
    return push_xy(p, x, y);
}

static bool add_range(struct cql2_parser *p, struct cql2_range **a, size_t *n, size_t *cap,
                      size_t first, size_t count)
{
    if (!grow((void **)a, cap, *n + 1, sizeof **a))
        return cql2_fail(p, p->tok.pos, "out of memory");
    (*a)[(*n)++] = (struct cql2_range){first, count};
    return true;
}

/* ( x y, x y, ... ); rings must be closed with at least 4 positions. */
static bool read_path(struct cql2_parser *p, struct geom_builder *b, bool ring)
{
    size_t pos = p->tok.pos;
    if (!expect(p, TOK_LPAREN, "'('"))
        return false;
    size_t first = p->scratch_len / 2;
    do {
        if (!read_coord(p))
            return false;
    } while (p->tok.kind == TOK_COMMA && cql2_next(p));
    if (!expect(p, TOK_RPAREN, "',' or ')'"))
        return false;
    size_t count = p->scratch_len / 2 - first;
    const double *xy = p->scratch + 2 * first;
    if (ring && (count < 4 || xy[0] != xy[2 * count - 2] || xy[1] != xy[2 * count - 1]))
        return cql2_fail(p, pos, "a polygon ring needs at least 4 positions, the last equal "
                                 "to the first");
    if (!ring && count < 2)
        return cql2_fail(p, pos, "a linestring needs at least 2 positions");
    return add_range(p, &b->rings, &b->n_rings, &b->cap_rings, first, count);
}

/* ( (shell), (hole), ... ) */
static bool read_polygon(struct cql2_parser *p, struct geom_builder *b)
{
    if (!expect(p, TOK_LPAREN, "'('"))
        return false;
    size_t first = b->n_rings;
    do {
        if (!read_path(p, b, true))
            return false;
    } while (p->tok.kind == TOK_COMMA && cql2_next(p));
    if (!expect(p, TOK_RPAREN, "',' or ')'"))
        return false;
    return add_range(p, &b->polys, &b->n_polys, &b->cap_polys, first, b->n_rings - first);
}

/* One closed rectangle ring, densified, as one polygon. */
static bool add_rectangle(struct cql2_parser *p, struct geom_builder *b, double w, double s,
                          double e, double n)
{
    const double cx[5] = {w, e, e, w, w}, cy[5] = {s, s, n, n, s};
    size_t first = p->scratch_len / 2;
    for (int side = 0; side < 4; side++)
        for (int k = 0; k < BBOX_EDGE_STEPS; k++) {
            double t = (double)k / BBOX_EDGE_STEPS;
            if (!push_xy(p, cx[side] + t * (cx[side + 1] - cx[side]),
                         cy[side] + t * (cy[side + 1] - cy[side])))
                return false;
        }
    if (!push_xy(p, w, s))
        return false;
    size_t ring = b->n_rings;
    return add_range(p, &b->rings, &b->n_rings, &b->cap_rings, first,
                     p->scratch_len / 2 - first) &&
           add_range(p, &b->polys, &b->n_polys, &b->cap_polys, ring, 1);
}

/* BBOX(w,s,e,n) or BBOX(w,s,zmin,e,n,zmax); ENVELOPE(w,e,n,s). */
static bool read_box(struct cql2_parser *p, struct geom_builder *b, bool envelope)
{
    size_t pos = p->tok.pos;
    if (!expect(p, TOK_LPAREN, "'('"))
        return false;
    double v[6];
    int n = 0;
    for (;;) {
        bool ok;
        if (n == 6)
            return cql2_fail(p, p->tok.pos, "a box has 4 or 6 numbers");
        v[n++] = read_number(p, &ok);
        if (!ok)
            return false;
        if (p->tok.kind != TOK_COMMA)
            break;
        if (!cql2_next(p))
            return false;
    }
    if (!expect(p, TOK_RPAREN, "')'"))
        return false;
    if (n != 4 && !(n == 6 && !envelope))
        return cql2_fail(p, pos, envelope ? "ENVELOPE has 4 numbers (west, east, north, south)"
                                          : "BBOX has 4 or 6 numbers");
    double w, s, e, nn;
    if (envelope) {
        w = v[0], e = v[1], nn = v[2], s = v[3];
    } else if (n == 4) {
        w = v[0], s = v[1], e = v[2], nn = v[3];
    } else {
        w = v[0], s = v[1], e = v[3], nn = v[4];
    }
    if (s > nn)
        return cql2_fail(p, pos, "box south %g is greater than north %g", s, nn);
    /* The stored vertices count, densification included. */
    p->coords += (w <= e ? 1 : 2) * (4 * BBOX_EDGE_STEPS + 1);
    if (p->coords > CQL2_MAX_COORDS)
        return cql2_fail(p, pos, "more than %d coordinates", CQL2_MAX_COORDS);
    if (w <= e)
        return add_rectangle(p, b, w, s, e, nn);
    /* West greater than east: the box crosses the antimeridian. */
    if (w > 180 || e < -180)
        return cql2_fail(p, pos, "box west %g is greater than east %g", w, e);
    return add_rectangle(p, b, w, s, 180, nn) && add_rectangle(p, b, -180, s, e, nn);
}

static bool read_body(struct cql2_parser *p, enum cql2_geom_kind kind, bool envelope,
                      struct geom_builder *b)
{
    switch (kind) {
    case GEOM_POINT:
        return expect(p, TOK_LPAREN, "'('") && read_coord(p) && expect(p, TOK_RPAREN, "')'");
    case GEOM_MULTIPOINT:
        /* MULTIPOINT((1 2),(3 4)) and MULTIPOINT(1 2, 3 4) */
        if (!expect(p, TOK_LPAREN, "'('"))
            return false;
        do {
            bool wrapped = p->tok.kind == TOK_LPAREN;
            if ((wrapped && !cql2_next(p)) || !read_coord(p) ||
                (wrapped && !expect(p, TOK_RPAREN, "')'")))
                return false;
        } while (p->tok.kind == TOK_COMMA && cql2_next(p));
        return expect(p, TOK_RPAREN, "',' or ')'");
    case GEOM_LINESTRING:
        return read_path(p, b, false);
    case GEOM_MULTILINESTRING:
    case GEOM_MULTIPOLYGON:
        if (!expect(p, TOK_LPAREN, "'('"))
            return false;
        do {
            if (!(kind == GEOM_MULTIPOLYGON ? read_polygon(p, b) : read_path(p, b, false)))
                return false;
        } while (p->tok.kind == TOK_COMMA && cql2_next(p));
        return expect(p, TOK_RPAREN, "',' or ')'");
    case GEOM_POLYGON:
        return read_polygon(p, b);
    case GEOM_BBOX:
        return read_box(p, b, envelope);
    }
    return false;
}

void cql2_geometry_update_bounds(struct cql2_geometry *g)
{
    g->minx = g->miny = INFINITY;
    g->maxx = g->maxy = -INFINITY;
    for (size_t i = 0; i < g->n_coords; i++) {
        double x = g->xy[2 * i], y = g->xy[2 * i + 1];
        g->minx = fmin(g->minx, x), g->maxx = fmax(g->maxx, x);
        g->miny = fmin(g->miny, y), g->maxy = fmax(g->maxy, y);
    }
}

struct cql2_geometry *cql2_parse_geometry(struct cql2_parser *p)
{
    enum cql2_geom_kind kind = GEOM_POINT;
    for (size_t i = 0; i < sizeof geometry_words / sizeof geometry_words[0]; i++)
        if (cql2_tok_is_word(&p->tok, geometry_words[i].word))
            kind = geometry_words[i].kind;
    bool envelope = cql2_tok_is_word(&p->tok, "ENVELOPE");
    if (!cql2_count_node(p) || !cql2_next(p))
        return NULL;
    struct geom_builder b = {0};
    p->scratch_len = 0;
    struct cql2_geometry *g = NULL;
    if (read_body(p, kind, envelope, &b)) {
        g = cql2_arena_alloc(p->arena, sizeof *g);
        size_t n = p->scratch_len / 2;
        if (g) {
            g->kind = kind;
            g->n_coords = n;
            g->n_rings = b.n_rings;
            g->n_polys = b.n_polys;
            g->xy = cql2_arena_alloc(p->arena, 2 * n * sizeof(double));
            g->rings = cql2_arena_alloc(p->arena, b.n_rings * sizeof *g->rings);
            g->polys = cql2_arena_alloc(p->arena, b.n_polys * sizeof *g->polys);
        }
        if (!g || !g->xy || !g->rings || !g->polys) {
            cql2_fail(p, p->tok.pos, "out of memory");
            g = NULL;
        } else {
            memcpy(g->xy, p->scratch, 2 * n * sizeof(double));
            if (b.n_rings)
                memcpy(g->rings, b.rings, b.n_rings * sizeof *g->rings);
            if (b.n_polys)
                memcpy(g->polys, b.polys, b.n_polys * sizeof *g->polys);
            cql2_geometry_update_bounds(g);
        }
    }
    free(b.rings);
    free(b.polys);
    return g;
}

bool cql2_geometry_is_polygonal(const struct cql2_geometry *g)
{
    return g->kind == GEOM_POLYGON || g->kind == GEOM_MULTIPOLYGON || g->kind == GEOM_BBOX;
}

void cql2_geometry_bounds(const struct cql2_geometry *g, double *minx, double *miny,
                          double *maxx, double *maxy)
{
    *minx = g->minx, *miny = g->miny, *maxx = g->maxx, *maxy = g->maxy;
}
