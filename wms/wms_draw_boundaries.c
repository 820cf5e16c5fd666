/* GetMap boundaries: territory polygons reprojected vertex by vertex into the image. */
#include "wms/wms_render.h"

#include "tiles/boundaries.h"
#include "tiles/clip.h"
#include "tiles/tile_math.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct index_list {
    uint32_t *items;
    size_t n, cap;
};

struct level_collect {
    struct index_list levels[BOUNDARY_LEVEL_COUNT];
    bool wanted[BOUNDARY_LEVEL_COUNT];
    bool failed;
};

static int level_of(const char *name)
{
    for (int l = 0; l < BOUNDARY_LEVEL_COUNT; l++)
        if (!strcmp(name, style_boundary_level_name((enum boundary_level)l)))
            return l;
    return -1;
}

static bool collect(const struct boundary_view *b, void *arg)
{
    struct level_collect *c = arg;
    int l = level_of(b->level);
    if (l < 0 || !c->wanted[l])
        return true;
    struct index_list *list = &c->levels[l];
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 64;
        uint32_t *items = realloc(list->items, cap * sizeof *items);
        if (!items) {
            c->failed = true;
            return false;
        }
        list->items = items;
        list->cap = cap;
    }
    list->items[list->n++] = b->index;
    return true;
}

/* Scratch arrays for one polygon's kept vertices. */
struct ring_buf {
    double *x, *y;
    size_t n, cap;
    size_t *ring_end; /* exclusive end of each ring in x/y */
    size_t nrings, cap_rings;
};

static bool push_vertex(struct ring_buf *r, double x, double y)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        double *nx = realloc(r->x, cap * sizeof *nx);
        if (nx)
            r->x = nx;
        double *ny = realloc(r->y, cap * sizeof *ny);
        if (ny)
            r->y = ny;
        if (!nx || !ny)
            return false;
        r->cap = cap;
    }
    r->x[r->n] = x;
    r->y[r->n] = y;
    r->n++;
    return true;
}

static bool end_ring(struct ring_buf *r)
{
    if (r->nrings == r->cap_rings) {
        size_t cap = r->cap_rings ? r->cap_rings * 2 : 64;
        size_t *e = realloc(r->ring_end, cap * sizeof *e);
        if (!e)
            return false;
        r->ring_end = e;
        r->cap_rings = cap;
    }
    r->ring_end[r->nrings++] = r->n;
    return true;
}

/* Every ring of g, keeping a vertex only when it is `tol` (world units) away from the
 * last kept one: below half a pixel a vertex changes nothing drawn. */
static bool gather(const struct clip_geom *g, double tol, struct ring_buf *r)
{
    r->n = r->nrings = 0;
    for (size_t p = 0; p < g->nparts; p++) {
        const struct mvt_ring *ring = &g->parts[p];
        size_t start = r->n;
        double lx = NAN, ly = NAN;
        for (size_t i = 0; i < ring->n; i++) {
            double wx = ring->xy[2 * i], wy = ring->xy[2 * i + 1];
            if (i && i + 1 < ring->n && fabs(wx - lx) < tol && fabs(wy - ly) < tol)
                continue;
            double lon, lat;
            tile_world_to_lonlat(wx, wy, &lon, &lat);
            if (!push_vertex(r, lon, lat))
                return false;
            lx = wx;
            ly = wy;
        }
        if (r->n - start < 3) {
            r->n = start; /* collapsed below a pixel */
            continue;
        }
        if (!end_ring(r))
            return false;
    }
    return true;
}

static void trace(cairo_t *cr, const struct ring_buf *r)
{
    size_t start = 0;
    for (size_t k = 0; k < r->nrings; k++) {
        bool pen = false;
        for (size_t i = start; i < r->ring_end[k]; i++) {
            if (!isfinite(r->x[i]) || !isfinite(r->y[i])) {
                pen = false;
                continue;
            }
            if (pen)
                cairo_line_to(cr, r->x[i], r->y[i]);
            else
                cairo_move_to(cr, r->x[i], r->y[i]);
            pen = true;
        }
        if (pen)
            cairo_close_path(cr);
        start = r->ring_end[k];
    }
}

static int draw_level(const struct wms_draw *d, int level, const struct index_list *list, struct ring_buf *r)
{
    const struct style_boundary *bs = &d->style->boundary[level];
    cairo_t *cr = d->cr;
    double tol = d->frame->deg_per_px / 360.0 * 0.5;
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    double dash[] = {4, 3};
    for (size_t k = 0; k < list->n; k++) {
        struct boundary_view b;
        if (!boundary_layer_get(d->src->boundaries, list->items[k], &b) || !b.world)
            continue;
        if (!gather(b.world, tol, r))
            return -1;
        if (!r->nrings)
            continue;
        wms_frame_to_pixels(d->frame, r->x, r->y, r->n);
        cairo_new_path(cr);
        trace(cr, r);
        if (bs->fill.alpha > 0) {
            wms_set_color(cr, bs->fill, 1);
            cairo_fill_preserve(cr);
        }
        wms_set_color(cr, bs->line, 1);
        cairo_set_line_width(cr, bs->width_px);
        cairo_set_dash(cr, dash, bs->dashed ? 2 : 0, 0);
        cairo_stroke(cr);
    }
    cairo_set_dash(cr, NULL, 0, 0);
    return 0;
}

static void draw_labels(const struct wms_draw *d, const struct index_list *list)
{
    for (size_t k = 0; k < list->n; k++) {
        struct boundary_view b;
        if (!boundary_layer_get(d->src->boundaries, list->items[k], &b) || !b.name || !*b.name)
            continue;
        double x = (b.minlon + b.maxlon) / 2, y = (b.minlat + b.maxlat) / 2;
        wms_frame_to_pixels(d->frame, &x, &y, 1);
        if (isfinite(x) && isfinite(y) && x >= 0 && y >= 0 && x < d->frame->width && y < d->frame->height)
            wms_label(d, x, y, b.name, d->style->label_text, d->style->label_size_px, true, true);
    }
}

int wms_draw_boundaries(const struct wms_draw *d, int level)
{
    if (!d->src->boundaries)
        return 0;
    int z = wms_style_zoom(d->frame);
    struct level_collect c = {0};
    for (int l = 0; l < BOUNDARY_LEVEL_COUNT; l++)
        c.wanted[l] = level >= 0 ? l == level : z >= d->style->boundary[l].minzoom && z <= d->style->boundary[l].maxzoom;
    const struct wms_frame *f = d->frame;
    boundary_layer_search(d->src->boundaries, f->west, f->south, f->east, f->north, collect, &c);
    int rc = c.failed ? -1 : 0;
    struct ring_buf r = {0};
    /* Finest level first: the coarser lines, wider, stay on top. */
    for (int l = BOUNDARY_LEVEL_COUNT - 1; rc == 0 && l >= 0; l--)
        if (c.levels[l].n)
            rc = draw_level(d, l, &c.levels[l], &r);
    for (int l = BOUNDARY_LEVEL_COUNT - 1; rc == 0 && l >= 0; l--)
        if (c.levels[l].n && z >= d->style->boundary[l].label_minzoom)
            draw_labels(d, &c.levels[l]);
    for (int l = 0; l < BOUNDARY_LEVEL_COUNT; l++)
        free(c.levels[l].items);
    free(r.x);
    free(r.y);
    free(r.ring_end);
    return rc;
}
