/* The filters every list-like endpoint takes (DESIGN.md): status, territory,
 * field_type, date; and the scope check. Parsing names the bad parameter; matching is
 * a pure function of a site, so every layer (tiles, clusters, aggregates, GeoJSON, WMS)
 * filters the same way. */
#ifndef RBMAP_DB_SITE_FILTER_H
#define RBMAP_DB_SITE_FILTER_H
#include "db/scope.h"
#include "db/site_store.h"

#include <stdbool.h>
#include <stddef.h>

#define SITE_FILTER_MAX_TERRITORIES 32
#define SITE_FILTER_MAX_FIELD_TYPES 16

struct site_filter {
    /* status: a site matches when its status (as of `day`) is in status_mask, or when
     * want_resorbed and it is closed with solutions. No status given = every status. */
    bool has_status;
    unsigned status_mask; /* bit per enum site_status */
    bool want_resorbed;
    size_t n_territories;
    struct territory_ref territories[SITE_FILTER_MAX_TERRITORIES];
    size_t n_field_types;
    int32_t field_type_ids[SITE_FILTER_MAX_FIELD_TYPES];
    char field_type_labels[SITE_FILTER_MAX_FIELD_TYPES][64]; /* "" when given as an id */
    int32_t day; /* DAY_NONE: today, i.e. the current data */
};

void site_filter_init(struct site_filter *f);

/* Each parser takes the raw parameter value (NULL = absent) and on error writes a
 * message naming the parameter into err and returns -1. */
int site_filter_parse_status(struct site_filter *f, const char *value, char *err, size_t errlen);
int site_filter_parse_territory(struct site_filter *f, const char *value, char *err, size_t errlen);
int site_filter_parse_field_type(struct site_filter *f, const char *value, char *err, size_t errlen);
int site_filter_parse_date(struct site_filter *f, const char *value, char *err, size_t errlen);

/* Turns field type labels into ids with the snapshot's field types (case-insensitive);
 * -1 with a message naming an unknown label. */
int site_filter_resolve(struct site_filter *f, const struct site_snapshot *snap, char *err, size_t errlen);

/* Status of the site as it stood on `day` (DAY_NONE = now), or -1 if it did not exist
 * yet: declared (or built) after that day. */
int site_status_on(const struct site *s, int32_t day);
bool site_filter_match(const struct site_filter *f, const struct site *s);
bool site_in_territory(const struct site *s, const struct territory_ref *t);

/* May this scope see this site's position and details? Public sees no site. */
bool scope_allows_site(const struct scope *scope, const struct site *s);

/* A canonical text of the filter for cache keys ("s=3;t=departement:93;f=1,2;d=19000"). */
void site_filter_key(const struct site_filter *f, char *out, size_t outlen);

#endif
