/* The tile layers rbmap serves: names, zoom ranges and fields. One table read by the
 * renderer, TileJSON, /catalog and the styles, so they never disagree. */
#ifndef RBMAP_TILES_LAYER_CATALOG_H
#define RBMAP_TILES_LAYER_CATALOG_H
#include <stdbool.h>
#include <stddef.h>

enum tile_layer_id {
    LAYER_SITES,
    LAYER_ACTIONS,
    LAYER_BOUNDARIES,
    LAYER_CLUSTERS, /* sites clustered as supercluster does (tiles/cluster_render.h) */
    LAYER_TERRITORIES, /* the platform's territory bubbles (tiles/territory_bubbles.h) */
    LAYER_COUNT
};

enum field_kind { FIELD_STRING, FIELD_NUMBER, FIELD_BOOLEAN };

struct layer_field {
    const char *name;
    enum field_kind kind;
    const char *description;
    bool sensitive; /* justice/police: only for scopes with the justice flag */
};

struct tile_layer_def {
    const char *name;
    const char *description;
    int minzoom, maxzoom;
    const struct layer_field *fields;
    size_t n_fields;
    bool needs_site_scope; /* shows site positions: empty for the public scope */
};

#define TILE_LAYER_MAX_ZOOM 22 /* deepest zoom served (tile_math accepts up to TILE_MAX_ZOOM) */
#define TILE_EXTENT 4096
#define TILE_POINT_BUFFER 64   /* tile units around the tile where points still show */
#define TILE_POLYGON_BUFFER 64

/* Sites kept per tile at most; beyond, the densest are dropped (tiles/render.c), so that
 * no tile of the sites layer exceeds ~500 KB. */
#define TILE_SITES_FEATURE_BUDGET 4000

const struct tile_layer_def *tile_layer_def(enum tile_layer_id id);
/* -1 when the name is not a layer. */
int tile_layer_lookup(const char *name, size_t len);
const char *field_kind_name(enum field_kind kind); /* "String", "Number", "Boolean" */

/* Parses "sites,boundaries" into a bit mask; -1 with a message naming the bad layer. */
int tile_layers_parse(const char *text, size_t len, unsigned *mask, char *err, size_t errlen);

#endif
