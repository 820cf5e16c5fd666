#include "util/hash.h"

#include <stdio.h>

uint64_t hash_fnv1a64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

void etag_for(const void *data, size_t len, const char *suffix, char *out, size_t outlen)
{
    snprintf(out, outlen, "\"%016llx-%zx%s\"", (unsigned long long)hash_fnv1a64(data, len), len, suffix ? suffix : "");
}
