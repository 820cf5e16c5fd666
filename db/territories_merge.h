/* The set-based half of `rbmap import-territories`: turns the staging tables into
 * rows of regions, departements, epci, epci_to_departement and cities. It maps 2018
 * polygons onto 2026 communes, unions them, fixes invalid geometries, derives EPCI
 * polygons and every reference point, then upserts (ON CONFLICT (code) DO UPDATE) so
 * that running it again changes nothing. Runs inside the caller's transaction. */
#ifndef RBMAP_DB_TERRITORIES_MERGE_H
#define RBMAP_DB_TERRITORIES_MERGE_H
#include <libpq-fe.h>
#include <stddef.h>

struct merge_counts {
    long regions, regions_geom;
    long departements, departements_geom;
    long epci, epci_geom, epci_links;
    long cities, cities_geom, arrondissements;
    long unmatched_polygons;   /* boundary features whose code no imported territory takes */
};

int territories_merge(PGconn *conn, int verbose, struct merge_counts *mc, char *err, size_t errlen);

#endif
