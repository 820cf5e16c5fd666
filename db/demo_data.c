/* `rbmap demo-data`: the command line, the reference ids, and the one transaction that
 * loads the generated sites and actions (see demo_sites.h, demo_actions.h). */
#include "db/demo_data.h"

#include "db/connect.h"
#include "db/demo_actions.h"
#include "db/demo_context.h"
#include "db/demo_sites.h"
#include "util/progress.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_SITES 3600u
#define MAX_SITES 10000000u
#define DEFAULT_SEED 2018u
/* Any fixed number: two demo-data runs on one database take turns. "rbdm". */
#define DEMO_LOCK_KEY "1919050861"

/* The tables this command fills, emptied by --replace. Never the territories nor the
 * seeded reference tables. */
#define DEMO_TABLES                                                                             \
    "shantytowns, \"ShantytownHistories\", shantytown_origins, shantytown_parcel_owners,"       \
    " shantytown_closing_solutions, actions, action_topics, action_addresses, action_shantytowns," \
    " action_operators, action_finances, users, organizations"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rbmap demo-data [--db CONNINFO] [--sites N] [--seed S] [--until YYYY-MM-DD] [--replace]\n"
            "Generates a synthetic history of shantytown sites and actions in the communes of\n"
            "the database (run `rbmap import-territories` first), concentrated where sites\n"
            "really are (Île-de-France, Nord, Bouches-du-Rhône, Rhône, big cities, Guyane,\n"
            "Mayotte...). About one site in six is open, the others closed since 2018.\n"
            "\n"
            "  --db CONNINFO   database (default: $RBMAP_DB)\n"
            "  --sites N       number of sites, open and closed (default %u, at most %u);\n"
            "                  actions, users and details scale with it\n"
            "  --seed S        random seed (default %u): the same seed, --until and\n"
            "                  territories give the same rows and ids in a fresh database\n"
            "  --until DATE    the history ends the day before DATE (default: today, UTC)\n"
            "  --replace       empty the site, action, user and organisation tables first\n"
            "                  (TRUNCATE ... CASCADE) and load again; without it, a database\n"
            "                  that already has sites is left alone (\"already loaded\")\n",
            DEFAULT_SITES, MAX_SITES, DEFAULT_SEED);
}

static int parse_uint(const char *flag, const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    const char *p = text;
    if (!*p)
        goto bad;
    for (; *p; p++)
        if (*p < '0' || *p > '9')
            goto bad;
    errno = 0;
    unsigned long long v = strtoull(text, NULL, 10);
    if (errno == ERANGE || v < min || v > max)
        goto bad;
    *out = v;
    return 0;
bad:
    fprintf(stderr, "rbmap demo-data: %s expects a whole number from %llu to %llu, not '%s'\n", flag,
            (unsigned long long)min, (unsigned long long)max, text);
    return -1;
}

static int parse_until(const char *text, int *day)
{
    int y, m, d;
    char tail;
    if (sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && m >= 1 && m <= 12 && d >= 1 && d <= 31) {
        *day = demo_day_from_ymd(y, m, d);
        int yy, mm, dd;
        demo_ymd_from_day(*day, &yy, &mm, &dd);
        if (yy == y && mm == m && dd == d && *day >= demo_day_from_ymd(2018, 4, 1) && y <= 2100)
            return 0;
    }
    fprintf(stderr, "rbmap demo-data: --until expects a date YYYY-MM-DD from 2018-04-01 to 2100, not '%s'\n", text);
    return -1;
}

static PGresult *query(PGconn *conn, const char *sql, char *err, size_t errlen)
{
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "%s", PQresultErrorMessage(res));
        PQclear(res);
        return NULL;
    }
    return res;
}

static int64_t scalar(PGconn *conn, const char *sql, char *err, size_t errlen)
{
    PGresult *res = query(conn, sql, err, errlen);
    if (!res)
        return -1;
    int64_t v = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    return v;
}

/* id of the row whose `key` is `want` in a two-column (id, key) result, or -1. */
static int id_of(PGresult *res, const char *want)
{
    for (int i = 0; i < PQntuples(res); i++)
        if (!strcmp(PQgetvalue(res, i, 1), want))
            return atoi(PQgetvalue(res, i, 0));
    return -1;
}

static int load_reference(PGconn *conn, struct demo_ctx *ctx, char *err, size_t errlen)
{
    static const char *const TOPICS[DEMO_TOPIC_COUNT] = {"health", "school", "work", "housing", "safety"};
    struct {
        const char *sql, *label;
        int *id;
    } refs[] = {
        {"SELECT field_type_id, label FROM field_types", "Inconnu", &ctx->field_type_unknown},
        {"SELECT field_type_id, label FROM field_types", "Terrain", &ctx->field_type_terrain},
        {"SELECT field_type_id, label FROM field_types", "Immeuble bâti", &ctx->field_type_building},
        {"SELECT owner_type_id, label FROM owner_types", "Inconnu", &ctx->owner_type_unknown},
        {"SELECT owner_type_id, label FROM owner_types", "Public", &ctx->owner_type_public},
        {"SELECT owner_type_id, label FROM owner_types", "Privé", &ctx->owner_type_private},
        {"SELECT social_origin_id, uid FROM social_origins", "french", &ctx->origin_french},
        {"SELECT social_origin_id, uid FROM social_origins", "european", &ctx->origin_european},
        {"SELECT social_origin_id, uid FROM social_origins", "other", &ctx->origin_other},
    };
    for (size_t i = 0; i < DEMO_ARRAY_LEN(refs); i++) {
        PGresult *res = query(conn, refs[i].sql, err, errlen);
        if (!res)
            return -1;
        *refs[i].id = id_of(res, refs[i].label);
        PQclear(res);
        if (*refs[i].id < 0) {
            snprintf(err, errlen, "reference row '%s' is missing (%s): run `rbmap migrate`", refs[i].label,
                     refs[i].sql);
            return -1;
        }
    }
    PGresult *res = query(conn, "SELECT closing_solution_id FROM closing_solutions ORDER BY closing_solution_id",
                          err, errlen);
    if (!res)
        return -1;
    for (int i = 0; i < PQntuples(res) && i < DEMO_MAX_CLOSING_SOLUTIONS; i++)
        ctx->closing_solutions[ctx->n_closing_solutions++] = atoi(PQgetvalue(res, i, 0));
    PQclear(res);
    res = query(conn, "SELECT uid FROM topics", err, errlen);
    if (!res)
        return -1;
    for (int k = 0; k < DEMO_TOPIC_COUNT; k++) {
        int found = 0;
        for (int i = 0; i < PQntuples(res); i++)
            found |= !strcmp(PQgetvalue(res, i, 0), TOPICS[k]);
        if (!found) {
            snprintf(err, errlen, "topic '%s' is missing: run `rbmap migrate`", TOPICS[k]);
            PQclear(res);
            return -1;
        }
        ctx->topics[k] = TOPICS[k];
    }
    PQclear(res);
    return 0;
}

/* Which communes get a site or an action address, and which sites each département
 * has: all the polygons needed are then fetched in one query. */
static int first_pass(struct demo_ctx *ctx, char *err, size_t errlen)
{
    struct demo_places *pl = &ctx->places;
    for (uint32_t i = 0; i < ctx->n_sites; i++) {
        uint32_t commune = demo_site_commune(ctx, i);
        pl->communes[commune].used = 1;
        if (demo_places_add_site(pl, pl->communes[commune].dept, i) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    struct demo_action a;
    for (uint32_t j = 0; j < ctx->n_actions; j++) {
        demo_action_generate(ctx, j, 0, &a);
        for (int k = 0; k < a.naddresses; k++)
            pl->communes[a.addresses[k].commune].used = 1;
    }
    return 0;
}

static int read_id_bases(PGconn *conn, struct demo_ctx *ctx, char *err, size_t errlen)
{
    PGresult *res = query(conn,
        "SELECT (SELECT COALESCE(max(shantytown_id), 0) FROM shantytowns),"
        " (SELECT COALESCE(max(hid), 0) FROM \"ShantytownHistories\"),"
        " (SELECT COALESCE(max(shantytown_parcel_owner_id), 0) FROM shantytown_parcel_owners),"
        " (SELECT COALESCE(max(organization_id), 0) FROM organizations),"
        " (SELECT COALESCE(max(user_id), 0) FROM users),"
        " (SELECT COALESCE(max(action_id), 0) FROM actions),"
        " (SELECT COALESCE(max(action_address_id), 0) FROM action_addresses),"
        " (SELECT COALESCE(max(action_finance_id), 0) FROM action_finances)",
        err, errlen);
    if (!res)
        return -1;
    int64_t *bases[] = {&ctx->base_site, &ctx->base_history, &ctx->base_owner, &ctx->base_org,
                        &ctx->base_user, &ctx->base_action, &ctx->base_address, &ctx->base_finance};
    for (int i = 0; i < 8; i++)
        *bases[i] = strtoll(PQgetvalue(res, 0, i), NULL, 10);
    PQclear(res);
    return 0;
}

#define DEMO_TABLE_ARRAY                                                                          \
    "ARRAY['shantytowns', '\"ShantytownHistories\"', 'shantytown_origins', 'shantytown_parcel_owners'," \
    " 'shantytown_closing_solutions', 'actions', 'action_topics', 'action_addresses',"                \
    " 'action_shantytowns', 'action_operators', 'action_finances', 'users', 'organizations']::regclass[]"

/* Per-row foreign-key checks cost ten times the COPY itself (a million sites: over a
 * minute for shantytowns alone) and a GiST index grows faster in one build than row by
 * row. So, as pg_restore does, the loaded tables' foreign keys and plain indexes are
 * dropped for the load and recreated, from their catalog definitions, before COMMIT:
 * each key is then checked by one join. Primary keys and unique indexes stay. All in
 * the load's transaction, so a failure leaves the schema as it was. */
static const char BULK_SAVE[] =
    "CREATE TEMP TABLE rbmap_demo_ddl ON COMMIT DROP AS"
    " SELECT 1 AS step, format('DROP INDEX %s', i.indexrelid::regclass) AS drop_sql,"
    "  pg_get_indexdef(i.indexrelid) AS restore_sql"
    " FROM pg_index i WHERE i.indrelid = ANY(" DEMO_TABLE_ARRAY ")"
    "  AND NOT i.indisunique AND NOT i.indisprimary"
    "  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))"
    " UNION ALL"
    " SELECT 2, format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname),"
    "  format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))"
    " FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = ANY(" DEMO_TABLE_ARRAY ")";
static const char BULK_DROP[] =
    "DO $$DECLARE r record; BEGIN"
    " FOR r IN SELECT drop_sql FROM rbmap_demo_ddl ORDER BY step DESC, drop_sql LOOP EXECUTE r.drop_sql; END LOOP;"
    " END$$";
static const char BULK_RESTORE[] =
    "DO $$DECLARE r record; BEGIN"
    " FOR r IN SELECT restore_sql FROM rbmap_demo_ddl ORDER BY step, restore_sql LOOP EXECUTE r.restore_sql; END LOOP;"
    " END$$";

/* Explicit ids leave the serial sequences behind: move them past the new rows. */
static const char SET_SEQUENCES[] =
    "SELECT setval(pg_get_serial_sequence(t, c), GREATEST(m, 1), m IS NOT NULL) FROM (VALUES"
    " ('shantytowns', 'shantytown_id', (SELECT max(shantytown_id) FROM shantytowns)),"
    " ('\"ShantytownHistories\"', 'hid', (SELECT max(hid) FROM \"ShantytownHistories\")),"
    " ('shantytown_parcel_owners', 'shantytown_parcel_owner_id',"
    "  (SELECT max(shantytown_parcel_owner_id) FROM shantytown_parcel_owners)),"
    " ('organizations', 'organization_id', (SELECT max(organization_id) FROM organizations)),"
    " ('users', 'user_id', (SELECT max(user_id) FROM users)),"
    " ('actions', 'action_id', (SELECT max(action_id) FROM actions)),"
    " ('action_addresses', 'action_address_id', (SELECT max(action_address_id) FROM action_addresses)),"
    " ('action_finances', 'action_finance_id', (SELECT max(action_finance_id) FROM action_finances))"
    ") AS s(t, c, m)";

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Returns 1 when the data was already there, 0 when loaded, -1 on error. */
static int load(PGconn *conn, struct demo_ctx *ctx, int replace, char *err, size_t errlen)
{
    if (db_exec(conn, "BEGIN", err, errlen) < 0 ||
        db_exec(conn, "SELECT pg_advisory_xact_lock(" DEMO_LOCK_KEY ")", err, errlen) < 0)
        return -1;
    if (replace) {
        if (db_exec(conn, "TRUNCATE " DEMO_TABLES " RESTART IDENTITY CASCADE", err, errlen) < 0)
            return -1;
    } else {
        /* Checked again under the lock: another run may have loaded meanwhile. */
        int64_t present = scalar(conn, "SELECT count(*) FROM (SELECT 1 FROM shantytowns LIMIT 1) s", err, errlen);
        if (present != 0)
            return present < 0 ? -1 : 1;
    }
    if (read_id_bases(conn, ctx, err, errlen) < 0)
        return -1;
    /* Without the right to alter the tables (not their owner), load row by row. */
    if (db_exec(conn, "SAVEPOINT bulk", err, errlen) < 0)
        return -1;
    char why[512] = "";
    int bulk = db_exec(conn, BULK_SAVE, why, sizeof why) == 0 && db_exec(conn, BULK_DROP, why, sizeof why) == 0;
    if (!bulk) {
        if (db_exec(conn, "ROLLBACK TO SAVEPOINT bulk", err, errlen) < 0)
            return -1;
        fprintf(stderr, "demo-data: keeping indexes and foreign keys during the load: %s\n", why);
    }
    if (demo_copy_people(ctx, conn, err, errlen) < 0)
        return -1;

    struct progress p;
    progress_start(&p, "demo-data: shantytowns", ctx->n_sites);
    if (demo_copy_sites(ctx, conn, &p, err, errlen) < 0)
        return -1;
    progress_finish(&p);
    progress_start(&p, "demo-data: site history", ctx->n_sites);
    if (demo_copy_site_histories(ctx, conn, &p, err, errlen) < 0)
        return -1;
    progress_finish(&p);
    progress_start(&p, "demo-data: origins, owners, closing solutions", 3 * (uint64_t)ctx->n_sites);
    if (demo_copy_site_children(ctx, conn, &p, err, errlen) < 0)
        return -1;
    progress_finish(&p);
    progress_start(&p, "demo-data: actions", 6 * (uint64_t)ctx->n_actions);
    if (demo_copy_actions(ctx, conn, &p, err, errlen) < 0)
        return -1;
    progress_finish(&p);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (bulk) {
        /* Index builds sort in memory rather than in temporary files. */
        if (db_exec(conn, "SET LOCAL maintenance_work_mem = '512MB'", err, errlen) < 0 ||
            db_exec(conn, BULK_RESTORE, err, errlen) < 0)
            return -1;
        fprintf(stderr, "demo-data: indexes and foreign keys rebuilt in %.1fs\n", seconds_since(&t0));
    }
    if (db_exec(conn, SET_SEQUENCES, err, errlen) < 0 || db_exec(conn, "COMMIT", err, errlen) < 0)
        return -1;
    if (!bulk)
        return 0; /* ANALYZE is for the tables' owner; autovacuum will get to them */
    /* Fresh statistics, so that the first map queries get good plans. */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    db_exec(conn, "ANALYZE " DEMO_TABLES, err, errlen);
    fprintf(stderr, "demo-data: analyzed in %.1fs\n", seconds_since(&t0));
    return 0;
}


static void print_summary(PGconn *conn, double elapsed)
{
    char err[256];
    PGresult *res = query(conn,
        "SELECT (SELECT count(*) FROM shantytowns), (SELECT count(*) FROM shantytowns WHERE status = 'open'),"
        " (SELECT count(*) FROM actions), (SELECT count(*) FROM \"ShantytownHistories\")",
        err, sizeof err);
    if (!res)
        return;
    printf("demo-data: loaded %s sites (%s open), %s actions, %s history rows in %.1fs\n", PQgetvalue(res, 0, 0),
           PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3), elapsed);
    PQclear(res);
}

int cmd_demo_data(int argc, char **argv)
{
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},    {"sites", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},  {"until", required_argument, NULL, 'u'},
        {"replace", no_argument, NULL, 'r'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *db_flag = NULL;
    uint64_t sites = DEFAULT_SITES, seed = DEFAULT_SEED;
    int replace = 0, end_day = (int)(time(NULL) / 86400);
    int c;
    while ((c = getopt_long(argc, argv, "d:h", options, NULL)) != -1) {
        switch (c) {
        case 'd': db_flag = optarg; break;
        case 'n':
            if (parse_uint("--sites", optarg, 1, MAX_SITES, &sites) < 0)
                return 2;
            break;
        case 's':
            if (parse_uint("--seed", optarg, 0, UINT64_MAX, &seed) < 0)
                return 2;
            break;
        case 'u':
            if (parse_until(optarg, &end_day) < 0)
                return 2;
            break;
        case 'r': replace = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "rbmap demo-data: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    const char *conninfo = db_conninfo_choose(db_flag);
    if (!conninfo) {
        fprintf(stderr, "rbmap demo-data: no database: pass --db CONNINFO or set RBMAP_DB\n");
        return 2;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char err[2048] = "";
    PGconn *conn = db_connect(conninfo, 0, err, sizeof err);
    if (!conn) {
        fprintf(stderr, "rbmap demo-data: cannot connect: %s\n", err);
        return 1;
    }
    int rc = 1;
    struct demo_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.seed = seed;
    ctx.n_sites = (uint32_t)sites;
    ctx.n_actions = ctx.n_sites / 10 > 20 ? ctx.n_sites / 10 : 20;
    ctx.n_users = demo_user_count(ctx.n_sites);
    ctx.first_day = demo_day_from_ymd(2018, 1, 1);
    ctx.end_day = end_day;
    ctx.end_time = (int64_t)end_day * 86400;

    int64_t present = db_exec(conn, "SET client_min_messages = warning", err, sizeof err) < 0
                          ? -1
                          : scalar(conn, "SELECT count(*) FROM shantytowns", err, sizeof err);
    if (present < 0)
        goto fail;
    if (present > 0 && !replace) {
        printf("demo-data: already loaded (%lld sites); use --replace to generate again\n", (long long)present);
        rc = 0;
        goto done;
    }
    if (load_reference(conn, &ctx, err, sizeof err) < 0 || demo_places_load(conn, &ctx.places, err, sizeof err) < 0 ||
        first_pass(&ctx, err, sizeof err) < 0 || demo_places_load_shapes(conn, &ctx.places, err, sizeof err) < 0)
        goto fail;
    size_t used = 0;
    for (size_t i = 0; i < ctx.places.ncommunes; i++)
        used += ctx.places.communes[i].used;
    fprintf(stderr, "demo-data: %zu communes read, %zu used, their polygons loaded in %.1fs\n",
            ctx.places.ncommunes, used, seconds_since(&t0));
    int loaded = load(conn, &ctx, replace, err, sizeof err);
    if (loaded < 0)
        goto fail;
    if (loaded == 1) {
        db_exec(conn, "ROLLBACK", err, sizeof err);
        printf("demo-data: already loaded; use --replace to generate again\n");
    } else {
        print_summary(conn, seconds_since(&t0));
    }
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "rbmap demo-data: %s\n", err);
    if (PQtransactionStatus(conn) != PQTRANS_IDLE)
        db_exec(conn, "ROLLBACK", err, sizeof err);
done:
    demo_places_free(&ctx.places);
    PQfinish(conn);
    return rc;
}
