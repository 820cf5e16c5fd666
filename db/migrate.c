#include "db/migrate.h"

#include "db/connect.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Any fixed number identifies our advisory lock; this one spells "rbmp". */
#define MIGRATION_LOCK_KEY "1919052144"

static int migration_applied(PGconn *conn, int version, int *applied, char *err, size_t errlen)
{
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *params[] = {v};
    PGresult *res = PQexecParams(conn, "SELECT 1 FROM rbmap_schema_migrations WHERE version = $1",
                                 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    *applied = PQntuples(res) > 0;
    PQclear(res);
    return 0;
}

static int migration_apply(PGconn *conn, const struct migration *m, char *err, size_t errlen)
{
    char inner[1024];
    if (db_exec(conn, "BEGIN", inner, sizeof inner) < 0 || db_exec(conn, m->sql, inner, sizeof inner) < 0) {
        snprintf(err, errlen, "migration %s failed: %s", m->name, inner);
        db_exec(conn, "ROLLBACK", inner, sizeof inner);
        return -1;
    }
    char v[16];
    snprintf(v, sizeof v, "%d", m->version);
    const char *params[] = {v, m->name};
    PGresult *res = PQexecParams(conn, "INSERT INTO rbmap_schema_migrations(version, name) VALUES ($1, $2)",
                                 2, NULL, params, NULL, NULL, 0);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        snprintf(err, errlen, "recording migration %s: %s", m->name, PQresultErrorMessage(res));
    PQclear(res);
    if (!ok || db_exec(conn, "COMMIT", inner, sizeof inner) < 0) {
        if (ok)
            snprintf(err, errlen, "migration %s commit: %s", m->name, inner);
        db_exec(conn, "ROLLBACK", inner, sizeof inner);
        return -1;
    }
    return 0;
}

int db_migrate(PGconn *conn, int verbose, char *err, size_t errlen)
{
    if (db_exec(conn, "SET client_min_messages = warning", err, errlen) < 0 ||
        db_exec(conn, "CREATE TABLE IF NOT EXISTS rbmap_schema_migrations ("
                      " version integer PRIMARY KEY, name text NOT NULL,"
                      " applied_at timestamptz NOT NULL DEFAULT now())", err, errlen) < 0 ||
        db_exec(conn, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", err, errlen) < 0)
        return -1;
    int applied_now = 0;
    for (size_t i = 0; i < rbmap_migration_count; i++) {
        const struct migration *m = &rbmap_migrations[i];
        int applied;
        if (migration_applied(conn, m->version, &applied, err, errlen) < 0) {
            applied_now = -1;
            break;
        }
        if (applied)
            continue;
        if (migration_apply(conn, m, err, errlen) < 0) {
            applied_now = -1;
            break;
        }
        if (verbose)
            fprintf(stderr, "migrate: applied %s\n", m->name);
        applied_now++;
    }
    char ignored[256];
    db_exec(conn, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")", ignored, sizeof ignored);
    return applied_now;
}

int cmd_migrate(int argc, char **argv)
{
    static const struct option options[] = {{"db", required_argument, NULL, 'd'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    const char *db_flag = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "d:h", options, NULL)) != -1) {
        switch (c) {
        case 'd': db_flag = optarg; break;
        case 'h':
            printf("usage: rbmap migrate [--db CONNINFO]\n"
                   "Creates or updates the rbmap schema (tables, geometry columns, indexes,\n"
                   "change triggers) in the database. Safe to run again.\n");
            return 0;
        default: return 2;
        }
    }
    const char *conninfo = db_conninfo_choose(db_flag);
    if (!conninfo) {
        fprintf(stderr, "rbmap migrate: no database: pass --db CONNINFO or set RBMAP_DB\n");
        return 2;
    }
    char err[2048];
    PGconn *conn = db_connect(conninfo, 0, err, sizeof err);
    if (!conn) {
        fprintf(stderr, "rbmap migrate: cannot connect: %s\n", err);
        return 1;
    }
    int n = db_migrate(conn, 1, err, sizeof err);
    PQfinish(conn);
    if (n < 0) {
        fprintf(stderr, "rbmap migrate: %s\n", err);
        return 1;
    }
    fprintf(stderr, "migrate: %d migration(s) applied, schema at version %d\n", n,
            rbmap_migration_count ? rbmap_migrations[rbmap_migration_count - 1].version : 0);
    return 0;
}
