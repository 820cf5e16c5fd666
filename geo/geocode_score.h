/* The score of one search result (geo/geocode_search.h), addok's formula: in [0,1],
 * (0.6 label likeness + 0.4 share of the query's words matched + 0.1 importance
 * [+ 0.1 closeness to the lat/lon bias]) / ceiling. Label likeness is python-ngram's
 * trigram similarity between the normalised query and the best of four label variants
 * (with/without postcode and commune). gscore_bound gives, without touching the label,
 * a value no score of that document can exceed, so that a search can stop scoring once
 * the bound falls below its current top-k. Thread-safe: state lives in the caller's
 * struct gscore_query. */
#ifndef RBMAP_GEO_GEOCODE_SCORE_H
#define RBMAP_GEO_GEOCODE_SCORE_H
#include "geo/geocode_index.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GSCORE_MAX_GRAMS 300
#define GSCORE_SLOTS 1024 /* open-addressing table of the query's trigrams (> 3 x max) */

struct gscore_query {
    char norm[1024];                  /* the normalised query: folded words, one space */
    size_t norm_len;
    uint32_t gram_key[GSCORE_SLOTS];   /* its trigrams (0 = empty slot) with their counts */
    uint16_t gram_count[GSCORE_SLOTS];
    size_t n_grams;
    bool autocomplete, has_point;
    double lon, lat;
};

/* norm: the query's words already normalised and joined by single spaces. */
void gscore_query_init(struct gscore_query *sq, const char *norm, bool autocomplete, bool has_point, double lon,
                       double lat);
/* coverage: share of the query's words the document matched, in [0,1]; hn: index in
 * ix->hns of the matched house number, or -1. */
double gscore_doc(const struct gidx *ix, const struct gscore_query *sq, const struct gidx_doc *d, int64_t hn,
                  double coverage);
/* Upper bound of gscore_doc for d at any coverage <= coverage (label likeness taken as 1). */
double gscore_bound(const struct gscore_query *sq, const struct gidx_doc *d, double coverage);

#endif
