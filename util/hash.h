/* Non-cryptographic content hashes (ETags, cache keys). */
#ifndef RBMAP_UTIL_HASH_H
#define RBMAP_UTIL_HASH_H
#include <stddef.h>
#include <stdint.h>

uint64_t hash_fnv1a64(const void *data, size_t len);
/* A strong ETag for content: "\"<16 hex digits>-<length><suffix>\"" into out (>= 48 bytes). */
void etag_for(const void *data, size_t len, const char *suffix, char *out, size_t outlen);

#endif
