/* How each layer looks: the one source of colours, sizes and symbols. The MapLibre
 * style generator (styles/maplibre.c, GET /styles/{name}.json) and the WMS renderer
 * (wms/, cairo) both read these tables, so a web map and a WMS image never disagree.
 *
 * Sites follow the platform's marker (notes/platform.md): the fill is the site's field
 * type colour (field_types.color, carried in the tiles as `color`), the ring is the
 * water-access state, closed sites are drawn fainter. Clusters and territory bubbles
 * grow with their count in steps; boundaries are lines whose width and colour depend on
 * the level. */
#ifndef RBMAP_STYLES_STYLE_H
#define RBMAP_STYLES_STYLE_H
#include <stddef.h>
#include <stdint.h>

struct style_color {
    uint8_t r, g, b;
    double alpha; /* 0..1 */
};

enum boundary_level { BOUNDARY_REGION, BOUNDARY_DEPARTEMENT, BOUNDARY_EPCI, BOUNDARY_COMMUNE, BOUNDARY_LEVEL_COUNT };

/* A step scale: the value for a count is the one of the last stop whose count is <= it. */
struct style_step {
    unsigned min_count;
    double radius_px;
};

struct style_boundary {
    int minzoom, maxzoom;        /* zooms where the level shows (the tiles' own ranges) */
    struct style_color line;
    double width_px;
    int dashed;
    struct style_color fill;     /* alpha 0: no fill */
    int label_minzoom;           /* labels (names) from this zoom; 99: never */
};

struct style_def {
    const char *name;            /* "light", "high-contrast" */
    const char *title;           /* French title for pickers and legends */
    struct style_color background;
    /* Sites */
    double site_radius_px, site_stroke_px;
    struct style_color site_fallback_fill;         /* a site whose field type has no colour */
    struct style_color water_ring[4];              /* by enum water_status */
    double closed_site_opacity;                    /* closed or resorbed sites, 0..1 */
    struct style_color site_label;                 /* site names, from label_minzoom */
    int site_label_minzoom;
    /* Actions: a small square in this colour */
    struct style_color action_fill, action_stroke;
    double action_size_px;
    /* Clusters (geometric) and territory bubbles (the platform's aggregates) */
    struct style_color cluster_fill, cluster_stroke, cluster_text;
    const struct style_step *cluster_steps;
    size_t n_cluster_steps;
    struct style_color bubble_fill, bubble_stroke, bubble_text;
    const struct style_step *bubble_steps;
    size_t n_bubble_steps;
    /* Boundaries, by level */
    struct style_boundary boundary[BOUNDARY_LEVEL_COUNT];
    struct style_color label_text, label_halo;
    double label_size_px, label_halo_px;
};

/* Styles by name; NULL when unknown. style_default() is "light". */
const struct style_def *style_lookup(const char *name);
const struct style_def *style_default(void);
size_t style_count(void);
const struct style_def *style_at(size_t i);

/* Water-access labels in French, by enum water_status, for legends. */
const char *style_water_label(int water);
/* Boundary level names as in the boundaries tiles' `level` property. */
const char *style_boundary_level_name(enum boundary_level level);

/* Radius of a cluster or bubble for a count (the step scale). */
double style_step_radius(const struct style_step *steps, size_t n, unsigned count);

/* "rrggbb" (field_types.color, with or without '#') into a colour; -1 when malformed. */
int style_parse_hex(const char *hex, struct style_color *out);

#endif
