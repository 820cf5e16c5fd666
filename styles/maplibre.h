/* A MapLibre style (spec v8) generated from a struct style_def (styles/style.h), so a
 * web map draws rbmap's layers exactly as the WMS does.
 *
 * Two vector sources, both TileJSON URLs of this server: `boundaries`
 * (/tiles/boundaries.json, the base map, same for everyone) and `rbmap`
 * (/tiles/territories,clusters,actions.json), whose URL carries the caller's filters
 * and credential; TileJSON carries that query on into the tile URLs. Sites are the
 * unclustered points of the clusters layer (they carry the sites layer's fields), so one
 * tile per view brings clusters, sites, bubbles and actions together.
 *
 * Aggregation: "territories" draws the platform's bubbles up to z13 and sites from z14
 * (as the platform does); "clusters" hides the bubbles and draws geometric clusters at
 * every zoom. The viewer switches between the two by layer visibility. */
#ifndef RBMAP_STYLES_MAPLIBRE_H
#define RBMAP_STYLES_MAPLIBRE_H
#include "styles/style.h"

#include <jansson.h>
#include <stdbool.h>

enum style_aggregation { STYLE_AGGREGATE_CLUSTERS, STYLE_AGGREGATE_TERRITORIES };

/* Font stack of every text layer; its glyph PBFs are served under glyphs_url. */
#define MAPLIBRE_FONT "DejaVu Sans"
/* The zoom from which sites replace territory bubbles (the platform's z>13). */
#define MAPLIBRE_BUBBLES_MAXZOOM 14

/* Actions from this zoom: below it their squares would bury the clusters. */
#define MAPLIBRE_ACTIONS_MINZOOM 9
/* Boundary levels whose labels start below this zoom get none (see boundary_layers). */
#define MAPLIBRE_POLYGON_LABEL_MINZOOM 11

struct maplibre_style_opts {
    const char *base_url;    /* "scheme://host[:port]", no trailing slash */
    const char *query;       /* "" or the encoded query to carry ("status=open&access_token=..."), no '?' */
    const char *raster_url;  /* optional XYZ raster base ({z}/{x}/{y}); NULL or "" = none */
    const char *raster_attribution;
    bool with_text;          /* text layers (labels, counts): needs glyphs under base_url */
    enum style_aggregation aggregation;
};

/* A new style document; NULL on allocation failure. */
json_t *maplibre_style(const struct style_def *def, const struct maplibre_style_opts *opts);

/* "rgba(r,g,b,a)" or "#rrggbb" for an opaque colour, into out (>= 32 bytes). */
void maplibre_color(const struct style_color *c, char *out, size_t outlen);

#endif
