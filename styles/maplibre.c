#include "styles/maplibre.h"

#include "db/site_store.h"
#include "tiles/layer_catalog.h"

#include <stdio.h>
#include <string.h>

void maplibre_color(const struct style_color *c, char *out, size_t outlen)
{
    if (c->alpha >= 1.0)
        snprintf(out, outlen, "#%02x%02x%02x", c->r, c->g, c->b);
    else
        snprintf(out, outlen, "rgba(%u,%u,%u,%.3g)", c->r, c->g, c->b, c->alpha < 0 ? 0 : c->alpha);
}

static json_t *color(const struct style_color *c)
{
    char text[40];
    maplibre_color(c, text, sizeof text);
    return json_string(text);
}

static json_t *get(const char *prop) { return json_pack("[s,s]", "get", prop); }

/* ["step", ["to-number", ["get", prop], 0], r0, c1, r1, ...]: the table's step scale. */
static json_t *step_radius(const char *prop, const struct style_step *steps, size_t n)
{
    json_t *e = json_pack("[s,[s,o,i]]", "step", "to-number", get(prop), 0);
    json_array_append_new(e, json_real(n ? steps[0].radius_px : 4));
    for (size_t i = 1; i < n; i++) {
        json_array_append_new(e, json_integer(steps[i].min_count));
        json_array_append_new(e, json_real(steps[i].radius_px));
    }
    return e;
}

/* Adds a layer; minzoom/maxzoom < 0 are left out. */
static json_t *add_layer(json_t *layers, const char *id, const char *type, const char *source, const char *source_layer,
                         int minzoom, int maxzoom)
{
    json_t *l = json_pack("{s:s,s:s}", "id", id, "type", type);
    if (source)
        json_object_set_new(l, "source", json_string(source));
    if (source_layer)
        json_object_set_new(l, "source-layer", json_string(source_layer));
    if (minzoom > 0)
        json_object_set_new(l, "minzoom", json_integer(minzoom));
    if (maxzoom >= 0 && maxzoom < TILE_LAYER_MAX_ZOOM)
        json_object_set_new(l, "maxzoom", json_integer(maxzoom));
    json_object_set_new(l, "paint", json_object());
    json_object_set_new(l, "layout", json_object());
    json_array_append_new(layers, l);
    return l;
}

static void paint(json_t *l, const char *key, json_t *value) { json_object_set_new(json_object_get(l, "paint"), key, value); }
static void layout(json_t *l, const char *key, json_t *value)
{
    json_object_set_new(json_object_get(l, "layout"), key, value);
}

static void text_common(json_t *l, double size, const struct style_color *fill, const struct style_color *halo,
                        double halo_px)
{
    layout(l, "text-font", json_pack("[s]", MAPLIBRE_FONT));
    layout(l, "text-size", json_real(size));
    paint(l, "text-color", color(fill));
    if (halo) {
        paint(l, "text-halo-color", color(halo));
        paint(l, "text-halo-width", json_real(halo_px));
    }
}

static void boundary_layers(json_t *layers, const struct style_def *def, bool labels)
{
    for (int lv = 0; lv < BOUNDARY_LEVEL_COUNT; lv++) {
        const struct style_boundary *b = &def->boundary[lv];
        const char *level = style_boundary_level_name((enum boundary_level)lv);
        char id[64];
        json_t *filter = json_pack("[s,o,s]", "==", get("level"), level);
        if (!labels) {
            snprintf(id, sizeof id, "boundaries-%s-line", level);
            json_t *l = add_layer(layers, id, "line", "boundaries", "boundaries", b->minzoom, b->maxzoom);
            json_object_set_new(l, "filter", filter);
            paint(l, "line-color", color(&b->line));
            paint(l, "line-width", json_real(b->width_px));
            if (b->dashed)
                paint(l, "line-dasharray", json_pack("[f,f]", 3.0, 2.0));
            layout(l, "line-join", json_string("round"));
            continue;
        }
        /* Polygons are clipped per tile, so a label repeats in every tile a territory
         * spans: only levels small enough to fit a tile where they are labelled get one
         * (bubbles carry the région and département names). */
        if (b->label_minzoom >= 99 || b->label_minzoom < MAPLIBRE_POLYGON_LABEL_MINZOOM) {
            json_decref(filter);
            continue;
        }
        snprintf(id, sizeof id, "boundaries-%s-label", level);
        int minzoom = b->label_minzoom > b->minzoom ? b->label_minzoom : b->minzoom;
        json_t *l = add_layer(layers, id, "symbol", "boundaries", "boundaries", minzoom, b->maxzoom);
        json_object_set_new(l, "filter", filter);
        layout(l, "text-field", get("name"));
        text_common(l, def->label_size_px, &def->label_text, &def->label_halo, def->label_halo_px);
        paint(l, "text-opacity", json_real(0.85));
    }
}

/* The platform's bubbles: "Name – N sites" at the territory's reference point. */
static void bubble_layers(json_t *layers, const struct style_def *def, const struct maplibre_style_opts *o)
{
    const char *vis = o->aggregation == STYLE_AGGREGATE_TERRITORIES ? "visible" : "none";
    json_t *l = add_layer(layers, "territories-bubble", "circle", "rbmap", "territories", -1, MAPLIBRE_BUBBLES_MAXZOOM);
    paint(l, "circle-color", color(&def->bubble_fill));
    paint(l, "circle-radius", step_radius("sites", def->bubble_steps, def->n_bubble_steps));
    paint(l, "circle-stroke-color", color(&def->bubble_stroke));
    paint(l, "circle-stroke-width", json_real(1.5));
    layout(l, "visibility", json_string(vis));
    if (!o->with_text)
        return;
    l = add_layer(layers, "territories-label", "symbol", "rbmap", "territories", -1, MAPLIBRE_BUBBLES_MAXZOOM);
    json_t *count = json_pack("[s,o,i]", "to-number", get("sites"), 0);
    layout(l, "text-field",
           json_pack("[s,o,s,[s,O],[s,[s,O,i],s,s]]", "concat", get("name"), " – ", "to-string", count, "case", ">",
                     count, 1, " sites", " site"));
    json_decref(count);
    layout(l, "text-allow-overlap", json_true());
    layout(l, "text-max-width", json_integer(16));
    /* An opaque halo in the bubble's colour: the text stays readable where it
     * overflows the bubble onto the map. */
    struct style_color halo = def->bubble_fill;
    halo.alpha = 1.0;
    text_common(l, def->label_size_px, &def->bubble_text, &halo, 1.5);
    layout(l, "visibility", json_string(vis));
}

static void cluster_layers(json_t *layers, const struct style_def *def, const struct maplibre_style_opts *o)
{
    int minzoom = o->aggregation == STYLE_AGGREGATE_TERRITORIES ? MAPLIBRE_BUBBLES_MAXZOOM : -1;
    json_t *l = add_layer(layers, "clusters-circle", "circle", "rbmap", "clusters", minzoom, -1);
    json_object_set_new(l, "filter", json_pack("[s,s]", "has", "point_count"));
    paint(l, "circle-color", color(&def->cluster_fill));
    paint(l, "circle-radius", step_radius("point_count", def->cluster_steps, def->n_cluster_steps));
    paint(l, "circle-stroke-color", color(&def->cluster_stroke));
    paint(l, "circle-stroke-width", json_real(1.5));
    if (!o->with_text)
        return;
    l = add_layer(layers, "clusters-count", "symbol", "rbmap", "clusters", minzoom, -1);
    json_object_set_new(l, "filter", json_pack("[s,s]", "has", "point_count"));
    layout(l, "text-field", json_pack("[s,o]", "to-string", get("point_count_abbreviated")));
    layout(l, "text-allow-overlap", json_true());
    text_common(l, def->label_size_px, &def->cluster_text, NULL, 0);
}

static void action_layer(json_t *layers, const struct style_def *def, const struct maplibre_style_opts *o)
{
    if (o->with_text) {
        /* A square as the WMS draws it: U+25A0 from the served glyphs (no sprite needed). */
        json_t *l = add_layer(layers, "actions", "symbol", "rbmap", "actions", MAPLIBRE_ACTIONS_MINZOOM, -1);
        layout(l, "text-field", json_string("\u25a0"));
        layout(l, "text-allow-overlap", json_true());
        layout(l, "text-ignore-placement", json_true());
        text_common(l, def->action_size_px * 1.6, &def->action_fill, &def->action_stroke, 1.0);
        return;
    }
    json_t *l = add_layer(layers, "actions", "circle", "rbmap", "actions", MAPLIBRE_ACTIONS_MINZOOM, -1);
    paint(l, "circle-color", color(&def->action_fill));
    paint(l, "circle-radius", json_real(def->action_size_px / 2));
    paint(l, "circle-stroke-color", color(&def->action_stroke));
    paint(l, "circle-stroke-width", json_real(1));
}

/* The platform's marker: fill = field type colour, ring = water access, closed fainter. */
static void site_layers(json_t *layers, const struct style_def *def, const struct maplibre_style_opts *o)
{
    int minzoom = o->aggregation == STYLE_AGGREGATE_TERRITORIES ? MAPLIBRE_BUBBLES_MAXZOOM : -1;
    json_t *unclustered = json_pack("[s,[s,s]]", "!", "has", "point_count");
    json_t *open = json_pack("[s,o,s]", "==", get("status"), "open");
    json_t *l = add_layer(layers, "sites-circle", "circle", "rbmap", "clusters", minzoom, -1);
    json_object_set(l, "filter", unclustered);
    paint(l, "circle-color", json_pack("[s,o,o]", "to-color", get("color"), color(&def->site_fallback_fill)));
    paint(l, "circle-radius", json_real(def->site_radius_px));
    paint(l, "circle-stroke-width", json_real(def->site_stroke_px));
    json_t *ring = json_pack("[s,o]", "match", get("water"));
    for (int w = WATER_GOOD; w < WATER_STATUS_COUNT; w++) {
        json_array_append_new(ring, json_string(water_status_name((enum water_status)w)));
        json_array_append_new(ring, color(&def->water_ring[w]));
    }
    json_array_append_new(ring, color(&def->water_ring[WATER_UNKNOWN]));
    paint(l, "circle-stroke-color", ring);
    paint(l, "circle-opacity", json_pack("[s,O,f,f]", "case", open, 1.0, def->closed_site_opacity));
    paint(l, "circle-stroke-opacity", json_pack("[s,O,f,f]", "case", open, 1.0, def->closed_site_opacity));
    layout(l, "circle-sort-key", json_pack("[s,O,i,i]", "case", open, 1, 0));
    if (o->with_text) {
        int label_min = def->site_label_minzoom > minzoom ? def->site_label_minzoom : minzoom;
        l = add_layer(layers, "sites-label", "symbol", "rbmap", "clusters", label_min, -1);
        json_object_set(l, "filter", unclustered);
        layout(l, "text-field", json_pack("[s,o,s]", "coalesce", get("name"), ""));
        layout(l, "text-anchor", json_string("top"));
        layout(l, "text-offset", json_pack("[f,f]", 0.0, 0.9));
        layout(l, "text-optional", json_true());
        text_common(l, def->label_size_px, &def->site_label, &def->label_halo, def->label_halo_px);
    }
    json_decref(open);
    json_decref(unclustered);
}

static json_t *sources(const struct maplibre_style_opts *o)
{
    char url[4096];
    json_t *src = json_object();
    snprintf(url, sizeof url, "%s/tiles/boundaries.json", o->base_url);
    json_object_set_new(src, "boundaries", json_pack("{s:s,s:s}", "type", "vector", "url", url));
    int n = snprintf(url, sizeof url, "%s/tiles/territories,clusters,actions.json%s%s", o->base_url,
                     o->query && *o->query ? "?" : "", o->query ? o->query : "");
    if (n < 0 || (size_t)n >= sizeof url)
        snprintf(url, sizeof url, "%s/tiles/territories,clusters,actions.json", o->base_url);
    json_object_set_new(src, "rbmap", json_pack("{s:s,s:s}", "type", "vector", "url", url));
    if (o->raster_url && *o->raster_url)
        json_object_set_new(src, "raster-base",
                            json_pack("{s:s,s:[s],s:i,s:s}", "type", "raster", "tiles", o->raster_url, "tileSize", 256,
                                      "attribution", o->raster_attribution ? o->raster_attribution : ""));
    return src;
}

json_t *maplibre_style(const struct style_def *def, const struct maplibre_style_opts *o)
{
    json_t *layers = json_array();
    json_t *bg = add_layer(layers, "background", "background", NULL, NULL, -1, -1);
    paint(bg, "background-color", color(&def->background));
    if (o->raster_url && *o->raster_url)
        add_layer(layers, "raster-base", "raster", "raster-base", NULL, -1, -1);
    boundary_layers(layers, def, false);
    if (o->with_text)
        boundary_layers(layers, def, true);
    bubble_layers(layers, def, o);
    action_layer(layers, def, o);
    cluster_layers(layers, def, o);
    site_layers(layers, def, o);
    /* Empty paint/layout objects are valid but noisy: drop them. */
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        if (!json_object_size(json_object_get(l, "paint")))
            json_object_del(l, "paint");
        if (!json_object_size(json_object_get(l, "layout")))
            json_object_del(l, "layout");
    }
    json_t *doc = json_pack("{s:i,s:s,s:{s:s,s:s},s:[f,f],s:f,s:o,s:o}", "version", 8, "name", def->title, "metadata",
                            "rbmap:style", def->name, "rbmap:aggregation",
                            o->aggregation == STYLE_AGGREGATE_TERRITORIES ? "territories" : "clusters", "center",
                            2.0497727, 46.7755829, "zoom", 5.0, "sources", sources(o), "layers", layers);
    if (doc && o->with_text) {
        char glyphs[1024];
        snprintf(glyphs, sizeof glyphs, "%s/styles/glyphs/{fontstack}/{range}.pbf", o->base_url);
        json_object_set_new(doc, "glyphs", json_string(glyphs));
    }
    return doc;
}
