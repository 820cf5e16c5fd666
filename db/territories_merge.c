/* Staging -> territory tables (see the header). All the geometry work happens here,
 * in PostGIS, so that the C side never has to be trusted with topology. */
#include "db/territories_merge.h"

#include "util/progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct step {
    const char *label;
    const char *sql;   /* or NULL, then: */
    int (*check)(PGconn *conn, struct merge_counts *mc, char *err, size_t errlen);
};

static int report_unmatched(PGconn *conn, struct merge_counts *mc, char *err, size_t errlen);
static int check_departement_points(PGconn *conn, struct merge_counts *mc, char *err, size_t errlen);

static const struct step steps[] = {
    /* MakeValid can turn a polygon into a collection with stray lines, or into nothing:
     * keep the areal part, as the MultiPolygon the columns require, or NULL. */
    {"helpers",
     "CREATE FUNCTION pg_temp.rbmap_area(g geometry) RETURNS geometry LANGUAGE sql IMMUTABLE AS $$"
     " SELECT CASE WHEN e IS NULL OR ST_IsEmpty(e) THEN NULL ELSE e END"
     " FROM (SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(g), 3)) AS e) s $$", NULL},
    /* Temporary tables are never analysed automatically; without statistics the
     * planner guesses nested loops over 35,000 rows. */
    {"index staging",
     "CREATE INDEX ON stage_poly (level, code);"
     "CREATE INDEX ON stage_city (code); CREATE INDEX ON stage_city (dep);"
     "ANALYZE stage_region; ANALYZE stage_dep; ANALYZE stage_city; ANALYZE stage_code_map;"
     "ANALYZE stage_epci; ANALYZE stage_epci_member; ANALYZE stage_poly", NULL},
    /* One 2026 commune per code found in the boundary files: the code itself if it is
     * still a commune, else its chef-lieu (déléguée/associée), else the commune that
     * lists it in anciensCodes. */
    {"map old codes",
     "CREATE TEMP TABLE stage_best_map ON COMMIT DROP AS"
     " SELECT DISTINCT ON (old_code) old_code, new_code FROM stage_code_map"
     " WHERE new_code IN (SELECT code FROM stage_city)"
     " ORDER BY old_code, prio, new_code;"
     "ANALYZE stage_best_map", NULL},
    /* Most communes have exactly one polygon: skip the union for them. */
    {"commune polygons",
     "CREATE TEMP TABLE stage_city_geom ON COMMIT DROP AS"
     " SELECT code, geom, ST_PointOnSurface(geom) AS pt FROM ("
     "  SELECT code, CASE WHEN count(*) = 1 THEN (array_agg(geom))[1]"
     "   ELSE pg_temp.rbmap_area(ST_Union(array_agg(geom))) END AS geom"
     "  FROM (SELECT m.new_code AS code, pg_temp.rbmap_area(p.geom) AS geom"
     "        FROM stage_poly p JOIN stage_best_map m ON m.old_code = p.code"
     "        WHERE p.level = 'commune') parts"
     "  WHERE geom IS NOT NULL GROUP BY code) s"
     " WHERE geom IS NOT NULL;"
     "CREATE INDEX ON stage_city_geom (code); ANALYZE stage_city_geom", NULL},
    {"commune EPCI",
     "CREATE TEMP TABLE stage_city_epci ON COMMIT DROP AS"
     " SELECT DISTINCT ON (city) city, epci FROM stage_epci_member"
     " WHERE epci IN (SELECT code FROM stage_epci) ORDER BY city, epci;"
     "ANALYZE stage_city_epci", NULL},
    {"EPCI polygons",
     "CREATE TEMP TABLE stage_epci_geom ON COMMIT DROP AS"
     " SELECT code, geom, ST_PointOnSurface(geom) AS pt FROM ("
     "  SELECT e.epci AS code, pg_temp.rbmap_area(ST_Union(g.geom)) AS geom"
     "  FROM stage_city_epci e JOIN stage_city_geom g ON g.code = e.city GROUP BY e.epci) s", NULL},
    /* A département missing from the département file still gets a polygon (and so the
     * NOT NULL reference point) from its communes. */
    {"département polygons",
     "CREATE TEMP TABLE stage_dep_geom ON COMMIT DROP AS"
     " SELECT code, geom, ST_PointOnSurface(geom) AS pt FROM ("
     "  SELECT d.code, COALESCE("
     "   (SELECT pg_temp.rbmap_area(ST_Union(pg_temp.rbmap_area(p.geom))) FROM stage_poly p"
     "    WHERE p.level = 'departement' AND p.code = d.code),"
     "   (SELECT pg_temp.rbmap_area(ST_Union(g.geom)) FROM stage_city c"
     "    JOIN stage_city_geom g ON g.code = c.code WHERE c.dep = d.code AND c.main IS NULL)) AS geom"
     "  FROM (SELECT DISTINCT code FROM stage_dep) d) s", NULL},
    {"région polygons",
     "CREATE TEMP TABLE stage_region_geom ON COMMIT DROP AS"
     " SELECT code, geom, ST_PointOnSurface(geom) AS pt FROM ("
     "  SELECT r.code, COALESCE("
     "   (SELECT pg_temp.rbmap_area(ST_Union(pg_temp.rbmap_area(p.geom))) FROM stage_poly p"
     "    WHERE p.level = 'region' AND p.code = r.code),"
     "   (SELECT pg_temp.rbmap_area(ST_Union(g.geom)) FROM stage_dep d"
     "    JOIN stage_dep_geom g ON g.code = d.code WHERE d.region = r.code)) AS geom"
     "  FROM (SELECT DISTINCT code FROM stage_region) r) s", NULL},
    {"check polygons", NULL, report_unmatched},
    {"check départements", NULL, check_departement_points},
    {"upsert régions",
     "INSERT INTO regions (code, name, latitude, longitude, fk_city, geom)"
     " SELECT r.code, left(r.name, 255), ST_Y(g.pt), ST_X(g.pt), r.chef, g.geom"
     " FROM (SELECT DISTINCT ON (code) * FROM stage_region ORDER BY code) r"
     " JOIN stage_region_geom g ON g.code = r.code"
     " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, latitude = EXCLUDED.latitude,"
     "  longitude = EXCLUDED.longitude, fk_city = EXCLUDED.fk_city, geom = EXCLUDED.geom"
     " WHERE (regions.name, regions.latitude, regions.longitude, regions.fk_city, regions.geom)"
     "  IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.latitude, EXCLUDED.longitude, EXCLUDED.fk_city, EXCLUDED.geom)", NULL},
    {"upsert départements",
     "INSERT INTO departements (code, name, latitude, longitude, fk_region, fk_city, geom)"
     " SELECT d.code, left(d.name, 255), ST_Y(g.pt), ST_X(g.pt), d.region, d.chef, g.geom"
     " FROM (SELECT DISTINCT ON (code) * FROM stage_dep ORDER BY code) d"
     " JOIN stage_dep_geom g ON g.code = d.code"
     " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, latitude = EXCLUDED.latitude,"
     "  longitude = EXCLUDED.longitude, fk_region = EXCLUDED.fk_region, fk_city = EXCLUDED.fk_city,"
     "  geom = EXCLUDED.geom"
     " WHERE (departements.name, departements.latitude, departements.longitude, departements.fk_region,"
     "  departements.fk_city, departements.geom) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.latitude,"
     "  EXCLUDED.longitude, EXCLUDED.fk_region, EXCLUDED.fk_city, EXCLUDED.geom)", NULL},
    {"upsert EPCI",
     "INSERT INTO epci (code, name, geom)"
     " SELECT e.code, left(e.name, 255), g.geom"
     " FROM (SELECT DISTINCT ON (code) * FROM stage_epci ORDER BY code) e"
     " LEFT JOIN stage_epci_geom g ON g.code = e.code"
     " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom"
     " WHERE (epci.name, epci.geom) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.geom)", NULL},
    /* Upserts leave identical rows alone, so a re-run writes (and bloats) nothing.
     * Reference point: the commune's own polygon; for an arrondissement without one,
     * its commune's; for a commune created after 2018, its EPCI's (the commune it was
     * carved out of is in it), else its département's. Arrondissements are not EPCI
     * members themselves: they belong to their commune's. */
    {"upsert communes",
     "INSERT INTO cities (code, name, fk_epci, fk_departement, fk_main, latitude, longitude, population, geom)"
     " SELECT c.code, left(c.name, 255), COALESCE(me.epci, mm.epci), c.dep,"
     "  CASE WHEN EXISTS (SELECT 1 FROM stage_city x WHERE x.code = c.main AND x.main IS NULL)"
     "   THEN NULLIF(c.main, c.code) END,"
     "  ST_Y(pt.pt), ST_X(pt.pt), c.population, g.geom"
     " FROM (SELECT DISTINCT ON (code) * FROM stage_city ORDER BY code, main NULLS FIRST) c"
     " JOIN stage_dep_geom dg ON dg.code = c.dep"
     " LEFT JOIN stage_city_geom g ON g.code = c.code"
     " LEFT JOIN stage_city_geom mg ON mg.code = c.main"
     " LEFT JOIN stage_city_epci me ON me.city = c.code"
     " LEFT JOIN stage_city_epci mm ON mm.city = c.main"
     " LEFT JOIN stage_epci_geom eg ON eg.code = COALESCE(me.epci, mm.epci)"
     " CROSS JOIN LATERAL (SELECT COALESCE(g.pt, mg.pt, eg.pt, dg.pt) AS pt) pt"
     " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, fk_epci = EXCLUDED.fk_epci,"
     "  fk_departement = EXCLUDED.fk_departement, fk_main = EXCLUDED.fk_main,"
     "  latitude = EXCLUDED.latitude, longitude = EXCLUDED.longitude,"
     "  population = EXCLUDED.population, geom = EXCLUDED.geom"
     " WHERE (cities.name, cities.fk_epci, cities.fk_departement, cities.fk_main, cities.latitude,"
     "  cities.longitude, cities.population, cities.geom) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.fk_epci,"
     "  EXCLUDED.fk_departement, EXCLUDED.fk_main, EXCLUDED.latitude, EXCLUDED.longitude,"
     "  EXCLUDED.population, EXCLUDED.geom)", NULL},
    /* Derived from the members, so an EPCI spanning départements gets one row each;
     * rows of an EPCI whose membership changed are replaced, not accumulated. */
    {"EPCI départements",
     "DELETE FROM epci_to_departement WHERE fk_epci IN (SELECT code FROM stage_epci);"
     "INSERT INTO epci_to_departement (fk_epci, fk_departement)"
     " SELECT DISTINCT e.epci, c.dep FROM stage_city_epci e JOIN stage_city c ON c.code = e.city"
     " ON CONFLICT DO NOTHING", NULL},
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs a query returning one row and copies its columns into out[] as longs, or as
 * text into `text` for the last column when text != NULL. */
static int query_row(PGconn *conn, const char *sql, long *out, int nlong, char *text, size_t textlen,
                     char *err, size_t errlen)
{
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < nlong; i++)
        out[i] = strtol(PQgetvalue(res, 0, i), NULL, 10);
    if (text)
        snprintf(text, textlen, "%s", PQgetvalue(res, 0, nlong));
    PQclear(res);
    return 0;
}

/* Problems worth a line on stderr but not a failed import. */
static int report_unmatched(PGconn *conn, struct merge_counts *mc, char *err, size_t errlen)
{
    long n;
    char sample[512];
    if (query_row(conn,
                  "SELECT count(*), coalesce(array_to_string((array_agg(level || ' ' || code || coalesce(' ' || name, '') ORDER BY level, code))[1:10], ', '), '')"
                  " FROM stage_poly p WHERE CASE level"
                  "  WHEN 'commune' THEN NOT EXISTS (SELECT 1 FROM stage_best_map m WHERE m.old_code = p.code)"
                  "  WHEN 'departement' THEN NOT EXISTS (SELECT 1 FROM stage_dep d WHERE d.code = p.code)"
                  "  ELSE NOT EXISTS (SELECT 1 FROM stage_region r WHERE r.code = p.code) END",
                  &n, 1, sample, sizeof sample, err, errlen) < 0)
        return -1;
    mc->unmatched_polygons = n;
    if (n)
        fprintf(stderr, "import-territories: warning: %ld boundary feature(s) match no imported territory "
                "and were ignored (%s%s)\n", n, sample, n > 10 ? ", ..." : "");
    return 0;
}

/* departements.latitude/longitude are NOT NULL: name the culprits instead of letting
 * the constraint speak. */
static int check_departement_points(PGconn *conn, struct merge_counts *mc, char *err, size_t errlen)
{
    (void)mc;
    long n;
    char list[512];
    if (query_row(conn, "SELECT count(*), coalesce(string_agg(code, ' ' ORDER BY code), '')"
                        " FROM stage_dep_geom WHERE pt IS NULL",
                  &n, 1, list, sizeof list, err, errlen) < 0)
        return -1;
    if (n) {
        snprintf(err, errlen, "%ld département(s) have no boundary polygon, neither in the département "
                 "boundaries nor from their communes, so no reference point: %s", n, list);
        return -1;
    }
    return 0;
}

int territories_merge(PGconn *conn, int verbose, struct merge_counts *mc, char *err, size_t errlen)
{
    memset(mc, 0, sizeof *mc);
    size_t nsteps = sizeof steps / sizeof steps[0];
    struct progress p;
    progress_start(&p, "merging territories", nsteps);
    int rc = 0;
    for (size_t i = 0; i < nsteps && rc == 0; i++) {
        double t0 = now_seconds();
        if (!steps[i].sql) {
            rc = steps[i].check(conn, mc, err, errlen);
        } else {
            PGresult *res = PQexec(conn, steps[i].sql);
            ExecStatusType st = PQresultStatus(res);
            if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
                snprintf(err, errlen, "%s: %s", steps[i].label, PQresultErrorMessage(res));
                rc = -1;
            }
            PQclear(res);
        }
        progress_add(&p, 1);
        if (verbose && rc == 0)
            fprintf(stderr, "%s  %-22s %6.2fs\n", p.tty ? "\n" : "", steps[i].label, now_seconds() - t0);
    }
    progress_finish(&p);
    if (rc < 0)
        return -1;
    long v[10];
    if (query_row(conn,
                  "SELECT (SELECT count(*) FROM stage_region_geom),"
                  " (SELECT count(geom) FROM stage_region_geom),"
                  " (SELECT count(*) FROM stage_dep_geom), (SELECT count(geom) FROM stage_dep_geom),"
                  " (SELECT count(DISTINCT code) FROM stage_epci), (SELECT count(geom) FROM stage_epci_geom),"
                  " (SELECT count(*) FROM epci_to_departement WHERE fk_epci IN (SELECT code FROM stage_epci)),"
                  " (SELECT count(DISTINCT code) FROM stage_city),"
                  " (SELECT count(*) FROM stage_city_geom),"
                  " (SELECT count(DISTINCT code) FROM stage_city WHERE main IS NOT NULL)",
                  v, 10, NULL, 0, err, errlen) < 0)
        return -1;
    mc->regions = v[0];
    mc->regions_geom = v[1];
    mc->departements = v[2];
    mc->departements_geom = v[3];
    mc->epci = v[4];
    mc->epci_geom = v[5];
    mc->epci_links = v[6];
    mc->cities = v[7];
    mc->cities_geom = v[8];
    mc->arrondissements = v[9];
    return 0;
}
