/* In-memory state of `rbmap import-ban` between reading the BAN files
 * (geo/geocode_build.c) and writing the index (geo/geocode_write.c). Private to those two. */
#ifndef RBMAP_GEO_GEOCODE_BUILD_H
#define RBMAP_GEO_GEOCODE_BUILD_H
#include "geo/geocode_index.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Open-addressing map from a string (interned in the pool) to a uint32 value. */
struct smap {
    uint32_t *keys; /* pool offset + 1; 0 = empty slot */
    uint32_t *vals;
    size_t cap, n;
};

struct pool {
    char *data;
    size_t len, cap;
    struct smap interned;
};

struct builder {
    struct pool pool;
    struct gidx_doc *docs;
    size_t n_docs, cap_docs;
    struct gidx_hn *hns;
    size_t n_hns, cap_hns;
    struct smap streets; /* "citycode\x1fname" -> doc (CSV rows grouped into streets) */
    struct smap cities;  /* citycode -> municipality doc built from CSV rows */
    double *sum;         /* per doc: lon, lat, x, y sums and count, for CSV streets */
    size_t cap_sum;
    size_t bad_lines;
};

uint32_t pool_str(struct pool *p, const char *s); /* interned offset; 0 on out of memory */
uint32_t *smap_get(struct smap *m, const struct pool *p, const char *key);
/* Inserts key (interned) with value v unless present; returns the value slot. */
uint32_t *smap_put(struct smap *m, struct pool *p, const char *key, uint32_t v);
void smap_free(struct smap *m);

struct gidx_doc *builder_add_doc(struct builder *b);
struct gidx_hn *builder_add_hn(struct builder *b);
/* Sorts house numbers by doc, tokenizes, builds the grid and writes path; 0 or -1. */
int builder_write(struct builder *b, const char *path, char *err, size_t errlen);
void builder_free(struct builder *b);

#endif
