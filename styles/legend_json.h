/* The legend of a style as JSON (GET /styles/{name}/legend.json), in French: field
 * types with their colours (from the site snapshot, as the markers use them), water
 * states (the ring), status (closed sites fainter), cluster and bubble sizes, actions
 * and boundary levels. Same tables as the map, so the legend cannot disagree with it. */
#ifndef RBMAP_STYLES_LEGEND_JSON_H
#define RBMAP_STYLES_LEGEND_JSON_H
#include "db/site_store.h"
#include "styles/style.h"

#include <jansson.h>

json_t *style_legend_json(const struct style_def *def, const struct field_type *types, size_t n_types);

#endif
