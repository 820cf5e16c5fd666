/* Geometry commands of the MVT encoder (spec 4.3): quantisation, ring clean-up and
 * orientation, MoveTo/LineTo/ClosePath with zigzag deltas. */
#include "tiles/mvt_impl.h"

#include <math.h>

#define CMD_MOVETO 1u
#define CMD_LINETO 2u
#define CMD_CLOSEPATH 7u
/* The count field of a command integer has 29 bits. */
#define MAX_COUNT ((1u << 29) - 1)

#ifdef __SIZEOF_INT128__
typedef __int128 area_t; /* sums of 2^58 products over many vertices overflow int64 */
#else
typedef long double area_t;
#endif

int32_t mvt_round(double v)
{
    /* Halves go away from zero (round(), not the current rounding mode), so that the
     * result does not depend on fesetround elsewhere in the process. */
    if (!(v > -MVT_COORD_LIMIT))
        return -MVT_COORD_LIMIT;
    if (!(v < MVT_COORD_LIMIT))
        return MVT_COORD_LIMIT;
    return (int32_t)round(v);
}

static inline uint32_t command(uint32_t id, uint32_t count) { return (id & 7u) | (count << 3); }

static inline uint32_t zigzag(int64_t d)
{
    /* Deltas are within +-2^29 (coordinates are clamped to +-2^28), so this fits. */
    return d >= 0 ? (uint32_t)(d * 2) : (uint32_t)(-d * 2 - 1);
}

static inline void put_delta(struct mvt_u32vec *g, struct mvt_feature *f, int32_t x, int32_t y)
{
    g->v[g->n++] = zigzag((int64_t)x - f->cx);
    g->v[g->n++] = zigzag((int64_t)y - f->cy);
    f->cx = x;
    f->cy = y;
}

static bool accepts(const struct mvt_feature *f, enum mvt_geom_type type)
{
    return f && f->open && f->type == type && !f->layer->tile->failed;
}

bool mvt_feature_add_point(struct mvt_feature *f, double x, double y)
{
    if (!accepts(f, MVT_POINT) || !isfinite(x) || !isfinite(y))
        return false;
    struct mvt_u32vec *g = &f->layer->geom;
    /* A multipoint is one MoveTo whose count grows, so the command is patched in place;
     * duplicates are kept because each MoveTo parameter pair is a point of its own. */
    if (f->point_cmd == SIZE_MAX) {
        if (!mvt_vec_reserve(f->layer->tile, g, 3))
            return false;
        f->point_cmd = g->n;
        g->v[g->n++] = command(CMD_MOVETO, 1);
        f->npoints = 1;
    } else {
        if (f->npoints == MAX_COUNT || !mvt_vec_reserve(f->layer->tile, g, 2))
            return false;
        g->v[f->point_cmd] = command(CMD_MOVETO, ++f->npoints);
    }
    put_delta(g, f, mvt_round(x), mvt_round(y));
    return true;
}

/* Quantises n points into out (x,y pairs) without consecutive repeats; returns the
 * count, or SIZE_MAX on a non-finite coordinate. */
static size_t quantise(const double *xy, size_t n, int32_t *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1]))
            return SIZE_MAX;
        int32_t x = mvt_round(xy[2 * i]), y = mvt_round(xy[2 * i + 1]);
        if (m && out[2 * m - 2] == x && out[2 * m - 1] == y)
            continue;
        out[2 * m] = x;
        out[2 * m + 1] = y;
        m++;
    }
    return m;
}

bool mvt_feature_add_line(struct mvt_feature *f, const double *xy, size_t n)
{
    if (!accepts(f, MVT_LINESTRING) || !xy || n < 2)
        return false;
    struct mvt_tile *t = f->layer->tile;
    int32_t *p = mvt_scratch(t, n);
    if (!p)
        return false;
    size_t m = quantise(xy, n, p);
    if (m == SIZE_MAX || m < 2 || m - 1 > MAX_COUNT)
        return false;
    struct mvt_u32vec *g = &f->layer->geom;
    if (!mvt_vec_reserve(t, g, 4 + 2 * (m - 1)))
        return false;
    g->v[g->n++] = command(CMD_MOVETO, 1);
    put_delta(g, f, p[0], p[1]);
    g->v[g->n++] = command(CMD_LINETO, (uint32_t)(m - 1));
    for (size_t i = 1; i < m; i++)
        put_delta(g, f, p[2 * i], p[2 * i + 1]);
    return true;
}

/* True when b is the tip of a zero-width spike a-b-c: c lies on the line ab, back
 * towards a (or on a). Such vertices make a ring self-tangent, which the spec forbids;
 * straight-through collinear vertices are harmless and kept. */
static inline bool spike(const int32_t *a, const int32_t *b, const int32_t *c)
{
    int64_t ux = (int64_t)b[0] - a[0], uy = (int64_t)b[1] - a[1];
    int64_t vx = (int64_t)c[0] - b[0], vy = (int64_t)c[1] - b[1];
    return ux * vy - uy * vx == 0 && ux * vx + uy * vy < 0;
}

static inline bool same(const int32_t *a, const int32_t *b) { return a[0] == b[0] && a[1] == b[1]; }

/* Cleans a quantised ring in place: no repeated points, no closing point, no spikes
 * (also across the start/end seam). Returns the number of points left from *start. */
static size_t clean_ring(int32_t *p, size_t n, size_t *start)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const int32_t *q = p + 2 * i;
        while (m >= 2 && spike(p + 2 * (m - 2), p + 2 * (m - 1), q))
            m--;
        if (m && same(p + 2 * (m - 1), q))
            continue;
        p[2 * m] = q[0];
        p[2 * m + 1] = q[1];
        m++;
    }
    size_t s = 0;
    for (bool changed = true; changed && m - s >= 2;) {
        changed = false;
        if (same(p + 2 * (m - 1), p + 2 * s)) {
            m--;
            changed = true;
        } else if (m - s >= 3 && spike(p + 2 * (m - 2), p + 2 * (m - 1), p + 2 * s)) {
            m--;
            changed = true;
        } else if (m - s >= 3 && spike(p + 2 * (m - 1), p + 2 * s, p + 2 * (s + 1))) {
            s++;
            changed = true;
        }
    }
    *start = s;
    return m - s;
}

/* Twice the surveyor's area in tile coordinates (y down): positive = exterior. */
static area_t ring_area2(const int32_t *p, size_t m)
{
    area_t sum = 0;
    int64_t x0 = p[0], y0 = p[1];
    for (size_t i = 1; i + 1 < m; i++) {
        int64_t ax = p[2 * i] - x0, ay = p[2 * i + 1] - y0;
        int64_t bx = p[2 * i + 2] - x0, by = p[2 * i + 3] - y0;
        sum += (area_t)ax * by - (area_t)bx * ay;
    }
    return sum;
}

/* Cleans, orients and writes one ring; false when it collapsed. */
static bool put_ring(struct mvt_feature *f, const struct mvt_ring *r, bool exterior)
{
    struct mvt_tile *t = f->layer->tile;
    if (!r->xy || r->n < 3)
        return false;
    int32_t *p = mvt_scratch(t, r->n);
    if (!p)
        return false;
    size_t n = quantise(r->xy, r->n, p);
    if (n == SIZE_MAX)
        return false;
    size_t s, m = clean_ring(p, n, &s);
    p += 2 * s;
    if (m < 3 || m - 1 > MAX_COUNT)
        return false;
    area_t a = ring_area2(p, m);
    if (a == 0)
        return false;
    struct mvt_u32vec *g = &f->layer->geom;
    if (!mvt_vec_reserve(t, g, 5 + 2 * (m - 1)))
        return false;
    g->v[g->n++] = command(CMD_MOVETO, 1);
    put_delta(g, f, p[0], p[1]);
    g->v[g->n++] = command(CMD_LINETO, (uint32_t)(m - 1));
    if ((a > 0) == exterior) {
        for (size_t i = 1; i < m; i++)
            put_delta(g, f, p[2 * i], p[2 * i + 1]);
    } else {
        for (size_t i = m - 1; i >= 1; i--)
            put_delta(g, f, p[2 * i], p[2 * i + 1]);
    }
    g->v[g->n++] = command(CMD_CLOSEPATH, 1);
    return true;
}

bool mvt_feature_add_polygon(struct mvt_feature *f, const struct mvt_ring *rings, size_t nrings)
{
    if (!accepts(f, MVT_POLYGON) || !rings || nrings == 0)
        return false;
    if (!put_ring(f, &rings[0], true))
        return false;
    for (size_t i = 1; i < nrings; i++)
        put_ring(f, &rings[i], false);
    return true;
}
