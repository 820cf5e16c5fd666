/* Opening PostgreSQL connections the same way everywhere (CLI commands and the pool). */
#ifndef RBMAP_DB_CONNECT_H
#define RBMAP_DB_CONNECT_H
#include <libpq-fe.h>
#include <stddef.h>

/* The connection string to use: the --db flag if given, else $RBMAP_DB, else NULL. */
const char *db_conninfo_choose(const char *flag_value);

/* Connects, sets UTF-8, application_name=rbmap and, when statement_timeout_ms > 0,
 * statement_timeout. Returns NULL with the server's message in err on failure. */
PGconn *db_connect(const char *conninfo, int statement_timeout_ms, char *err, size_t errlen);

/* Runs a command that returns no rows; on failure copies the error into err. */
int db_exec(PGconn *conn, const char *sql, char *err, size_t errlen);

/* Runs one parameterised query and waits at most deadline_ms for its result. Past the
 * deadline the query is cancelled on the server (PQcancel), so it does not keep running
 * after we stopped waiting; its error result is then drained. Returns the result (check
 * PQresultStatus) or NULL with err set: on a timeout, *timed_out is set and the
 * connection, if its state is uncertain, is left with PQstatus != CONNECTION_OK being
 * possible; callers release it as broken when PQstatus says so or on NULL. */
PGresult *db_query_deadline(PGconn *conn, const char *sql, int n_params, const char *const *values,
                            int deadline_ms, int *timed_out, char *err, size_t errlen);

#endif
