#include "db/connect.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    char options[128] = "";
    /* idle_in_transaction: a session stuck between statements must not hold locks. */
    if (statement_timeout_ms > 0)
        snprintf(options, sizeof options, "-c statement_timeout=%d -c idle_in_transaction_session_timeout=%d",
                 statement_timeout_ms, statement_timeout_ms * 3);
    /* Keepalives: a server that vanished without closing (a partition, a dead host)
     * is noticed within ~25 s instead of a LISTEN waiting forever. */
    const char *keys[] = {"dbname", "application_name", "client_encoding", "connect_timeout", "keepalives_idle",
                          "keepalives_interval", "keepalives_count", statement_timeout_ms > 0 ? "options" : NULL,
                          NULL};
    const char *values[] = {conninfo, "rbmap", "UTF8", "5", "10", "5", "3", options, NULL};
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

static long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads input until the query's result is ready or the clock passes until_ms.
 * Returns 1 ready, 0 timed out, -1 connection failure. */
static int wait_ready(PGconn *conn, long long until_ms)
{
    while (PQisBusy(conn)) {
        long long left = until_ms - monotonic_ms();
        if (left <= 0)
            return 0;
        struct pollfd fd = {.fd = PQsocket(conn), .events = POLLIN};
        int n = poll(&fd, 1, (int)(left > 60000 ? 60000 : left));
        if (n < 0 && errno != EINTR)
            return -1;
        if (n > 0 && !PQconsumeInput(conn))
            return -1;
    }
    return 1;
}

/* Everything after the first result is read and dropped, so the connection is idle. */
static void drain_results(PGconn *conn)
{
    PGresult *r;
    while ((r = PQgetResult(conn)))
        PQclear(r);
}

PGresult *db_query_deadline(PGconn *conn, const char *sql, int n_params, const char *const *values,
                            int deadline_ms, int *timed_out, char *err, size_t errlen)
{
    *timed_out = 0;
    if (!PQsendQueryParams(conn, sql, n_params, NULL, values, NULL, NULL, 0)) {
        copy_error(PQerrorMessage(conn), err, errlen);
        return NULL;
    }
    int ready = wait_ready(conn, monotonic_ms() + (deadline_ms > 0 ? deadline_ms : 3600000));
    if (ready == 0) {
        *timed_out = 1;
        char cancel_err[256] = "";
        PGcancel *cancel = PQgetCancel(conn);
        int sent = cancel && PQcancel(cancel, cancel_err, sizeof cancel_err);
        PQfreeCancel(cancel);
        /* The server answers a cancel with an error result at its next check; if even
         * that does not come, the connection's state is unknown: the caller drops it. */
        if (!sent || wait_ready(conn, monotonic_ms() + 2000) != 1) {
            snprintf(err, errlen, "query cancelled after %d ms (%s)", deadline_ms,
                     sent ? "no answer to the cancel" : cancel_err);
            return NULL;
        }
        drain_results(conn);
        snprintf(err, errlen, "query cancelled after %d ms", deadline_ms);
        return NULL;
    }
    if (ready < 0) {
        copy_error(PQerrorMessage(conn), err, errlen);
        return NULL;
    }
    PGresult *res = PQgetResult(conn);
    drain_results(conn);
    if (!res) {
        copy_error(PQerrorMessage(conn), err, errlen);
        return NULL;
    }
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        copy_error(PQresultErrorMessage(res), err, errlen);
    return res;
}
