#include "db/action_store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct action_snapshot_impl {
    struct action_snapshot pub;
    atomic_int refs;
    struct action_point *points;
    char *strings;
};

struct action_store {
    pthread_mutex_t lock;
    struct action_snapshot_impl *current;
};

/* One row per point: eti addresses, then the sites of sur_site actions. */
static const char action_points_sql[] =
    "WITH a AS (SELECT a.action_id, a.name, a.location_type, a.fk_departement, d.fk_region,"
    "   a.started_at - DATE '1970-01-01' AS started, a.ended_at - DATE '1970-01-01' AS ended,"
    "   coalesce((SELECT string_agg(t.fk_topic, ',' ORDER BY t.fk_topic) FROM action_topics t"
    "             WHERE t.fk_action = a.action_id), '') AS topics,"
    "   coalesce((SELECT string_agg(DISTINCT coalesce(o.abbreviation, o.name), ',')"
    "             FROM action_operators ao JOIN users u ON u.user_id = ao.fk_user"
    "             JOIN organizations o ON o.organization_id = u.fk_organization"
    "             WHERE ao.fk_action = a.action_id), '') AS operators,"
    "   coalesce((SELECT json_agg(json_build_object('year', f.year, 'type', f.fk_action_finance_type,"
    "              'amount', f.amount, 'real_amount', f.real_amount) ORDER BY f.year, f.fk_action_finance_type,"
    "              f.action_finance_id)::text FROM action_finances f WHERE f.fk_action = a.action_id), '') AS finances"
    "  FROM actions a JOIN departements d ON d.code = a.fk_departement)"
    " SELECT a.action_id, 0, ad.longitude, ad.latitude, a.started, a.ended, a.location_type, a.fk_departement,"
    "  a.fk_region, ad.fk_city, coalesce(c.fk_main, ''), coalesce(c.fk_epci, ''), a.name, a.topics, a.operators, a.finances"
    " FROM a JOIN action_addresses ad ON ad.fk_action = a.action_id JOIN cities c ON c.code = ad.fk_city"
    " WHERE a.location_type = 'eti'"
    " UNION ALL"
    " SELECT a.action_id, s.shantytown_id, s.longitude, s.latitude, a.started, a.ended, a.location_type,"
    "  a.fk_departement, a.fk_region, s.fk_city, coalesce(c.fk_main, ''), coalesce(c.fk_epci, ''), a.name,"
    "  a.topics, a.operators, a.finances"
    " FROM a JOIN action_shantytowns ash ON ash.fk_action = a.action_id"
    " JOIN shantytowns s ON s.shantytown_id = ash.fk_shantytown JOIN cities c ON c.code = s.fk_city"
    " WHERE a.location_type = 'sur_site'"
    " ORDER BY 1, 2";

static void snapshot_unref(struct action_snapshot_impl *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1) {
        free(s->points);
        free(s->strings);
        free(s);
    }
}

struct action_store *action_store_create(void)
{
    struct action_store *store = calloc(1, sizeof(*store));
    struct action_snapshot_impl *empty = calloc(1, sizeof(*empty));
    if (!store || !empty) {
        free(store);
        free(empty);
        return NULL;
    }
    atomic_init(&empty->refs, 1);
    empty->pub.impl = empty;
    store->current = empty;
    pthread_mutex_init(&store->lock, NULL);
    return store;
}

void action_store_destroy(struct action_store *store)
{
    if (!store)
        return;
    snapshot_unref(store->current);
    pthread_mutex_destroy(&store->lock);
    free(store);
}

static int32_t day_or_none(PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? DAY_NONE : (int32_t)strtol(PQgetvalue(r, row, col), NULL, 10);
}

int action_store_load_all(struct action_store *store, PGconn *conn, char *err, size_t errlen)
{
    PGresult *r = PQexec(conn, action_points_sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "loading actions: %s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    int rows = PQntuples(r);
    size_t strings_len = 0;
    for (int i = 0; i < rows; i++)
        strings_len += (size_t)PQgetlength(r, i, 12) + (size_t)PQgetlength(r, i, 13) + (size_t)PQgetlength(r, i, 14) +
                       (size_t)PQgetlength(r, i, 15) + 4;
    struct action_snapshot_impl *s = calloc(1, sizeof(*s));
    if (s) {
        s->points = calloc(rows ? (size_t)rows : 1, sizeof(*s->points));
        s->strings = malloc(strings_len + 1);
    }
    if (!s || !s->points || !s->strings) {
        if (s) {
            free(s->points);
            free(s->strings);
        }
        free(s);
        PQclear(r);
        snprintf(err, errlen, "out of memory loading actions");
        return -1;
    }
    char *cursor = s->strings;
    for (int i = 0; i < rows; i++) {
        struct action_point *p = &s->points[i];
        p->action_id = (int32_t)strtol(PQgetvalue(r, i, 0), NULL, 10);
        p->site_id = (int32_t)strtol(PQgetvalue(r, i, 1), NULL, 10);
        p->lon = strtod(PQgetvalue(r, i, 2), NULL);
        p->lat = strtod(PQgetvalue(r, i, 3), NULL);
        p->started_day = day_or_none(r, i, 4);
        p->ended_day = day_or_none(r, i, 5);
        snprintf(p->location_type, sizeof p->location_type, "%s", PQgetvalue(r, i, 6));
        snprintf(p->departement_code, sizeof p->departement_code, "%s", PQgetvalue(r, i, 7));
        snprintf(p->region_code, sizeof p->region_code, "%s", PQgetvalue(r, i, 8));
        snprintf(p->city_code, sizeof p->city_code, "%s", PQgetvalue(r, i, 9));
        snprintf(p->main_city_code, sizeof p->main_city_code, "%s", PQgetvalue(r, i, 10));
        snprintf(p->epci_code, sizeof p->epci_code, "%s", PQgetvalue(r, i, 11));
        const char **fields[] = {&p->name, &p->topics, &p->operators, &p->finances};
        for (int k = 0; k < 4; k++) {
            size_t n = (size_t)PQgetlength(r, i, 12 + k);
            memcpy(cursor, PQgetvalue(r, i, 12 + k), n);
            cursor[n] = '\0';
            *fields[k] = cursor;
            cursor += n + 1;
        }
    }
    PQclear(r);
    atomic_init(&s->refs, 1);
    s->pub.count = (size_t)rows;
    s->pub.points = s->points;
    s->pub.impl = s;
    pthread_mutex_lock(&store->lock);
    struct action_snapshot_impl *old = store->current;
    store->current = s;
    pthread_mutex_unlock(&store->lock);
    snapshot_unref(old);
    return 0;
}

const struct action_snapshot *action_store_acquire(struct action_store *store)
{
    pthread_mutex_lock(&store->lock);
    struct action_snapshot_impl *s = store->current;
    atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&store->lock);
    return &s->pub;
}

void action_store_release(const struct action_snapshot *snap)
{
    snapshot_unref(snap->impl);
}

static bool action_in_territory(const struct action_point *p, const struct territory_ref *t)
{
    switch (t->level) {
    case TERRITORY_REGION: return !strcmp(p->region_code, t->code);
    case TERRITORY_DEPARTEMENT: return !strcmp(p->departement_code, t->code);
    case TERRITORY_EPCI: return !strcmp(p->epci_code, t->code);
    case TERRITORY_CITY: return !strcmp(p->city_code, t->code) || !strcmp(p->main_city_code, t->code);
    }
    return false;
}

bool action_point_match(const struct site_filter *f, const struct action_point *p)
{
    if (f->day != DAY_NONE) {
        if (p->started_day == DAY_NONE || p->started_day > f->day)
            return false;
        if (p->ended_day != DAY_NONE && p->ended_day <= f->day)
            return false;
    }
    if (!f->n_territories)
        return true;
    for (size_t i = 0; i < f->n_territories; i++)
        if (action_in_territory(p, &f->territories[i]))
            return true;
    return false;
}

bool scope_allows_action(const struct scope *scope, const struct action_point *p)
{
    if (scope->kind == SCOPE_NATIONAL)
        return true;
    if (scope->kind == SCOPE_PUBLIC)
        return false;
    /* Scoped through the action's département (platform rule); a commune or EPCI area
     * reads its département(s) once scopes are widened by the access-control layer. */
    for (size_t i = 0; i < scope->n_areas; i++) {
        const struct territory_ref *t = &scope->areas[i];
        if ((t->level == TERRITORY_REGION && !strcmp(p->region_code, t->code)) ||
            (t->level == TERRITORY_DEPARTEMENT && !strcmp(p->departement_code, t->code)))
            return true;
    }
    return false;
}
