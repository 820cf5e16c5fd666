/* `rbmap keys create|list|revoke`: API keys for GIS clients (server/auth_keys.h). */
#include "db/connect.h"
#include "db/migrate.h"
#include "db/territory_index.h"
#include "server/auth_cli.h"
#include "server/auth_keys.h"
#include "server/auth_scope.h"

#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void keys_usage(FILE *out)
{
    fprintf(out,
            "usage: rbmap keys create --scope AREAS [--flags FLAGS] [--label TEXT] [--expires YYYY-MM-DD]\n"
            "       rbmap keys list\n"
            "       rbmap keys revoke KEY_ID\n"
            "  common options: [--db CONNINFO] [--config FILE]\n"
            "A GIS client uses HTTP Basic with the key id as user name and the secret as password.\n"
            "create prints the secret once: it is stored only as a PBKDF2 hash. AREAS and FLAGS as\n"
            "for `rbmap token`; --expires: the key works through that day (Paris time).\n");
}

/* The database from --db, else the configuration (db = ... or RBMAP_DB), schema
 * brought up to date as `rbmap serve` would. */
static PGconn *keys_connect(const struct config *cfg, const char *db_flag)
{
    const char *conninfo = db_flag ? db_flag : cfg->db;
    if (!*conninfo) {
        fprintf(stderr, "rbmap keys: no database: pass --db CONNINFO or set RBMAP_DB\n");
        return NULL;
    }
    char err[2048];
    PGconn *conn = db_connect(conninfo, 0, err, sizeof err);
    if (conn && db_migrate(conn, 0, err, sizeof err) < 0) {
        PQfinish(conn);
        conn = NULL;
    }
    if (!conn)
        fprintf(stderr, "rbmap keys: %s\n", err);
    return conn;
}

static int keys_create(PGconn *conn, char *scope, char *flags, const char *label, const char *expires)
{
    char *areas[SCOPE_MAX_AREAS], *flag_names[3];
    size_t n_areas, n_flags;
    bool national;
    if (auth_cli_scope_flags(scope, flags, areas, &n_areas, flag_names, &n_flags, &national, "keys") < 0)
        return 2;
    /* The codes must exist now, or every request with the key would be refused. */
    char err[1024];
    struct territory_index *ti = national ? NULL : territory_index_load(conn, err, sizeof err);
    if (!national && !ti) {
        fprintf(stderr, "rbmap keys: %s\n", err);
        return 1;
    }
    struct scope widened;
    int rc = auth_scope_from_lists((const char *const *)areas, n_areas, (const char *const *)flag_names, n_flags,
                                   "new", ti, &widened, err, sizeof err);
    territory_index_free(ti);
    if (rc < 0) {
        fprintf(stderr, "rbmap keys: --scope: %s\n", err);
        return 2;
    }
    if (!national) { /* not stored, so `keys list` shows what the key really reads */
        size_t kept = 0;
        for (size_t i = 0; i < n_flags; i++)
            if (strcmp(flag_names[i], "finances"))
                flag_names[kept++] = flag_names[i];
        n_flags = kept;
    }
    char id[API_KEY_ID_MAX + 1], secret[API_KEY_SECRET_MAX + 1];
    if (api_key_create(conn, (const char *const *)areas, n_areas, (const char *const *)flag_names, n_flags,
                       label ? label : "", expires, id, secret, err, sizeof err) < 0) {
        fprintf(stderr, "rbmap keys: %s\n", err);
        return 1;
    }
    char described[512];
    scope_describe(&widened, described, sizeof described);
    printf("key_id: %s\nsecret: %s\nreads:  %s\n", id, secret, described);
    fprintf(stderr, "rbmap keys: store the secret now: it is not kept and cannot be shown again\n");
    OPENSSL_cleanse(secret, sizeof secret);
    return 0;
}

static int keys_list(PGconn *conn)
{
    PGresult *res = PQexec(conn, "SELECT key_id, CASE WHEN revoked_at IS NOT NULL THEN 'revoked'"
                                 " WHEN expires_at <= now() THEN 'expired' ELSE 'active' END,"
                                 " array_to_string(areas, ','), array_to_string(flags, ','), label,"
                                 " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),"
                                 " coalesce(to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI\"Z\"'), '-')"
                                 " FROM rbmap_api_keys ORDER BY created_at, key_id");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "rbmap keys: %s", PQresultErrorMessage(res));
        PQclear(res);
        return 1;
    }
    printf("%-21s %-8s %-10s %-17s %-24s %-16s %s\n", "KEY_ID", "STATUS", "CREATED", "EXPIRES", "SCOPE", "FLAGS",
           "LABEL");
    for (int i = 0; i < PQntuples(res); i++) {
        const char *flags = PQgetvalue(res, i, 3);
        printf("%-21s %-8s %-10s %-17s %-24s %-16s %s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
               PQgetvalue(res, i, 5), PQgetvalue(res, i, 6), PQgetvalue(res, i, 2), *flags ? flags : "-",
               PQgetvalue(res, i, 4));
    }
    PQclear(res);
    return 0;
}

static int keys_revoke(PGconn *conn, const char *id)
{
    const char *params[] = {id};
    PGresult *res = PQexecParams(conn,
                                 "UPDATE rbmap_api_keys SET revoked_at = coalesce(revoked_at, now())"
                                 " WHERE key_id = $1 RETURNING revoked_at = now()",
                                 1, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "rbmap keys: %s", PQresultErrorMessage(res));
        rc = 1;
    } else if (PQntuples(res) == 0) {
        fprintf(stderr, "rbmap keys: no key %s\n", id);
        rc = 1;
    } else {
        printf("%s %s\n", id, !strcmp(PQgetvalue(res, 0, 0), "t") ? "revoked" : "was already revoked");
    }
    PQclear(res);
    return rc;
}

int cmd_keys(int argc, char **argv)
{
    static const struct option options[] = {
        {"scope", required_argument, NULL, 's'},   {"flags", required_argument, NULL, 'f'},
        {"label", required_argument, NULL, 'l'},   {"expires", required_argument, NULL, 'e'},
        {"db", required_argument, NULL, 'd'},      {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        keys_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *action = argv[1];
    char *scope = NULL, *flags = NULL;
    const char *label = NULL, *expires = NULL, *db_flag = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", options, NULL)) != -1) {
        switch (c) {
        case 's': scope = optarg; break;
        case 'f': flags = optarg; break;
        case 'l': label = optarg; break;
        case 'e': expires = optarg; break;
        case 'd': db_flag = optarg; break;
        case 'c': break;
        case 'h': keys_usage(stdout); return 0;
        default: keys_usage(stderr); return 2;
        }
    }
    int positional = argc - 1 - optind;
    bool create = !strcmp(action, "create"), list = !strcmp(action, "list"), revoke = !strcmp(action, "revoke");
    if ((!create && !list && !revoke) || (create && (!scope || positional)) || (list && positional) ||
        (revoke && positional != 1) || (!create && (scope || flags || label || expires))) {
        keys_usage(stderr);
        return 2;
    }
    struct config cfg;
    if (auth_cli_config(&cfg, argc, argv, "keys") < 0)
        return 2;
    PGconn *conn = keys_connect(&cfg, db_flag);
    if (!conn)
        return 1;
    int rc = create ? keys_create(conn, scope, flags, label, expires)
             : list ? keys_list(conn)
                    : keys_revoke(conn, argv[1 + optind]);
    PQfinish(conn);
    return rc;
}
