/* GetMap layers made of points: sites, actions, clusters, territory bubbles. */
#include "wms/wms_render.h"

#include "geo/rtree.h"
#include "tiles/cluster_layer.h"
#include "tiles/territory_bubbles.h"

#include <math.h>
#include <stdlib.h>

/* Points to draw: lon/lat in, pixels out, with what each one is. */
struct point_batch {
    double *x, *y;
    const void **what;
    unsigned *count; /* clusters and bubbles */
    size_t n, cap;
};

static bool batch_add(struct point_batch *b, double lon, double lat, const void *what, unsigned count)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        double *x = realloc(b->x, cap * sizeof *x);
        if (x)
            b->x = x;
        double *y = realloc(b->y, cap * sizeof *y);
        if (y)
            b->y = y;
        const void **w = realloc(b->what, cap * sizeof *w);
        if (w)
            b->what = w;
        unsigned *c = realloc(b->count, cap * sizeof *c);
        if (c)
            b->count = c;
        if (!x || !y || !w || !c)
            return false;
        b->cap = cap;
    }
    b->x[b->n] = lon;
    b->y[b->n] = lat;
    b->what[b->n] = what;
    b->count[b->n] = count;
    b->n++;
    return true;
}

static void batch_free(struct point_batch *b)
{
    free(b->x);
    free(b->y);
    free(b->what);
    free(b->count);
}

/* Whether a symbol of radius r at (x, y) reaches the image. */
static bool visible(const struct wms_frame *f, double x, double y, double r)
{
    return isfinite(x) && isfinite(y) && x > -r && y > -r && x < f->width + r && y < f->height + r;
}

/* The lon/lat search box: the image plus `margin_px` pixels. */
static struct rtree_box search_box(const struct wms_frame *f, double margin_px)
{
    double m = margin_px * f->deg_per_px;
    return (struct rtree_box){f->west - m, f->south - m, f->east + m, f->north + m};
}

struct site_collect {
    const struct wms_draw *d;
    struct point_batch *batch;
    bool failed;
};

static bool collect_site(uint32_t index, void *arg)
{
    struct site_collect *c = arg;
    const struct site *s = c->d->src->sites->sites[index];
    if (!scope_allows_site(c->d->scope, s) || !site_filter_match(c->d->filter, s) || site_status_on(s, c->d->filter->day) < 0)
        return true;
    if (!batch_add(c->batch, s->lon, s->lat, s, 1)) {
        c->failed = true;
        return false;
    }
    return true;
}

int wms_draw_sites(const struct wms_draw *d)
{
    const struct style_def *st = d->style;
    double r = st->site_radius_px + st->site_stroke_px + 1;
    if (d->scope->kind == SCOPE_PUBLIC || !d->src->sites->index)
        return 0;
    struct point_batch b = {0};
    struct site_collect c = {d, &b, false};
    struct rtree_box box = search_box(d->frame, r);
    rtree_search(d->src->sites->index, &box, collect_site, &c);
    if (c.failed) {
        batch_free(&b);
        return -1;
    }
    wms_frame_to_pixels(d->frame, b.x, b.y, b.n);
    /* Closed sites first, so that open ones stay on top. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < b.n; i++) {
            const struct site *s = b.what[i];
            bool open = site_status_on(s, d->filter->day) == SITE_OPEN;
            if (open == (pass == 1) && visible(d->frame, b.x[i], b.y[i], r))
                wms_site_marker(d, s, b.x[i], b.y[i]);
        }
    if (wms_style_zoom(d->frame) >= st->site_label_minzoom)
        for (size_t i = 0; i < b.n; i++) {
            const struct site *s = b.what[i];
            if (*s->name && visible(d->frame, b.x[i], b.y[i], 0))
                wms_label(d, b.x[i] + r + 2, b.y[i], s->name, st->site_label, st->label_size_px, false, true);
        }
    batch_free(&b);
    return 0;
}

int wms_draw_actions(const struct wms_draw *d)
{
    const struct style_def *st = d->style;
    double half = st->action_size_px / 2 + 1;
    const struct action_snapshot *a = d->src->actions;
    if (d->scope->kind == SCOPE_PUBLIC || !a)
        return 0;
    struct rtree_box box = search_box(d->frame, half);
    struct point_batch b = {0};
    for (size_t i = 0; i < a->count; i++) {
        const struct action_point *p = &a->points[i];
        if (p->lon < box.minx || p->lon > box.maxx || p->lat < box.miny || p->lat > box.maxy ||
            !scope_allows_action(d->scope, p) || !action_point_match(d->filter, p))
            continue;
        if (!batch_add(&b, p->lon, p->lat, p, 1)) {
            batch_free(&b);
            return -1;
        }
    }
    wms_frame_to_pixels(d->frame, b.x, b.y, b.n);
    cairo_t *cr = d->cr;
    cairo_set_line_width(cr, 1);
    for (size_t i = 0; i < b.n; i++) {
        if (!visible(d->frame, b.x[i], b.y[i], half))
            continue;
        double s = st->action_size_px;
        cairo_new_path(cr);
        cairo_rectangle(cr, b.x[i] - s / 2, b.y[i] - s / 2, s, s);
        wms_set_color(cr, st->action_fill, 1);
        cairo_fill_preserve(cr);
        wms_set_color(cr, st->action_stroke, 1);
        cairo_stroke(cr);
    }
    batch_free(&b);
    return 0;
}

int wms_draw_clusters(const struct wms_draw *d)
{
    const struct style_def *st = d->style;
    if (d->scope->kind == SCOPE_PUBLIC)
        return 0;
    char err[128];
    const struct cluster_view *v = cluster_view_acquire(d->src->sites, d->filter, d->scope, err, sizeof err);
    if (!v)
        return *err ? -1 : 0;
    double rmax = st->cluster_steps[st->n_cluster_steps - 1].radius_px + 2;
    struct rtree_box box = search_box(d->frame, rmax);
    double bbox[4] = {fmax(box.minx, -180), fmax(box.miny, -90), fmin(box.maxx, 180), fmin(box.maxy, 90)};
    struct u32vec refs = {0};
    int rc = 0;
    struct point_batch b = {0};
    if (!cluster_index_get_clusters(v->idx, bbox, wms_style_zoom(d->frame), &refs))
        rc = -1;
    for (size_t i = 0; rc == 0 && i < refs.len; i++) {
        uint32_t ref = refs.items[i];
        bool ok;
        if (cluster_ref_is_point(v->idx, ref)) {
            const struct site *s = cluster_view_site(v, d->src->sites, ref);
            ok = batch_add(&b, s->lon, s->lat, s, 0);
        } else {
            struct cluster_info info;
            cluster_index_info(v->idx, ref, &info);
            ok = batch_add(&b, info.lon, info.lat, NULL, info.count);
        }
        if (!ok)
            rc = -1;
    }
    if (rc == 0) {
        wms_frame_to_pixels(d->frame, b.x, b.y, b.n);
        for (size_t i = 0; i < b.n; i++) {
            if (b.what[i]) {
                if (visible(d->frame, b.x[i], b.y[i], st->site_radius_px + st->site_stroke_px))
                    wms_site_marker(d, b.what[i], b.x[i], b.y[i]);
                continue;
            }
            double r = style_step_radius(st->cluster_steps, st->n_cluster_steps, b.count[i]);
            if (visible(d->frame, b.x[i], b.y[i], r + 2))
                wms_count_bubble(d, b.x[i], b.y[i], r, st->cluster_fill, st->cluster_stroke, st->cluster_text,
                                 b.count[i]);
        }
    }
    batch_free(&b);
    free(refs.items);
    cluster_view_release(v);
    return rc;
}

struct bubble_collect {
    struct rtree_box box;
    struct point_batch *batch;
    bool failed;
};

static bool collect_bubble(const struct territory_bubble *t, void *arg)
{
    struct bubble_collect *c = arg;
    if (t->lon < c->box.minx || t->lon > c->box.maxx || t->lat < c->box.miny || t->lat > c->box.maxy)
        return true;
    if (!batch_add(c->batch, t->lon, t->lat, NULL, t->sites)) {
        c->failed = true;
        return false;
    }
    return true;
}

int wms_draw_territories(const struct wms_draw *d)
{
    const struct style_def *st = d->style;
    int level = territory_bubble_level(wms_style_zoom(d->frame), d->scope);
    if (level < 0 || !d->src->territories)
        return 0;
    double rmax = st->bubble_steps[st->n_bubble_steps - 1].radius_px + 2;
    struct point_batch b = {0};
    struct bubble_collect c = {search_box(d->frame, rmax), &b, false};
    if (territory_bubbles_visit(d->src->sites, d->src->territories, d->filter, d->scope, level, collect_bubble, &c) <
            0 ||
        c.failed) {
        batch_free(&b);
        return -1;
    }
    wms_frame_to_pixels(d->frame, b.x, b.y, b.n);
    for (size_t i = 0; i < b.n; i++) {
        double r = style_step_radius(st->bubble_steps, st->n_bubble_steps, b.count[i]);
        if (visible(d->frame, b.x[i], b.y[i], r + 2))
            wms_count_bubble(d, b.x[i], b.y[i], r, st->bubble_fill, st->bubble_stroke, st->bubble_text, b.count[i]);
    }
    batch_free(&b);
    return 0;
}

int wms_draw_layer(const struct wms_draw *d, const struct wms_layer *layer)
{
    if (!d->frame->has_lonlat)
        return 0;
    switch (layer->kind) {
    case WMS_LAYER_SITES:
        return wms_draw_sites(d);
    case WMS_LAYER_ACTIONS:
        return wms_draw_actions(d);
    case WMS_LAYER_CLUSTERS:
        return wms_draw_clusters(d);
    case WMS_LAYER_TERRITORIES:
        return wms_draw_territories(d);
    case WMS_LAYER_BOUNDARIES:
        return wms_draw_boundaries(d, layer->boundary_level);
    }
    return 0;
}
