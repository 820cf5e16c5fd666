/* api-adresse's `context` ("54, Meurthe-et-Moselle, Grand Est") from the INSEE COG
 * (Code officiel géographique) département and région lists, applied at import time so
 * the index (and the server) need no lookup: contexts stay plain strings in the index. */
#ifndef RBMAP_GEO_GEOCODE_COG_H
#define RBMAP_GEO_GEOCODE_COG_H
#include "geo/geocode_build.h"

#include <stdbool.h>

/* The --cog default: $RBMAP_DATA/cog, else ../shared/data/cog. */
const char *cog_default_dir(char *buf, size_t len);
/* Rewrites every doc whose context is a bare département code ("54", "2A", "971") with
 * dir/departements.json and dir/regions.json. When the files cannot be read: -1 if
 * required (an explicit --cog), else a warning and the bare codes are kept (0). */
int cog_apply_contexts(struct builder *b, const char *dir, bool required);

#endif
