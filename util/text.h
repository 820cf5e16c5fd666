/* Small text helpers for values that come from clients. */
#ifndef RBMAP_UTIL_TEXT_H
#define RBMAP_UTIL_TEXT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is valid UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);
/* A JSON string of s with every byte that is not valid UTF-8 replaced by '?', so that
 * client text can always be logged or echoed. Never returns NULL for non-NULL s
 * (barring out-of-memory). */
json_t *json_string_lossy(const char *s);

#endif
