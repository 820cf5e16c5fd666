#include "styles/legend_json.h"

#include "styles/maplibre.h"

#include <stdio.h>

static json_t *color(const struct style_color *c)
{
    char text[40];
    maplibre_color(c, text, sizeof text);
    return json_string(text);
}

static json_t *section(json_t *sections, const char *id, const char *title)
{
    json_t *items = json_array();
    json_array_append_new(sections, json_pack("{s:s,s:s,s:o}", "id", id, "title", title, "items", items));
    return items;
}

/* "1 à 9 sites", "10 à 49 sites", ..., "1000 sites et plus" from a step scale. */
static void step_items(json_t *items, const struct style_step *steps, size_t n, const struct style_color *fill,
                       const struct style_color *stroke)
{
    for (size_t i = 0; i < n; i++) {
        char label[64];
        unsigned lo = steps[i].min_count ? steps[i].min_count : 1;
        if (i + 1 < n)
            snprintf(label, sizeof label, "%u à %u sites", lo, steps[i + 1].min_count - 1);
        else
            snprintf(label, sizeof label, "%u sites et plus", lo);
        json_array_append_new(items, json_pack("{s:s,s:s,s:f,s:o,s:o,s:i}", "label", label, "symbol", "circle",
                                               "radius_px", steps[i].radius_px, "fill", color(fill), "stroke",
                                               color(stroke), "min_count", (json_int_t)steps[i].min_count));
    }
}

json_t *style_legend_json(const struct style_def *def, const struct field_type *types, size_t n_types)
{
    static const char *const level_labels[BOUNDARY_LEVEL_COUNT] = {"Région", "Département", "EPCI", "Commune"};
    json_t *sections = json_array();
    json_t *items = section(sections, "field_type", "Type de terrain (couleur du site)");
    for (size_t i = 0; i < n_types; i++) {
        struct style_color c;
        if (style_parse_hex(types[i].color, &c) < 0)
            c = def->site_fallback_fill;
        json_array_append_new(items, json_pack("{s:s,s:i,s:s,s:o,s:f}", "label", types[i].label, "field_type_id",
                                               (json_int_t)types[i].id, "symbol", "circle", "fill", color(&c),
                                               "radius_px", def->site_radius_px));
    }
    items = section(sections, "water", "Accès à l'eau (contour du site)");
    for (int w = WATER_GOOD; w <= WATER_STATUS_COUNT; w++) {
        int water = w % WATER_STATUS_COUNT; /* unknown last */
        json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:o,s:f}", "label", style_water_label(water), "value",
                                               water_status_name((enum water_status)water), "symbol", "ring",
                                               "stroke", color(&def->water_ring[water]), "stroke_px",
                                               def->site_stroke_px));
    }
    items = section(sections, "status", "Statut");
    json_array_append_new(items, json_pack("{s:s,s:s,s:f}", "label", "Site existant", "value", "open", "opacity", 1.0));
    json_array_append_new(items, json_pack("{s:s,s:s,s:f}", "label", "Site fermé ou résorbé", "value", "closed",
                                           "opacity", def->closed_site_opacity));
    items = section(sections, "clusters", "Regroupements de sites");
    step_items(items, def->cluster_steps, def->n_cluster_steps, &def->cluster_fill, &def->cluster_stroke);
    items = section(sections, "territories", "Sites par territoire (région, département, commune)");
    step_items(items, def->bubble_steps, def->n_bubble_steps, &def->bubble_fill, &def->bubble_stroke);
    items = section(sections, "actions", "Actions");
    json_array_append_new(items, json_pack("{s:s,s:s,s:o,s:o,s:f}", "label", "Action", "symbol", "square", "fill",
                                           color(&def->action_fill), "stroke", color(&def->action_stroke), "size_px",
                                           def->action_size_px));
    items = section(sections, "boundaries", "Limites administratives");
    for (int lv = 0; lv < BOUNDARY_LEVEL_COUNT; lv++) {
        const struct style_boundary *b = &def->boundary[lv];
        json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:o,s:f,s:b,s:i}", "label", level_labels[lv], "value",
                                               style_boundary_level_name((enum boundary_level)lv), "symbol", "line",
                                               "stroke", color(&b->line), "width_px", b->width_px, "dashed",
                                               b->dashed, "minzoom", b->minzoom));
    }
    return json_pack("{s:s,s:s,s:o}", "style", def->name, "title", def->title, "sections", sections);
}
