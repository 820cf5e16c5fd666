/* Intersection of CQL2 geometry literals with a point or a box, WKT output, reprojection. */
#include "ogc/cql2_internal.h"

#include <math.h>
#include <stdio.h>

/* Points closer than this to a line or a boundary count as on it (relative to the size of
 * the coordinates: about 0.1 mm in degrees, 1 nm in metres). */
static double tolerance(double a, double b)
{
    return 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static bool point_on_segment(double px, double py, const double *a, const double *b)
{
    double tol = tolerance(px, py);
    if (px < fmin(a[0], b[0]) - tol || px > fmax(a[0], b[0]) + tol ||
        py < fmin(a[1], b[1]) - tol || py > fmax(a[1], b[1]) + tol)
        return false;
    double dx = b[0] - a[0], dy = b[1] - a[1];
    double len = hypot(dx, dy);
    if (len == 0)
        return fabs(px - a[0]) <= tol && fabs(py - a[1]) <= tol;
    double cross = dx * (py - a[1]) - dy * (px - a[0]);
    return fabs(cross) / len <= tol;
}

static bool point_on_path(const struct cql2_geometry *g, const struct cql2_range *r, double x,
                          double y)
{
    const double *xy = g->xy + 2 * r->first;
    for (size_t i = 0; i + 1 < r->count; i++)
        if (point_on_segment(x, y, xy + 2 * i, xy + 2 * i + 2))
            return true;
    return false;
}

/* Even-odd crossing test of a closed ring. */
static bool point_in_ring(const struct cql2_geometry *g, const struct cql2_range *r, double x,
                          double y)
{
    const double *xy = g->xy + 2 * r->first;
    bool inside = false;
    for (size_t i = 0, j = r->count - 1; i < r->count; j = i++) {
        double xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
            inside = !inside;
    }
    return inside;
}

/* Inside the shell and not strictly inside a hole; on any ring counts as inside. */
static bool point_in_polygon(const struct cql2_geometry *g, const struct cql2_range *poly,
                             double x, double y)
{
    for (size_t r = poly->first; r < poly->first + poly->count; r++)
        if (point_on_path(g, &g->rings[r], x, y))
            return true;
    if (!point_in_ring(g, &g->rings[poly->first], x, y))
        return false;
    for (size_t r = poly->first + 1; r < poly->first + poly->count; r++)
        if (point_in_ring(g, &g->rings[r], x, y))
            return false;
    return true;
}

bool cql2_geometry_intersects_point(const struct cql2_geometry *g, double x, double y)
{
    if (!g || !isfinite(x) || !isfinite(y))
        return false;
    double tol = tolerance(x, y);
    if (x < g->minx - tol || x > g->maxx + tol || y < g->miny - tol || y > g->maxy + tol)
        return false;
    switch (g->kind) {
    case GEOM_POINT:
    case GEOM_MULTIPOINT:
        for (size_t i = 0; i < g->n_coords; i++)
            if (fabs(g->xy[2 * i] - x) <= tol && fabs(g->xy[2 * i + 1] - y) <= tol)
                return true;
        return false;
    case GEOM_LINESTRING:
    case GEOM_MULTILINESTRING:
        for (size_t r = 0; r < g->n_rings; r++)
            if (point_on_path(g, &g->rings[r], x, y))
                return true;
        return false;
    case GEOM_POLYGON:
    case GEOM_MULTIPOLYGON:
    case GEOM_BBOX:
        for (size_t p = 0; p < g->n_polys; p++)
            if (point_in_polygon(g, &g->polys[p], x, y))
                return true;
        return false;
    }
    return false;
}

/* Liang-Barsky: does the segment a-b meet the closed box? */
static bool segment_meets_box(const double *a, const double *b, double minx, double miny,
                              double maxx, double maxy)
{
    double t0 = 0, t1 = 1, dx = b[0] - a[0], dy = b[1] - a[1];
    const double p[4] = {-dx, dx, -dy, dy};
    const double q[4] = {a[0] - minx, maxx - a[0], a[1] - miny, maxy - a[1]};
    for (int i = 0; i < 4; i++) {
        if (p[i] == 0) {
            if (q[i] < 0)
                return false;
        } else {
            double t = q[i] / p[i];
            if (p[i] < 0)
                t0 = fmax(t0, t);
            else
                t1 = fmin(t1, t);
            if (t0 > t1)
                return false;
        }
    }
    return true;
}

static bool path_meets_box(const struct cql2_geometry *g, const struct cql2_range *r,
                           double minx, double miny, double maxx, double maxy)
{
    const double *xy = g->xy + 2 * r->first;
    if (r->count == 1)
        return xy[0] >= minx && xy[0] <= maxx && xy[1] >= miny && xy[1] <= maxy;
    for (size_t i = 0; i + 1 < r->count; i++)
        if (segment_meets_box(xy + 2 * i, xy + 2 * i + 2, minx, miny, maxx, maxy))
            return true;
    return false;
}

bool cql2_geometry_intersects_box(const struct cql2_geometry *g, double minx, double miny,
                                  double maxx, double maxy)
{
    if (!g || !(minx <= maxx) || !(miny <= maxy))
        return false;
    if (maxx < g->minx || minx > g->maxx || maxy < g->miny || miny > g->maxy)
        return false;
    switch (g->kind) {
    case GEOM_POINT:
    case GEOM_MULTIPOINT:
        for (size_t i = 0; i < g->n_coords; i++) {
            double x = g->xy[2 * i], y = g->xy[2 * i + 1];
            if (x >= minx && x <= maxx && y >= miny && y <= maxy)
                return true;
        }
        return false;
    case GEOM_LINESTRING:
    case GEOM_MULTILINESTRING:
        for (size_t r = 0; r < g->n_rings; r++)
            if (path_meets_box(g, &g->rings[r], minx, miny, maxx, maxy))
                return true;
        return false;
    case GEOM_POLYGON:
    case GEOM_MULTIPOLYGON:
    case GEOM_BBOX:
        for (size_t p = 0; p < g->n_polys; p++) {
            const struct cql2_range *poly = &g->polys[p];
            /* An edge meets the box (this covers a polygon inside the box too)... */
            for (size_t r = poly->first; r < poly->first + poly->count; r++)
                if (path_meets_box(g, &g->rings[r], minx, miny, maxx, maxy))
                    return true;
            /* ...or no edge does, so the box is wholly inside or wholly outside (or in a
             * hole): one corner tells. */
            if (point_in_polygon(g, poly, minx, miny))
                return true;
        }
        return false;
    }
    return false;
}

/* ---- WKT ---- */
struct wkt {
    char *buf;
    size_t len, used;
    bool ok;
};

static void put(struct wkt *w, const char *fmt, double a, double b)
{
    if (!w->ok)
        return;
    int n = snprintf(w->buf + w->used, w->len - w->used, fmt, a, b);
    if (n < 0 || (size_t)n >= w->len - w->used)
        w->ok = false;
    else
        w->used += (size_t)n;
}

static void put_path(struct wkt *w, const struct cql2_geometry *g, const struct cql2_range *r)
{
    put(w, "(", 0, 0);
    for (size_t i = 0; i < r->count; i++)
        put(w, i ? ",%.17g %.17g" : "%.17g %.17g", g->xy[2 * (r->first + i)],
            g->xy[2 * (r->first + i) + 1]);
    put(w, ")", 0, 0);
}

static void put_polygon(struct wkt *w, const struct cql2_geometry *g, const struct cql2_range *p)
{
    put(w, "(", 0, 0);
    for (size_t r = p->first; r < p->first + p->count; r++) {
        if (r > p->first)
            put(w, ",", 0, 0);
        put_path(w, g, &g->rings[r]);
    }
    put(w, ")", 0, 0);
}

bool cql2_geometry_to_wkt(const struct cql2_geometry *g, char *buf, size_t len)
{
    if (!g || !buf || len == 0)
        return false;
    struct wkt w = {buf, len, 0, true};
    buf[0] = '\0';
    switch (g->kind) {
    case GEOM_POINT:
        put(&w, "POINT(%.17g %.17g)", g->xy[0], g->xy[1]);
        break;
    case GEOM_MULTIPOINT:
        put(&w, "MULTIPOINT(", 0, 0);
        for (size_t i = 0; i < g->n_coords; i++)
            put(&w, i ? ",(%.17g %.17g)" : "(%.17g %.17g)", g->xy[2 * i], g->xy[2 * i + 1]);
        put(&w, ")", 0, 0);
        break;
    case GEOM_LINESTRING:
        put(&w, "LINESTRING", 0, 0);
        put_path(&w, g, &g->rings[0]);
        break;
    case GEOM_MULTILINESTRING:
        put(&w, "MULTILINESTRING(", 0, 0);
        for (size_t r = 0; r < g->n_rings; r++) {
            if (r)
                put(&w, ",", 0, 0);
            put_path(&w, g, &g->rings[r]);
        }
        put(&w, ")", 0, 0);
        break;
    case GEOM_POLYGON:
    case GEOM_MULTIPOLYGON:
    case GEOM_BBOX:
        if (g->n_polys == 1) {
            put(&w, "POLYGON", 0, 0);
            put_polygon(&w, g, &g->polys[0]);
        } else {
            put(&w, "MULTIPOLYGON(", 0, 0);
            for (size_t p = 0; p < g->n_polys; p++) {
                if (p)
                    put(&w, ",", 0, 0);
                put_polygon(&w, g, &g->polys[p]);
            }
            put(&w, ")", 0, 0);
        }
        break;
    }
    if (!w.ok)
        buf[0] = '\0';
    return w.ok;
}

int cql2_transform(struct cql2_expr *e, int (*fn)(double *x, double *y, void *arg), void *arg)
{
    if (!e || !fn)
        return -1;
    for (size_t i = 0; i < e->n_geoms; i++) {
        struct cql2_geometry *g = e->geoms[i];
        for (size_t k = 0; k < g->n_coords; k++)
            if (fn(&g->xy[2 * k], &g->xy[2 * k + 1], arg) != 0 || !isfinite(g->xy[2 * k]) ||
                !isfinite(g->xy[2 * k + 1]))
                return -1;
        cql2_geometry_update_bounds(g);
    }
    return 0;
}
