/* The `datetime` parameter of OGC API Features: an RFC 3339 date ("2024-05-01") or
 * date-time ("2024-05-01T12:00:00Z", "...+02:00"), or an interval start/end where an
 * end may be ".." or empty (open), or start/duration (ISO 8601 "P2D", "P1M", "PT6H":
 * calendar years and months, whole days, a time part rounding up to the next day).
 * rbmap's dates are days, so every instant is kept as its UTC day and intervals are
 * inclusive days. */
#ifndef RBMAP_OGC_DATETIME_H
#define RBMAP_OGC_DATETIME_H
#include "ogc/ogc_query.h"

#include <stdbool.h>
#include <stdint.h>

/* Sets *given, *instant and the inclusive day range (INT32_MIN / INT32_MAX for open
 * ends); -1 on any malformed value, an interval open at both ends or ending before it
 * starts. */
int ogc_datetime_parse(const char *text, bool *given, bool *instant, int32_t *start, int32_t *end);

#endif
