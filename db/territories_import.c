/* `rbmap import-territories`: the command line, the connection and the transaction.
 * The work is split in three: territories_cog.c stages the COG lists,
 * territories_boundaries.c stages the polygons, territories_merge.c turns both into
 * table rows. Everything happens in one transaction, so a failed import leaves the
 * previous territories untouched, and a second run converges to the same rows. */
#include "db/territories_import.h"

#include "db/connect.h"
#include "db/territories_boundaries.h"
#include "db/territories_cog.h"
#include "db/territories_merge.h"
#include "db/territories_stage.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Any fixed number: two imports into the same database take turns. */
#define IMPORT_LOCK_KEY "1919052145"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rbmap import-territories [--db CONNINFO] [--data DIR] [--cog DIR]\n"
            "                                [--boundaries DIR|FILE]... [--regions-boundaries FILE]...\n"
            "                                [--departements-boundaries FILE]... [--communes-boundaries FILE]...\n"
            "Loads régions, départements, EPCI and communes (INSEE COG) with their boundary\n"
            "polygons into the territory tables. Safe to run again: rows are updated in place.\n"
            "\n"
            "  --db CONNINFO     database (default: $RBMAP_DB)\n"
            "  --data DIR        shared data folder (default: $RBMAP_DATA, else ../shared/data)\n"
            "  --cog DIR         COG lists regions.json, departements.json, communes.json[.gz],\n"
            "                    epci.json[.gz] (default: DATA/cog)\n"
            "  --boundaries P    a folder of boundary files (regions.geojson, departements.geojson,\n"
            "                    communes.geojson[.gz], or Admin Express REGION.shp, DEPARTEMENT.shp,\n"
            "                    COMMUNE.shp, ARRONDISSEMENT_MUNICIPAL.shp), or one such file;\n"
            "                    repeatable (default: DATA/territories)\n"
            "  --regions-boundaries FILE, --departements-boundaries FILE, --communes-boundaries FILE\n"
            "                    any vector file GDAL reads (.gz and .zip too), for that level only;\n"
            "                    repeatable; replaces that level of --boundaries. The code field is\n"
            "                    found as code/INSEE_REG/INSEE_DEP/INSEE_COM/INSEE_ARM, the CRS is\n"
            "                    taken from the file (e.g. Lambert-93) and reprojected to EPSG:4326\n"
            "  -v, --verbose     time each database step\n"
            "\n"
            "Communes without a polygon (created after the boundaries' vintage) are imported with\n"
            "no geometry. Collectivités d'outre-mer (975-989) are left out: the platform's\n"
            "regions.code has room for the 18 régions only.\n");
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

struct options {
    const char *db, *data, *cog;
    const char *boundaries[BOUNDARY_MAX_FILES];
    int n_boundaries;
    int verbose;
};

enum { OPT_REGIONS = 256, OPT_DEPARTEMENTS, OPT_COMMUNES, OPT_COG };

/* Returns -1 to exit with status 2 (usage), -2 to exit 1 (a named file is missing),
 * 1 to exit 0 (help), 0 to go on. */
static int parse_options(int argc, char **argv, struct options *o, struct boundary_sources *explicit_src)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"data", required_argument, NULL, 'D'},
        {"cog", required_argument, NULL, OPT_COG},
        {"boundaries", required_argument, NULL, 'b'},
        {"regions-boundaries", required_argument, NULL, OPT_REGIONS},
        {"departements-boundaries", required_argument, NULL, OPT_DEPARTEMENTS},
        {"communes-boundaries", required_argument, NULL, OPT_COMMUNES},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    char err[1024];
    int c;
    while ((c = getopt_long(argc, argv, "d:D:b:vh", options, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'D': o->data = optarg; break;
        case OPT_COG: o->cog = optarg; break;
        case 'v': o->verbose = 1; break;
        case 'b':
            if (o->n_boundaries == BOUNDARY_MAX_FILES) {
                fprintf(stderr, "rbmap import-territories: too many --boundaries (at most %d)\n", BOUNDARY_MAX_FILES);
                return -1;
            }
            o->boundaries[o->n_boundaries++] = optarg;
            break;
        case OPT_REGIONS:
        case OPT_DEPARTEMENTS:
        case OPT_COMMUNES: {
            enum terr_level level = c == OPT_REGIONS ? LEVEL_REGION
                                  : c == OPT_DEPARTEMENTS ? LEVEL_DEPARTEMENT : LEVEL_COMMUNE;
            if (boundaries_add_file(explicit_src, level, optarg, err, sizeof err) < 0) {
                fprintf(stderr, "rbmap import-territories: %s\n", err);
                return -2;
            }
            break;
        }
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "rbmap import-territories: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    return 0;
}

/* Resolves the folders and the boundary files before connecting, so that a typo in a
 * path is reported as such, not as a half-done import. */
static int resolve_sources(struct options *o, const struct boundary_sources *explicit_src,
                           struct boundary_sources *src, char *cog_dir, size_t cog_len, char *err, size_t errlen)
{
    int all_explicit = explicit_src->n[0] && explicit_src->n[1] && explicit_src->n[2];
    int need_data = !o->cog || (!o->n_boundaries && !all_explicit);
    if (!o->data) {
        const char *env = getenv("RBMAP_DATA");
        o->data = env && *env ? env : "../shared/data";
    }
    if (need_data && !is_dir(o->data)) {
        snprintf(err, errlen, "data directory not found: %s (use --data DIR or set RBMAP_DATA)", o->data);
        return -1;
    }
    if (o->cog)
        snprintf(cog_dir, cog_len, "%s", o->cog);
    else
        snprintf(cog_dir, cog_len, "%s/cog", o->data);
    if (!is_dir(cog_dir)) {
        snprintf(err, errlen, "COG directory not found: %s", cog_dir);
        return -1;
    }
    for (int l = 0; l < LEVEL_COUNT; l++)
        for (int i = 0; i < explicit_src->n[l]; i++)
            if (boundaries_add_file(src, (enum terr_level)l, explicit_src->files[l][i], err, errlen) < 0)
                return -1;
    char territories[4096];
    snprintf(territories, sizeof territories, "%s/territories", o->data);
    if (!o->n_boundaries && !all_explicit)
        return boundaries_add_path(src, explicit_src, territories, err, errlen);
    for (int i = 0; i < o->n_boundaries; i++)
        if (boundaries_add_path(src, explicit_src, o->boundaries[i], err, errlen) < 0)
            return -1;
    return 0;
}

static int run_import(PGconn *conn, const char *cog_dir, const struct boundary_sources *src, int verbose,
                      char *err, size_t errlen)
{
    /* temp_buffers must be set before the first temporary table of the session; the
     * staged polygons (~50 MB) then stay in memory. JIT compiles the big geometry
     * queries for seconds and gains nothing on them. */
    if (db_exec(conn, "SET client_min_messages = warning; SET temp_buffers = '256MB';"
                      " SET work_mem = '128MB'; SET jit = off", err, errlen) < 0 ||
        db_exec(conn, "BEGIN", err, errlen) < 0 ||
        db_exec(conn, "SELECT pg_advisory_xact_lock(" IMPORT_LOCK_KEY ")", err, errlen) < 0)
        return -1;
    PGresult *res = PQexec(conn, "SELECT 1 FROM information_schema.columns"
                                 " WHERE table_schema = current_schema() AND table_name = 'cities' AND column_name = 'geom'");
    int has_schema = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    PQclear(res);
    if (!has_schema) {
        snprintf(err, errlen, "the territory tables are missing or lack geometry columns: run `rbmap migrate` first");
        return -1;
    }
    struct cog_counts cc;
    struct boundary_counts bc;
    struct merge_counts mc;
    double t = now_seconds();
    if (stage_create_tables(conn, err, errlen) < 0 || cog_stage(conn, cog_dir, &cc, err, errlen) < 0)
        return -1;
    if (verbose)
        fprintf(stderr, "staged the COG in %.1fs\n", now_seconds() - t);
    t = now_seconds();
    if (boundaries_stage(conn, src, &bc, err, errlen) < 0)
        return -1;
    if (verbose)
        fprintf(stderr, "staged the boundaries in %.1fs\n", now_seconds() - t);
    t = now_seconds();
    if (territories_merge(conn, verbose, &mc, err, errlen) < 0 || db_exec(conn, "COMMIT", err, errlen) < 0)
        return -1;
    if (verbose)
        fprintf(stderr, "merged and committed in %.1fs\n", now_seconds() - t);

    static const char *const level_labels[LEVEL_COUNT] = {"régions", "départements", "communes"};
    for (int l = 0; l < LEVEL_COUNT; l++) {
        if (!src->n[l])
            fprintf(stderr, "import-territories: warning: no %s boundary file\n", level_labels[l]);
        if (bc.skipped[l])
            fprintf(stderr, "import-territories: warning: %lu %s feature(s) without a code or a polygon skipped\n",
                    bc.skipped[l], level_labels[l]);
        if (bc.reprojected[l])
            fprintf(stderr, "import-territories: %s boundaries reprojected to EPSG:4326\n", level_labels[l]);
    }
    if (cc.skipped_regions)
        fprintf(stderr, "import-territories: left out %lu collectivités d'outre-mer (%lu départements, "
                "%lu communes): their codes do not fit regions.code\n",
                cc.skipped_regions, cc.skipped_departements, cc.skipped_communes);
    printf("régions: %ld (%ld with polygon)\n", mc.regions, mc.regions_geom);
    printf("départements: %ld (%ld with polygon)\n", mc.departements, mc.departements_geom);
    printf("EPCI: %ld (%ld with polygon), %ld EPCI-département links\n", mc.epci, mc.epci_geom, mc.epci_links);
    printf("communes: %ld, of which %ld municipal arrondissements (%ld with polygon)\n", mc.cities,
           mc.arrondissements, mc.cities_geom);
    return 0;
}

int cmd_import_territories(int argc, char **argv)
{
    double t0 = now_seconds();
    struct options o;
    memset(&o, 0, sizeof o);
    struct boundary_sources explicit_src, src;
    memset(&explicit_src, 0, sizeof explicit_src);
    memset(&src, 0, sizeof src);
    char err[8192], cog_dir[4096];
    int rc = parse_options(argc, argv, &o, &explicit_src);
    if (rc != 0) {
        boundaries_free(&explicit_src);
        return rc > 0 ? 0 : rc == -1 ? 2 : 1;
    }
    rc = 1;
    PGconn *conn = NULL;
    const char *conninfo = db_conninfo_choose(o.db);
    if (!conninfo) {
        fprintf(stderr, "rbmap import-territories: no database: pass --db CONNINFO or set RBMAP_DB\n");
        rc = 2;
        goto out;
    }
    if (resolve_sources(&o, &explicit_src, &src, cog_dir, sizeof cog_dir, err, sizeof err) < 0) {
        fprintf(stderr, "rbmap import-territories: %s\n", err);
        goto out;
    }
    conn = db_connect(conninfo, 0, err, sizeof err);
    if (!conn) {
        fprintf(stderr, "rbmap import-territories: cannot connect to the database: %s\n", err);
        goto out;
    }
    if (run_import(conn, cog_dir, &src, o.verbose, err, sizeof err) < 0) {
        fprintf(stderr, "rbmap import-territories: %s\n", err);
        fprintf(stderr, "rbmap import-territories: nothing was changed (the transaction was rolled back)\n");
        goto out;
    }
    printf("import-territories: done in %.1fs\n", now_seconds() - t0);
    rc = 0;
out:
    if (conn)
        PQfinish(conn);
    boundaries_free(&explicit_src);
    boundaries_free(&src);
    return rc;
}
