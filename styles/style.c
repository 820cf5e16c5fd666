#include "styles/style.h"

#include "tiles/boundaries.h"

#include <stdio.h>
#include <string.h>

/* Cluster and bubble radii grow in steps with the count, as supercluster examples and
 * the platform's bubbles (20/45/35 px by level) do; the same steps drive MapLibre's
 * `step` expressions and the WMS renderer. */
static const struct style_step cluster_steps[] = {{0, 12}, {10, 16}, {50, 20}, {100, 25}, {500, 32}, {1000, 40}};
static const struct style_step bubble_steps[] = {{0, 16}, {10, 22}, {50, 30}, {200, 38}, {1000, 45}};

#define RGB(r, g, b) {r, g, b, 1.0}
#define RGBA(r, g, b, a) {r, g, b, a}

static const struct style_def styles[] = {
    {
        .name = "light",
        .title = "Clair",
        .background = RGB(0xf8, 0xf7, 0xf2),
        .site_radius_px = 6,
        .site_stroke_px = 2.5,
        .site_fallback_fill = RGB(0xff, 0x00, 0x00),
        /* unknown, good, to improve, bad: the platform's water icons */
        .water_ring = {RGB(0x9e, 0x9e, 0x9e), RGB(0x2e, 0x7d, 0x32), RGB(0xf5, 0x7c, 0x00), RGB(0xc6, 0x28, 0x28)},
        .closed_site_opacity = 0.45,
        .site_label = RGB(0x21, 0x21, 0x21),
        .site_label_minzoom = 14,
        .action_fill = RGB(0x5e, 0x35, 0xb1),
        .action_stroke = RGB(0xff, 0xff, 0xff),
        .action_size_px = 8,
        .cluster_fill = RGBA(0x00, 0x00, 0x91, 0.8),
        .cluster_stroke = RGB(0xff, 0xff, 0xff),
        .cluster_text = RGB(0xff, 0xff, 0xff),
        .cluster_steps = cluster_steps,
        .n_cluster_steps = sizeof cluster_steps / sizeof cluster_steps[0],
        .bubble_fill = RGBA(0x16, 0x9b, 0x62, 0.75),
        .bubble_stroke = RGB(0xff, 0xff, 0xff),
        .bubble_text = RGB(0xff, 0xff, 0xff),
        .bubble_steps = bubble_steps,
        .n_bubble_steps = sizeof bubble_steps / sizeof bubble_steps[0],
        .boundary =
            {
                [BOUNDARY_REGION] = {BOUNDARY_MINZOOM_REGION, 22, RGB(0x4a, 0x4a, 0x6a), 2.0, 0, RGBA(0, 0, 0, 0), 5},
                [BOUNDARY_DEPARTEMENT] = {BOUNDARY_MINZOOM_DEPARTEMENT, 22, RGB(0x6a, 0x6a, 0x8a), 1.2, 0,
                                          RGBA(0, 0, 0, 0), 7},
                [BOUNDARY_EPCI] = {BOUNDARY_MINZOOM_EPCI, 22, RGB(0x9a, 0x9a, 0xb0), 0.8, 1, RGBA(0, 0, 0, 0), 99},
                [BOUNDARY_COMMUNE] = {BOUNDARY_MINZOOM_CITY, 22, RGB(0xb8, 0xb8, 0xc8), 0.5, 0, RGBA(0, 0, 0, 0),
                                      11},
            },
        .label_text = RGB(0x33, 0x33, 0x44),
        .label_halo = RGB(0xff, 0xff, 0xff),
        .label_size_px = 12,
        .label_halo_px = 1.5,
    },
    {
        /* For low vision and bright light: black outlines, saturated fills, larger
         * symbols; every text/background pair is above WCAG's 7:1. */
        .name = "high-contrast",
        .title = "Contraste élevé",
        .background = RGB(0xff, 0xff, 0xff),
        .site_radius_px = 8,
        .site_stroke_px = 3,
        .site_fallback_fill = RGB(0xff, 0x00, 0x00),
        .water_ring = {RGB(0x00, 0x00, 0x00), RGB(0x00, 0x5a, 0x00), RGB(0xb3, 0x4a, 0x00), RGB(0xa0, 0x00, 0x00)},
        .closed_site_opacity = 0.6,
        .site_label = RGB(0x00, 0x00, 0x00),
        .site_label_minzoom = 13,
        .action_fill = RGB(0x3d, 0x00, 0x8f),
        .action_stroke = RGB(0x00, 0x00, 0x00),
        .action_size_px = 10,
        .cluster_fill = RGB(0x00, 0x00, 0x00),
        .cluster_stroke = RGB(0xff, 0xff, 0x00),
        .cluster_text = RGB(0xff, 0xff, 0x00),
        .cluster_steps = cluster_steps,
        .n_cluster_steps = sizeof cluster_steps / sizeof cluster_steps[0],
        .bubble_fill = RGB(0x00, 0x3d, 0x1f),
        .bubble_stroke = RGB(0xff, 0xff, 0xff),
        .bubble_text = RGB(0xff, 0xff, 0xff),
        .bubble_steps = bubble_steps,
        .n_bubble_steps = sizeof bubble_steps / sizeof bubble_steps[0],
        .boundary =
            {
                [BOUNDARY_REGION] = {BOUNDARY_MINZOOM_REGION, 22, RGB(0, 0, 0), 3.0, 0, RGBA(0, 0, 0, 0), 5},
                [BOUNDARY_DEPARTEMENT] = {BOUNDARY_MINZOOM_DEPARTEMENT, 22, RGB(0, 0, 0), 2.0, 0, RGBA(0, 0, 0, 0), 7},
                [BOUNDARY_EPCI] = {BOUNDARY_MINZOOM_EPCI, 22, RGB(0x33, 0x33, 0x33), 1.2, 1, RGBA(0, 0, 0, 0), 99},
                [BOUNDARY_COMMUNE] = {BOUNDARY_MINZOOM_CITY, 22, RGB(0x44, 0x44, 0x44), 1.0, 0, RGBA(0, 0, 0, 0), 11},
            },
        .label_text = RGB(0, 0, 0),
        .label_halo = RGB(0xff, 0xff, 0xff),
        .label_size_px = 14,
        .label_halo_px = 2,
    },
};

const struct style_def *style_lookup(const char *name)
{
    for (size_t i = 0; name && i < sizeof styles / sizeof styles[0]; i++)
        if (!strcmp(styles[i].name, name))
            return &styles[i];
    return NULL;
}

const struct style_def *style_default(void) { return &styles[0]; }
size_t style_count(void) { return sizeof styles / sizeof styles[0]; }
const struct style_def *style_at(size_t i) { return i < style_count() ? &styles[i] : NULL; }

const char *style_water_label(int water)
{
    static const char *const labels[] = {"Accès à l'eau inconnu", "Accès à l'eau satisfaisant",
                                         "Accès à l'eau à améliorer", "Pas d'accès à l'eau"};
    return water >= 0 && water < 4 ? labels[water] : labels[0];
}

const char *style_boundary_level_name(enum boundary_level level)
{
    static const char *const names[] = {"region", "departement", "epci", "city"};
    return level < BOUNDARY_LEVEL_COUNT ? names[level] : "";
}

double style_step_radius(const struct style_step *steps, size_t n, unsigned count)
{
    double r = n ? steps[0].radius_px : 0;
    for (size_t i = 0; i < n && steps[i].min_count <= count; i++)
        r = steps[i].radius_px;
    return r;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int style_parse_hex(const char *hex, struct style_color *out)
{
    if (!hex)
        return -1;
    if (*hex == '#')
        hex++;
    if (strlen(hex) != 6)
        return -1;
    uint8_t v[3];
    for (int i = 0; i < 3; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        v[i] = (uint8_t)(hi * 16 + lo);
    }
    *out = (struct style_color){v[0], v[1], v[2], 1.0};
    return 0;
}
