#include "db/connect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *db_conninfo_choose(const char *flag_value)
{
    if (flag_value && *flag_value)
        return flag_value;
    const char *env = getenv("RBMAP_DB");
    return env && *env ? env : NULL;
}

static void copy_error(const char *msg, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s", msg ? msg : "unknown database error");
    size_t n = strlen(err);
    while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
        err[--n] = '\0';
}

int db_exec(PGconn *conn, const char *sql, char *err, size_t errlen)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        copy_error(PQresultErrorMessage(res), err, errlen);
    PQclear(res);
    return ok ? 0 : -1;
}

PGconn *db_connect(const char *conninfo, int statement_timeout_ms, char *err, size_t errlen)
{
    /* Options go through keyword arrays so that nothing from the conninfo string is
     * pasted into SQL; expand_dbname lets conninfo be a URI or key=value string. */
    char options[64] = "";
    if (statement_timeout_ms > 0)
        snprintf(options, sizeof options, "-c statement_timeout=%d", statement_timeout_ms);
    const char *keys[] = {"dbname", "application_name", "client_encoding", "connect_timeout",
                          statement_timeout_ms > 0 ? "options" : NULL, NULL};
    const char *values[] = {conninfo, "rbmap", "UTF8", "5", options, NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (!conn) {
        copy_error("out of memory", err, errlen);
        return NULL;
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        copy_error(PQerrorMessage(conn), err, errlen);
        PQfinish(conn);
        return NULL;
    }
    return conn;
}
