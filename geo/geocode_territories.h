/* The communes of the territories tables as geocoder municipalities, so that
 * `type=municipality` finds every commune of France, not only those whose addresses
 * were imported. Private to `rbmap import-ban` (geo/geocode_build.c). */
#ifndef RBMAP_GEO_GEOCODE_TERRITORIES_H
#define RBMAP_GEO_GEOCODE_TERRITORIES_H
#include "geo/geocode_build.h"

#include <stddef.h>

/* Adds a municipality document per row of `cities` (arrondissements included, as
 * addok has them), or completes the one the BAN rows already made: position at the
 * commune's reference point, importance from its population. Returns the number of
 * communes read, or -1 with a message in err. */
long geocode_add_territories(struct builder *b, const char *conninfo, char *err, size_t errlen);

/* Importance in [0,1] of a commune of this population (addok ranks by it): log-scaled,
 * 1 for Paris-sized, 0 when unknown. */
float geocode_population_importance(long population);

#endif
