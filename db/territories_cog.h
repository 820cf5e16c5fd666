/* Reads the INSEE COG lists (regions.json, departements.json, communes.json[.gz],
 * epci.json[.gz], as packaged by @etalab/decoupage-administratif) and streams them
 * into the staging tables of db/territories_stage.h. Malformed files give an error
 * naming the file and the entry; nothing is written to the real tables here. */
#ifndef RBMAP_DB_TERRITORIES_COG_H
#define RBMAP_DB_TERRITORIES_COG_H
#include <libpq-fe.h>
#include <stddef.h>

struct cog_counts {
    unsigned long regions, departements, communes, arrondissements, epci, epci_members;
    unsigned long code_links;   /* déléguée/associée/ancien code -> commune links */
    /* Collectivités d'outre-mer left out (their 3-character "région" codes do not fit
     * regions.code varchar(2); see territories_cog.c). */
    unsigned long skipped_regions, skipped_departements, skipped_communes;
};

/* Stages every territory of the COG found in cog_dir. */
int cog_stage(PGconn *conn, const char *cog_dir, struct cog_counts *counts, char *err, size_t errlen);

#endif
