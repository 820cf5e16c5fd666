/* Search and reverse over a mapped index (geo/geocode_index.h), addok's way:
 * query -> text pipeline (geo/geocode_text.h) -> candidate documents that share at
 * least 2/3 of the query's words (exact phonetic key; else one-edit typos; the last word
 * also by prefix when autocompleting) -> filters -> house number matched against the
 * street's numbers -> score in [0,1] = (label trigram similarity + 0.1 importance
 * [+ 0.1 geo bias]) / ceiling. Thread-safe: all state is on the caller's stack/heap. */
#ifndef RBMAP_GEO_GEOCODE_SEARCH_H
#define RBMAP_GEO_GEOCODE_SEARCH_H
#include "geo/geocode_index.h"

#include <stdbool.h>
#include <stdint.h>

#define GSEARCH_MAX_FILTER 8

struct gsearch_params {
    const char *q;
    int limit;
    bool autocomplete;
    unsigned type_mask; /* 1 << enum gidx_type; 0 = any */
    const char *postcode[GSEARCH_MAX_FILTER], *citycode[GSEARCH_MAX_FILTER];
    int n_postcode, n_citycode;
    bool has_point;
    double lon, lat;
};

struct gresult {
    uint32_t doc;
    int64_t hn;       /* index in ix->hns, or -1 */
    double score;
    double distance;  /* metres, reverse only */
};

/* Up to p->limit results, best first; returns the count, -1 when out of memory. */
int gsearch(const struct gidx *ix, const struct gsearch_params *p, struct gresult *out);
/* Nearest points to (lon, lat): house numbers and streets by default, or type_mask's. */
int greverse(const struct gidx *ix, double lon, double lat, unsigned type_mask, int limit, struct gresult *out);
double gdistance_m(double lon1, double lat1, double lon2, double lat2);

#endif
