/* OGC API Features Part 3 (filter, CQL2 text) wiring; see ogc/ogc_filter.h. */
#include "ogc/ogc_meta.h"

bool ogc_filter_enabled(void) { return false; }
