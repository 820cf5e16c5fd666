/* Commune polygons for placing demo points (see demo_places.h): read as WKB in one
 * query for the communes in use, tested with the even-odd rule in C. */
#include "db/demo_places.h"

#include "db/demo_copy.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- WKB (as ST_AsBinary writes it: 2D Point, Polygon or MultiPolygon) ---- */

struct wkb {
    const unsigned char *p, *end;
};

static int wkb_u32(struct wkb *w, int little, uint32_t *v)
{
    if (w->end - w->p < 4)
        return -1;
    const unsigned char *b = w->p;
    *v = little ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
                : (uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24;
    w->p += 4;
    return 0;
}

static int wkb_f64(struct wkb *w, int little, double *v)
{
    if (w->end - w->p < 8)
        return -1;
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits |= (uint64_t)w->p[little ? i : 7 - i] << (8 * i);
    memcpy(v, &bits, sizeof *v);
    w->p += 8;
    return 0;
}

static int wkb_header(struct wkb *w, int *little, uint32_t *type)
{
    if (w->p >= w->end)
        return -1;
    *little = *w->p++ == 1;
    return wkb_u32(w, *little, type);
}

static int wkb_polygon_body(struct wkb *w, int little, struct demo_shape *s)
{
    uint32_t nrings;
    if (wkb_u32(w, little, &nrings) < 0 || nrings > (uint32_t)((w->end - w->p) / 4))
        return -1;
    for (uint32_t r = 0; r < nrings; r++) {
        uint32_t n;
        if (wkb_u32(w, little, &n) < 0 || n > (uint32_t)((w->end - w->p) / 16))
            return -1;
        double *xy = realloc(s->xy, (size_t)(s->npts + n) * 2 * sizeof *xy);
        uint32_t *ends = realloc(s->ring_end, (size_t)(s->nrings + 1) * sizeof *ends);
        if (xy)
            s->xy = xy;
        if (ends)
            s->ring_end = ends;
        if (!xy || !ends)
            return -1;
        for (uint32_t i = 0; i < n; i++) {
            double *pt = &s->xy[(size_t)(s->npts + i) * 2];
            if (wkb_f64(w, little, &pt[0]) < 0 || wkb_f64(w, little, &pt[1]) < 0)
                return -1;
        }
        s->npts += n;
        s->ring_end[s->nrings++] = s->npts;
    }
    return 0;
}

static int wkb_area(const unsigned char *data, size_t len, struct demo_shape *s)
{
    struct wkb w = {data, data + len};
    int little;
    uint32_t type;
    if (wkb_header(&w, &little, &type) < 0)
        return -1;
    if (type == 3)
        return wkb_polygon_body(&w, little, s);
    if (type != 6)
        return -1;
    uint32_t npoly;
    if (wkb_u32(&w, little, &npoly) < 0)
        return -1;
    for (uint32_t i = 0; i < npoly; i++) {
        int plittle;
        uint32_t ptype;
        if (wkb_header(&w, &plittle, &ptype) < 0 || ptype != 3 || wkb_polygon_body(&w, plittle, s) < 0)
            return -1;
    }
    return 0;
}

static int wkb_point(const unsigned char *data, size_t len, double *x, double *y)
{
    struct wkb w = {data, data + len};
    int little;
    uint32_t type;
    if (wkb_header(&w, &little, &type) < 0 || type != 1)
        return -1;
    return wkb_f64(&w, little, x) < 0 || wkb_f64(&w, little, y) < 0 ? -1 : 0;
}

static uint64_t be_u64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

void demo_shape_free(struct demo_shape *s)
{
    if (s) {
        free(s->xy);
        free(s->ring_end);
        free(s);
    }
}

int demo_places_load_shapes(PGconn *conn, struct demo_places *p, char *err, size_t errlen)
{
    /* The codes travel as one bound text[] parameter; ordinality maps rows back. */
    struct buf codes;
    buf_init(&codes, 0);
    uint32_t *which = malloc((p->ncommunes ? p->ncommunes : 1) * sizeof *which);
    size_t nwhich = 0;
    if (!which) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    buf_putc(&codes, '{');
    for (size_t i = 0; i < p->ncommunes; i++) {
        if (!p->communes[i].used || !p->communes[i].has_geom || p->communes[i].shape)
            continue;
        if (nwhich)
            buf_putc(&codes, ',');
        buf_printf(&codes, "\"%s\"", p->communes[i].code);
        which[nwhich++] = (uint32_t)i;
    }
    buf_putc(&codes, '}');
    int rc = 0;
    if (nwhich && !codes.overflow) {
        const char *params[] = {codes.data};
        PGresult *res = PQexecParams(conn,
            "SELECT u.ord, ST_AsBinary(c.geom), ST_AsBinary(ST_PointOnSurface(c.geom))"
            " FROM unnest($1::text[]) WITH ORDINALITY AS u(code, ord)"
            " JOIN cities c ON c.code = u.code WHERE c.geom IS NOT NULL",
            1, NULL, params, NULL, NULL, 1);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            snprintf(err, errlen, "reading commune polygons: %s", PQresultErrorMessage(res));
            rc = -1;
        }
        for (int row = 0; rc == 0 && row < PQntuples(res); row++) {
            uint64_t ord = be_u64((const unsigned char *)PQgetvalue(res, row, 0));
            if (ord < 1 || ord > nwhich || PQgetlength(res, row, 0) != 8)
                continue;
            struct demo_commune *c = &p->communes[which[ord - 1]];
            struct demo_shape *s = calloc(1, sizeof *s);
            const unsigned char *area = (const unsigned char *)PQgetvalue(res, row, 1);
            const unsigned char *inside = (const unsigned char *)PQgetvalue(res, row, 2);
            if (!s || wkb_area(area, (size_t)PQgetlength(res, row, 1), s) < 0 || s->npts == 0 ||
                wkb_point(inside, (size_t)PQgetlength(res, row, 2), &s->inside_x, &s->inside_y) < 0) {
                /* An unreadable polygon: the commune falls back to its lat/lon. */
                demo_shape_free(s);
                c->has_geom = 0;
                continue;
            }
            s->minx = s->maxx = s->xy[0];
            s->miny = s->maxy = s->xy[1];
            for (uint32_t k = 1; k < s->npts; k++) {
                double x = s->xy[2 * k], y = s->xy[2 * k + 1];
                s->minx = x < s->minx ? x : s->minx;
                s->maxx = x > s->maxx ? x : s->maxx;
                s->miny = y < s->miny ? y : s->miny;
                s->maxy = y > s->maxy ? y : s->maxy;
            }
            c->shape = s;
        }
        PQclear(res);
    } else if (codes.overflow) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    /* A used commune whose polygon did not come back is placed by its lat/lon. */
    for (size_t k = 0; rc == 0 && k < nwhich; k++)
        if (!p->communes[which[k]].shape)
            p->communes[which[k]].has_geom = 0;
    free(which);
    buf_free(&codes);
    return rc;
}

/* Even-odd rule over every ring: holes and separate parts come out right. */
static int shape_contains(const struct demo_shape *s, double x, double y)
{
    int inside = 0;
    uint32_t start = 0;
    for (uint32_t r = 0; r < s->nrings; r++) {
        uint32_t end = s->ring_end[r];
        for (uint32_t i = start, j = end - 1; i < end; j = i++) {
            double xi = s->xy[2 * i], yi = s->xy[2 * i + 1];
            double xj = s->xy[2 * j], yj = s->xy[2 * j + 1];
            if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
                inside = !inside;
        }
        start = end;
    }
    return inside;
}

void demo_places_point(const struct demo_places *p, uint32_t commune, struct demo_rng *r, double *lat,
                       double *lon)
{
    const struct demo_commune *c = &p->communes[commune];
    const struct demo_shape *s = c->shape;
    if (!s) {
        *lat = demo_round_coord(c->lat + (demo_unit(r) - 0.5) * 0.008);
        *lon = demo_round_coord(c->lon + (demo_unit(r) - 0.5) * 0.008);
        return;
    }
    /* Rejection sampling in the bounding box; islands-and-sea communes accept rarely,
     * hence the generous number of tries before the guaranteed inside point. */
    for (int attempt = 0; attempt < 500; attempt++) {
        double x = demo_round_coord(s->minx + demo_unit(r) * (s->maxx - s->minx));
        double y = demo_round_coord(s->miny + demo_unit(r) * (s->maxy - s->miny));
        if (shape_contains(s, x, y)) {
            *lon = x;
            *lat = y;
            return;
        }
    }
    *lon = demo_round_coord(s->inside_x);
    *lat = demo_round_coord(s->inside_y);
}
