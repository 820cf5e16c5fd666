#include "db/site_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The platform's water status (living conditions v2), computed where the data is.
 * An approximation of the platform's rules: a tap on the network, continuous and
 * equal for all is good; bottles or "other" are bad; anything else needs improving. */
#define WATER_STATUS_SQL                                                                                   \
    "CASE WHEN s.water_access_type IS NULL OR s.water_access_type = 'inconnu' THEN 0"                     \
    " WHEN s.water_access_type = 'robinet_connecte_au_reseau' AND s.water_access_is_continuous IS TRUE"   \
    "  AND s.water_access_is_unequal IS NOT TRUE AND s.water_access_has_stagnant_water IS NOT TRUE THEN 1"  \
    " WHEN s.water_access_type IN ('achat_bouteille', 'autre') THEN 3 ELSE 2 END"

static const char site_select_sql[] =
    "SELECT s.shantytown_id, s.longitude, s.latitude, s.status, " WATER_STATUS_SQL ","
    " s.closed_with_solutions, s.fk_field_type, s.population_total,"
    " s.built_at - DATE '1970-01-01', s.declared_at - DATE '1970-01-01',"
    " (s.closed_at AT TIME ZONE 'Europe/Paris')::date - DATE '1970-01-01',"
    " floor(extract(epoch FROM s.updated_at))::bigint,"
    " c.code, coalesce(c.fk_main, ''), c.fk_departement, d.fk_region, coalesce(c.fk_epci, ''),"
    " coalesce(s.name, ''), s.address, c.name,"
    " s.owner_complaint, s.justice_procedure, s.justice_rendered,"
    " CASE s.police_status WHEN 'none' THEN 0 WHEN 'requested' THEN 1 WHEN 'granted' THEN 2 END,"
    " s.justice_rendered_at - DATE '1970-01-01', s.police_requested_at - DATE '1970-01-01',"
    " s.police_granted_at - DATE '1970-01-01', s.existing_litigation, s.evacuation_under_time_limit,"
    " s.insalubrity_order, s.administrative_order_evacuation_at - DATE '1970-01-01', s.bailiff, po.owners"
    " FROM shantytowns s JOIN cities c ON c.code = s.fk_city JOIN departements d ON d.code = c.fk_departement"
    /* Grouped once rather than a subquery per site: a hash join over a million sites. */
    " LEFT JOIN (SELECT o.fk_shantytown, json_agg(json_build_object('name', o.owner_name, 'type', ot.label)"
    "            ORDER BY o.shantytown_parcel_owner_id)::text AS owners"
    "            FROM shantytown_parcel_owners o LEFT JOIN owner_types ot ON ot.owner_type_id = o.fk_owner_type"
    "            WHERE o.active GROUP BY o.fk_shantytown) po ON po.fk_shantytown = s.shantytown_id";

enum {
    COL_ID, COL_LON, COL_LAT, COL_STATUS, COL_WATER, COL_SOLUTIONS, COL_FIELD_TYPE, COL_POPULATION,
    COL_BUILT, COL_DECLARED, COL_CLOSED, COL_UPDATED, COL_CITY, COL_MAIN_CITY, COL_DEPARTEMENT, COL_REGION,
    COL_EPCI, COL_NAME, COL_ADDRESS, COL_CITY_NAME, COL_OWNER_COMPLAINT, COL_JUSTICE_PROCEDURE,
    COL_JUSTICE_RENDERED, COL_POLICE_STATUS, COL_JUSTICE_RENDERED_AT, COL_POLICE_REQUESTED_AT,
    COL_POLICE_GRANTED_AT, COL_LITIGATION, COL_EVACUATION_TIME_LIMIT, COL_INSALUBRITY_ORDER,
    COL_EVACUATION_AT, COL_BAILIFF, COL_OWNERS
};

void record_release(struct site_record *r)
{
    if (r && atomic_fetch_sub(&r->refs, 1) == 1)
        free(r);
}

void site_record_list_free(struct site_record_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        record_release(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

static int32_t int_or(PGresult *r, int row, int col, int32_t missing)
{
    return PQgetisnull(r, row, col) ? missing : (int32_t)strtol(PQgetvalue(r, row, col), NULL, 10);
}

static int8_t tristate(PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? -1 : PQgetvalue(r, row, col)[0] == 't';
}

static void copy_code(char *dst, size_t cap, PGresult *r, int row, int col)
{
    snprintf(dst, cap, "%s", PQgetvalue(r, row, col));
}

static char *append_string(char *cursor, const char *text, const char **field)
{
    size_t n = strlen(text);
    memcpy(cursor, text, n + 1);
    *field = cursor;
    return cursor + n + 1;
}

static struct site_record *record_from_row(PGresult *r, int row)
{
    const char *name = PQgetvalue(r, row, COL_NAME), *address = PQgetvalue(r, row, COL_ADDRESS);
    const char *city_name = PQgetvalue(r, row, COL_CITY_NAME);
    bool has_bailiff = !PQgetisnull(r, row, COL_BAILIFF);
    const char *bailiff = PQgetvalue(r, row, COL_BAILIFF);
    bool has_owners = !PQgetisnull(r, row, COL_OWNERS);
    const char *owners = PQgetvalue(r, row, COL_OWNERS);
    size_t strings = strlen(name) + strlen(address) + strlen(city_name) + strlen(bailiff) + strlen(owners) + 5;
    struct site_record *rec = calloc(1, sizeof(*rec) + strings);
    if (!rec)
        return NULL;
    atomic_init(&rec->refs, 1);
    struct site *s = &rec->site;
    s->id = int_or(r, row, COL_ID, 0);
    s->lon = strtod(PQgetvalue(r, row, COL_LON), NULL);
    s->lat = strtod(PQgetvalue(r, row, COL_LAT), NULL);
    int status = site_status_parse(PQgetvalue(r, row, COL_STATUS));
    s->status = (uint8_t)(status < 0 ? SITE_UNKNOWN : status);
    s->water = (uint8_t)int_or(r, row, COL_WATER, WATER_UNKNOWN);
    const char *solutions = PQgetvalue(r, row, COL_SOLUTIONS);
    s->closed_with_solutions = !strcmp(solutions, "yes") ? 1 : !strcmp(solutions, "no") ? 0 : -1;
    s->field_type_id = int_or(r, row, COL_FIELD_TYPE, 0);
    s->population = int_or(r, row, COL_POPULATION, -1);
    s->built_day = int_or(r, row, COL_BUILT, DAY_NONE);
    s->declared_day = int_or(r, row, COL_DECLARED, DAY_NONE);
    s->closed_day = int_or(r, row, COL_CLOSED, DAY_NONE);
    s->updated_epoch = strtoll(PQgetvalue(r, row, COL_UPDATED), NULL, 10);
    copy_code(s->city_code, sizeof s->city_code, r, row, COL_CITY);
    copy_code(s->main_city_code, sizeof s->main_city_code, r, row, COL_MAIN_CITY);
    copy_code(s->departement_code, sizeof s->departement_code, r, row, COL_DEPARTEMENT);
    copy_code(s->region_code, sizeof s->region_code, r, row, COL_REGION);
    copy_code(s->epci_code, sizeof s->epci_code, r, row, COL_EPCI);
    char *cursor = rec->strings;
    cursor = append_string(cursor, name, &s->name);
    cursor = append_string(cursor, address, &s->address);
    cursor = append_string(cursor, city_name, &s->city_name);
    cursor = append_string(cursor, bailiff, &s->justice.bailiff);
    if (!has_bailiff)
        s->justice.bailiff = NULL;
    append_string(cursor, owners, &s->owners);
    if (!has_owners)
        s->owners = NULL;
    struct site_justice *j = &s->justice;
    j->owner_complaint = tristate(r, row, COL_OWNER_COMPLAINT);
    j->justice_procedure = tristate(r, row, COL_JUSTICE_PROCEDURE);
    j->justice_rendered = tristate(r, row, COL_JUSTICE_RENDERED);
    j->police_status = (int8_t)int_or(r, row, COL_POLICE_STATUS, -1);
    j->justice_rendered_day = int_or(r, row, COL_JUSTICE_RENDERED_AT, DAY_NONE);
    j->police_requested_day = int_or(r, row, COL_POLICE_REQUESTED_AT, DAY_NONE);
    j->police_granted_day = int_or(r, row, COL_POLICE_GRANTED_AT, DAY_NONE);
    j->existing_litigation = tristate(r, row, COL_LITIGATION);
    j->evacuation_under_time_limit = tristate(r, row, COL_EVACUATION_TIME_LIMIT);
    j->insalubrity_order = tristate(r, row, COL_INSALUBRITY_ORDER);
    j->administrative_order_evacuation_day = int_or(r, row, COL_EVACUATION_AT, DAY_NONE);
    return rec;
}

/* ids travel as one bound int[] literal ("{1,2,3}"), never pasted into the SQL. */
static char *ids_array_literal(const int32_t *ids, size_t n)
{
    char *text = malloc(n * 12 + 3);
    if (!text)
        return NULL;
    size_t used = 0;
    text[used++] = '{';
    for (size_t i = 0; i < n; i++)
        used += (size_t)sprintf(text + used, "%s%d", i ? "," : "", ids[i]);
    text[used++] = '}';
    text[used] = '\0';
    return text;
}

int site_query_rows(PGconn *conn, const int32_t *ids, size_t n_ids, struct site_record_list *out, char *err,
                    size_t errlen)
{
    out->items = NULL;
    out->count = 0;
    PGresult *r;
    if (ids) {
        char *literal = ids_array_literal(ids, n_ids);
        if (!literal) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        char sql[sizeof site_select_sql + 64];
        snprintf(sql, sizeof sql, "%s WHERE s.shantytown_id = ANY($1::int[])", site_select_sql);
        const char *params[] = {literal};
        r = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
        free(literal);
    } else {
        r = PQexec(conn, site_select_sql);
    }
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "loading sites: %s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    int rows = PQntuples(r);
    out->items = calloc(rows ? (size_t)rows : 1, sizeof(*out->items));
    if (!out->items) {
        PQclear(r);
        snprintf(err, errlen, "out of memory loading %d sites", rows);
        return -1;
    }
    for (int i = 0; i < rows; i++) {
        out->items[i] = record_from_row(r, i);
        if (!out->items[i]) {
            PQclear(r);
            site_record_list_free(out);
            snprintf(err, errlen, "out of memory loading %d sites", rows);
            return -1;
        }
        out->count++;
    }
    PQclear(r);
    return 0;
}

struct field_type *site_query_field_types(PGconn *conn, size_t *n, char *err, size_t errlen)
{
    PGresult *r = PQexec(conn, "SELECT field_type_id, label, color FROM field_types ORDER BY field_type_id");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "loading field types: %s", PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    int rows = PQntuples(r);
    struct field_type *types = calloc(rows ? (size_t)rows : 1, sizeof(*types));
    if (!types) {
        PQclear(r);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (int i = 0; i < rows; i++) {
        types[i].id = (int32_t)strtol(PQgetvalue(r, i, 0), NULL, 10);
        snprintf(types[i].label, sizeof types[i].label, "%s", PQgetvalue(r, i, 1));
        snprintf(types[i].color, sizeof types[i].color, "%s", PQgetvalue(r, i, 2));
    }
    *n = (size_t)rows;
    PQclear(r);
    return types;
}

/* Must compute exactly what site_fingerprint_add does in C: floor(x * 1e6 + 0.5) on the
 * same doubles gives the same integers on both sides. */
static const char fingerprint_sql[] =
    "SELECT count(*), coalesce(sum(shantytown_id), 0), coalesce(sum(floor(latitude * 1e6 + 0.5)::bigint), 0),"
    " coalesce(sum(floor(longitude * 1e6 + 0.5)::bigint), 0),"
    " coalesce(sum(floor(extract(epoch FROM updated_at))::bigint), 0),"
    " coalesce(sum((shantytown_id % 1000) * (CASE status WHEN 'open' THEN 0 WHEN 'closed_by_justice' THEN 1"
    " WHEN 'closed_by_pref_admin' THEN 2 WHEN 'closed_by_city_admin' THEN 3 WHEN 'resorbed' THEN 4"
    " WHEN 'other' THEN 5 ELSE 6 END)), 0)"
    " FROM shantytowns s WHERE EXISTS (SELECT 1 FROM cities c JOIN departements d ON d.code = c.fk_departement"
    " WHERE c.code = s.fk_city)";

int site_store_db_fingerprint(PGconn *conn, struct site_fingerprint *out, char *err, size_t errlen)
{
    PGresult *r = PQexec(conn, fingerprint_sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        snprintf(err, errlen, "site fingerprint: %s", PQresultErrorMessage(r));
        PQclear(r);
        return -1;
    }
    int64_t *fields[] = {&out->count, &out->sum_id, &out->sum_lat_e6, &out->sum_lon_e6, &out->sum_updated,
                         &out->sum_status};
    for (int i = 0; i < 6; i++)
        *fields[i] = strtoll(PQgetvalue(r, 0, i), NULL, 10);
    PQclear(r);
    return 0;
}
