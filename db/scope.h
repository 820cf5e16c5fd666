/* The caller's scope: what part of the data a request may see. Every data path takes
 * one. It lives in db/ because filtering by territory is a data concern; the server
 * fills it from credentials (tokens and API keys come with the access-control issue). */
#ifndef RBMAP_DB_SCOPE_H
#define RBMAP_DB_SCOPE_H
#include <stdbool.h>
#include <stddef.h>

enum territory_level { TERRITORY_REGION, TERRITORY_DEPARTEMENT, TERRITORY_EPCI, TERRITORY_CITY };

struct territory_ref {
    enum territory_level level;
    char code[10]; /* INSEE code: 2-3 chars region/département, 9 EPCI SIREN, 5 commune */
};

enum scope_kind {
    SCOPE_PUBLIC,      /* no credential: aggregates and boundaries only */
    SCOPE_TERRITORIAL, /* a list of areas */
    SCOPE_NATIONAL,    /* everything */
};

enum {
    SCOPE_FLAG_JUSTICE = 1u << 0,
    SCOPE_FLAG_OWNERS = 1u << 1,
    SCOPE_FLAG_FINANCES = 1u << 2,
};

#define SCOPE_MAX_AREAS 32

struct scope {
    enum scope_kind kind;
    unsigned flags;
    size_t n_areas;
    struct territory_ref areas[SCOPE_MAX_AREAS];
    char subject[64]; /* who: user id or API key id, for logs; "" when public */
};

void scope_public(struct scope *s);
void scope_national(struct scope *s, unsigned flags);

const char *territory_level_name(enum territory_level level);

/* Parses "region:11,departement:93,epci:200054781,city:75056" into refs. Returns the
 * number parsed, or -1 with a message naming the bad item in err. Codes are checked
 * for shape (characters and length), not for existence. */
int territory_ref_parse_list(const char *text, struct territory_ref *out, size_t max,
                             char *err, size_t errlen);

/* A stable text form of a scope, for cache keys and logs ("public", "national+justice",
 * "departement:93,city:75056+owners"). */
void scope_describe(const struct scope *s, char *out, size_t outlen);

#endif
