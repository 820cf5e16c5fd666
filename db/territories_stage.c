/* Staging tables of `rbmap import-territories` (see the header). */
#include "db/territories_stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Raw rows as read from the files: no constraints, so that every check and
 * reconciliation happens in one place (the merge) with set-based SQL. */
static const char *const stage_ddl =
    "CREATE TEMP TABLE stage_region (code text, name text, chef text) ON COMMIT DROP;"
    "CREATE TEMP TABLE stage_dep (code text, name text, region text, chef text) ON COMMIT DROP;"
    /* main: the commune of a municipal arrondissement, NULL for a commune. */
    "CREATE TEMP TABLE stage_city (code text, name text, dep text, main text, population integer)"
    " ON COMMIT DROP;"
    /* Which 2026 commune a (possibly older) code's polygon belongs to; lower prio wins
     * when an old code has several candidates. */
    "CREATE TEMP TABLE stage_code_map (old_code text, new_code text, prio integer) ON COMMIT DROP;"
    "CREATE TEMP TABLE stage_epci (code text, name text) ON COMMIT DROP;"
    "CREATE TEMP TABLE stage_epci_member (epci text, city text) ON COMMIT DROP;"
    /* level: 'region', 'departement' or 'commune'; geom in EPSG:4326, possibly invalid. */
    "CREATE TEMP TABLE stage_poly (level text, code text, name text, geom geometry) ON COMMIT DROP;";

int stage_create_tables(PGconn *conn, char *err, size_t errlen)
{
    PGresult *res = PQexec(conn, stage_ddl);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        snprintf(err, errlen, "creating staging tables: %s", PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}
