/* Staging tables and the COPY writer of `rbmap import-territories` (see the header). */
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

/* Large enough that the per-call overhead of PQputCopyData vanishes. */
enum { COPY_FLUSH_AT = 1 << 20 };

static void copy_fail(struct copy_stream *cs, const char *msg)
{
    if (!cs->failed)
        snprintf(cs->err, sizeof cs->err, "%s", msg);
    cs->failed = 1;
}

static int copy_reserve(struct copy_stream *cs, size_t extra)
{
    if (cs->failed)
        return -1;
    if (cs->len + extra <= cs->cap)
        return 0;
    size_t cap = cs->cap ? cs->cap : 64 * 1024;
    while (cap < cs->len + extra)
        cap *= 2;
    char *p = realloc(cs->data, cap);
    if (!p) {
        copy_fail(cs, "out of memory");
        return -1;
    }
    cs->data = p;
    cs->cap = cap;
    return 0;
}

static void copy_flush(struct copy_stream *cs)
{
    if (cs->failed || !cs->len)
        return;
    if (PQputCopyData(cs->conn, cs->data, (int)cs->len) != 1)
        copy_fail(cs, PQerrorMessage(cs->conn));
    cs->len = 0;
}

int copy_begin(struct copy_stream *cs, PGconn *conn, const char *copy_sql, char *err, size_t errlen)
{
    memset(cs, 0, sizeof *cs);
    cs->conn = conn;
    PGresult *res = PQexec(conn, copy_sql);
    int ok = PQresultStatus(res) == PGRES_COPY_IN;
    if (!ok)
        snprintf(err, errlen, "%s: %s", copy_sql, PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}

static void copy_separator(struct copy_stream *cs)
{
    if (cs->in_row && copy_reserve(cs, 1) == 0)
        cs->data[cs->len++] = '\t';
    cs->in_row = 1;
}

void copy_text(struct copy_stream *cs, const char *s)
{
    copy_separator(cs);
    if (!s) {
        if (copy_reserve(cs, 2) == 0) {
            memcpy(cs->data + cs->len, "\\N", 2);
            cs->len += 2;
        }
        return;
    }
    /* Worst case every byte doubles. */
    size_t n = strlen(s);
    if (copy_reserve(cs, 2 * n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        char esc = c == '\\' ? '\\' : c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : 0;
        if (esc) {
            cs->data[cs->len++] = '\\';
            cs->data[cs->len++] = esc;
        } else {
            cs->data[cs->len++] = c;
        }
    }
}

void copy_long(struct copy_stream *cs, long long v)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%lld", v);
    copy_text(cs, tmp);
}

void copy_hex(struct copy_stream *cs, const unsigned char *bytes, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    copy_separator(cs);
    if (copy_reserve(cs, 2 * n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        cs->data[cs->len++] = digits[bytes[i] >> 4];
        cs->data[cs->len++] = digits[bytes[i] & 15];
    }
}

void copy_end_row(struct copy_stream *cs)
{
    if (copy_reserve(cs, 1) == 0)
        cs->data[cs->len++] = '\n';
    cs->in_row = 0;
    cs->rows++;
    if (cs->len >= COPY_FLUSH_AT)
        copy_flush(cs);
}

int copy_finish(struct copy_stream *cs, char *err, size_t errlen)
{
    copy_flush(cs);
    int rc = 0;
    if (cs->failed) {
        /* Still end the COPY so the connection leaves COPY mode with an error. */
        PQputCopyEnd(cs->conn, cs->err);
        snprintf(err, errlen, "COPY: %s", cs->err);
        rc = -1;
    } else if (PQputCopyEnd(cs->conn, NULL) != 1) {
        snprintf(err, errlen, "COPY: %s", PQerrorMessage(cs->conn));
        rc = -1;
    }
    PGresult *res;
    while ((res = PQgetResult(cs->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
            snprintf(err, errlen, "COPY: %s", PQresultErrorMessage(res));
            rc = -1;
        }
        PQclear(res);
    }
    free(cs->data);
    cs->data = NULL;
    cs->len = cs->cap = 0;
    return rc;
}

void copy_abort(struct copy_stream *cs)
{
    copy_fail(cs, "import aborted");
    char ignored[16];
    copy_finish(cs, ignored, sizeof ignored);
}
