#include "styles/legend.h"

#include "db/site_store.h"
#include "styles/style.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#define LEGEND_WIDTH 240
#define ROW_HEIGHT 22
#define TITLE_HEIGHT 22
#define PAD 6
#define SYMBOL_X 16.0 /* centre of the symbol column */
#define TEXT_X 34.0

static size_t type_rows(const struct legend_input *in)
{
    return in->n_types < LEGEND_MAX_TYPES ? in->n_types : LEGEND_MAX_TYPES;
}

static size_t row_count(const struct legend_input *in)
{
    switch (in->layer) {
    case LEGEND_SITES:
        return type_rows(in) + 4 + 1; /* field types, water states, closed */
    case LEGEND_ACTIONS:
        return 1;
    case LEGEND_CLUSTERS:
        return in->style->n_cluster_steps;
    case LEGEND_TERRITORIES:
        return in->style->n_bubble_steps;
    case LEGEND_BOUNDARIES:
        return BOUNDARY_LEVEL_COUNT;
    }
    return 0;
}

void legend_size(const struct legend_input *in, int *width, int *height)
{
    *width = LEGEND_WIDTH;
    *height = PAD + TITLE_HEIGHT + (int)row_count(in) * ROW_HEIGHT + PAD;
}

static void set_color(cairo_t *cr, struct style_color c, double opacity)
{
    cairo_set_source_rgba(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0, c.alpha * opacity);
}

static void text(cairo_t *cr, const struct style_def *st, double x, double y, const char *s, double size)
{
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    set_color(cr, st->label_text, 1);
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, s);
}

/* A site marker: fill disk of radius r, ring from r outwards (as MapLibre's circle-stroke). */
static void site_marker(cairo_t *cr, double x, double y, double r, double ring, struct style_color fill,
                        struct style_color ring_color, double opacity)
{
    cairo_new_path(cr);
    cairo_arc(cr, x, y, r, 0, 2 * M_PI);
    set_color(cr, fill, opacity);
    cairo_fill(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
    cairo_arc(cr, x, y, r + ring, 0, 2 * M_PI);
    cairo_new_sub_path(cr);
    cairo_arc(cr, x, y, r, 0, 2 * M_PI);
    set_color(cr, ring_color, opacity);
    cairo_fill(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
}

static void bubble(cairo_t *cr, const struct style_def *st, double y, double r, struct style_color fill,
                   struct style_color stroke, const char *label)
{
    double shown = fmin(r / 2.5, 9.0); /* the real radii (12-45 px) do not fit a row */
    cairo_new_path(cr);
    cairo_arc(cr, SYMBOL_X, y, shown, 0, 2 * M_PI);
    set_color(cr, fill, 1);
    cairo_fill_preserve(cr);
    set_color(cr, stroke, 1);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    text(cr, st, TEXT_X, y + 4, label, 11);
}

static void draw_rows(cairo_t *cr, const struct legend_input *in)
{
    const struct style_def *st = in->style;
    double y = PAD + TITLE_HEIGHT + ROW_HEIGHT / 2.0;
    char label[96];
    switch (in->layer) {
    case LEGEND_SITES: {
        struct style_color neutral = {0xff, 0xff, 0xff, 1};
        for (size_t i = 0; i < type_rows(in); i++, y += ROW_HEIGHT) {
            struct style_color fill;
            if (style_parse_hex(in->types[i].color, &fill) < 0)
                fill = st->site_fallback_fill;
            site_marker(cr, SYMBOL_X, y, st->site_radius_px, st->site_stroke_px, fill, st->water_ring[0], 1);
            text(cr, st, TEXT_X, y + 4, in->types[i].label, 11);
        }
        for (int w = 0; w < 4; w++, y += ROW_HEIGHT) {
            site_marker(cr, SYMBOL_X, y, st->site_radius_px, st->site_stroke_px, neutral, st->water_ring[w], 1);
            text(cr, st, TEXT_X, y + 4, style_water_label(w), 11);
        }
        site_marker(cr, SYMBOL_X, y, st->site_radius_px, st->site_stroke_px, st->site_fallback_fill,
                    st->water_ring[0], st->closed_site_opacity);
        text(cr, st, TEXT_X, y + 4, "Site fermé ou résorbé", 11);
        break;
    }
    case LEGEND_ACTIONS: {
        double s = st->action_size_px;
        cairo_rectangle(cr, SYMBOL_X - s / 2, y - s / 2, s, s);
        set_color(cr, st->action_fill, 1);
        cairo_fill_preserve(cr);
        set_color(cr, st->action_stroke, 1);
        cairo_set_line_width(cr, 1);
        cairo_stroke(cr);
        text(cr, st, TEXT_X, y + 4, "Lieu d'une action", 11);
        break;
    }
    case LEGEND_CLUSTERS:
    case LEGEND_TERRITORIES: {
        bool clusters = in->layer == LEGEND_CLUSTERS;
        const struct style_step *steps = clusters ? st->cluster_steps : st->bubble_steps;
        size_t n = clusters ? st->n_cluster_steps : st->n_bubble_steps;
        for (size_t i = 0; i < n; i++, y += ROW_HEIGHT) {
            unsigned from = steps[i].min_count ? steps[i].min_count : 1;
            if (i + 1 < n)
                snprintf(label, sizeof label, "%u à %u sites", from, steps[i + 1].min_count - 1);
            else
                snprintf(label, sizeof label, "%u sites ou plus", from);
            bubble(cr, st, y, steps[i].radius_px, clusters ? st->cluster_fill : st->bubble_fill,
                   clusters ? st->cluster_stroke : st->bubble_stroke, label);
        }
        break;
    }
    case LEGEND_BOUNDARIES: {
        static const char *const names[] = {"Région", "Département", "EPCI", "Commune"};
        for (int l = 0; l < BOUNDARY_LEVEL_COUNT; l++, y += ROW_HEIGHT) {
            const struct style_boundary *b = &st->boundary[l];
            cairo_new_path(cr);
            cairo_move_to(cr, 4, y);
            cairo_line_to(cr, 28, y);
            set_color(cr, b->line, 1);
            cairo_set_line_width(cr, fmax(b->width_px, 1.0));
            double dash[] = {4, 3};
            cairo_set_dash(cr, dash, b->dashed ? 2 : 0, 0);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
            text(cr, st, TEXT_X, y + 4, names[l], 11);
        }
        break;
    }
    }
}

cairo_surface_t *legend_render(const struct legend_input *in)
{
    static const char *const titles[] = {"Sites", "Actions", "Sites regroupés", "Sites par territoire",
                                         "Limites administratives"};
    int w, h;
    legend_size(in, &w, &h);
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surface);
        return NULL;
    }
    cairo_t *cr = cairo_create(surface);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 12);
    set_color(cr, in->style->label_text, 1);
    cairo_move_to(cr, PAD, PAD + 15);
    cairo_show_text(cr, titles[in->layer]);
    draw_rows(cr, in);
    cairo_status_t status = cairo_status(cr);
    cairo_destroy(cr);
    if (status != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surface);
        return NULL;
    }
    cairo_surface_flush(surface);
    return surface;
}
