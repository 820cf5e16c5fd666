/* Point symbols and labels shared by the WMS layers. */
#include "wms/wms_render.h"

#include "tiles/cluster_index.h"
#include "wms/marker_sprites.h"

#include <math.h>
#include <stdio.h>

void wms_set_color(cairo_t *cr, struct style_color c, double opacity)
{
    cairo_set_source_rgba(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0, c.alpha * opacity);
}

int wms_style_zoom(const struct wms_frame *f)
{
    double z = floor(f->zoom);
    return z < 0 ? 0 : z > 22 ? 22 : (int)z;
}

/* The marker of the platform: the field type colour inside, the water state as a ring
 * outside the radius (MapLibre's circle-stroke), the whole fainter once closed. */
void wms_site_marker(const struct wms_draw *d, const struct site *s, double x, double y)
{
    const struct style_def *st = d->style;
    cairo_t *cr = d->cr;
    struct style_color fill;
    const struct field_type *ft = site_snapshot_field_type(d->src->sites, s->field_type_id);
    if (!ft || style_parse_hex(ft->color, &fill) < 0)
        fill = st->site_fallback_fill;
    int status = site_status_on(s, d->filter->day);
    double opacity = status == SITE_OPEN ? 1.0 : st->closed_site_opacity;
    marker_paint(cr, x, y, st->site_radius_px, st->site_stroke_px, fill, st->water_ring[s->water < 4 ? s->water : 0],
                 opacity);
}

void wms_label(const struct wms_draw *d, double x, double y, const char *text, struct style_color color,
               double size, bool centred, bool halo)
{
    cairo_t *cr = d->cr;
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t ext;
    cairo_text_extents(cr, text, &ext);
    double tx = centred ? x - ext.width / 2 - ext.x_bearing : x;
    double ty = centred ? y - ext.height / 2 - ext.y_bearing : y - ext.height / 2 - ext.y_bearing;
    cairo_new_path(cr);
    cairo_move_to(cr, tx, ty);
    cairo_text_path(cr, text);
    if (halo && d->style->label_halo_px > 0) {
        wms_set_color(cr, d->style->label_halo, 1);
        cairo_set_line_width(cr, 2 * d->style->label_halo_px);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_stroke_preserve(cr);
    }
    wms_set_color(cr, color, 1);
    cairo_fill(cr);
}

void wms_count_bubble(const struct wms_draw *d, double x, double y, double r, struct style_color fill,
                      struct style_color stroke, struct style_color text, unsigned count)
{
    cairo_t *cr = d->cr;
    cairo_new_path(cr);
    cairo_arc(cr, x, y, r, 0, 2 * M_PI);
    wms_set_color(cr, fill, 1);
    cairo_fill_preserve(cr);
    wms_set_color(cr, stroke, 1);
    cairo_set_line_width(cr, 2);
    cairo_stroke(cr);
    char label[16];
    if (!cluster_abbreviate(count, label))
        snprintf(label, sizeof label, "%u", count);
    wms_label(d, x, y, label, text, r > 20 ? 14 : 12, true, false);
}
