/* Which territory contains which, loaded once from the database (régions,
 * départements, EPCI via epci_to_departement and cities.fk_epci, communes with their
 * département and fk_main), so that credentials can be checked and widened without a
 * query per request. Immutable after loading: lookups need no lock and are binary
 * searches over sorted arrays (about 35 000 communes, under 1 MB). A territories
 * import needs a restart to be seen (as the boundaries layer does). */
#ifndef RBMAP_DB_TERRITORY_INDEX_H
#define RBMAP_DB_TERRITORY_INDEX_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

struct territory_index;

/* NULL with the reason in err (database error, or no départements at all: an index
 * that knows no territory would refuse every credential). */
struct territory_index *territory_index_load(PGconn *conn, char *err, size_t errlen);
void territory_index_free(struct territory_index *ti);

bool territory_index_has_region(const struct territory_index *ti, const char *code);
/* The région of a département; NULL when the département is unknown. */
const char *territory_index_departement_region(const struct territory_index *ti, const char *code);
/* The département of a commune (arrondissements included); NULL when unknown. main,
 * if not NULL, gets the commune an arrondissement belongs to, or "" for a commune. */
const char *territory_index_city_departement(const struct territory_index *ti, const char *code,
                                             const char **main);
/* The départements an EPCI spans, into out (at most max); returns how many it spans
 * (0 when the EPCI is unknown or has no commune and no département link). */
size_t territory_index_epci_departements(const struct territory_index *ti, const char *code, const char **out,
                                         size_t max);

struct territory_index_counts {
    size_t regions, departements, epci_links, cities;
};
void territory_index_get_counts(const struct territory_index *ti, struct territory_index_counts *out);

#endif
