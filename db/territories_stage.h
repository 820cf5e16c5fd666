/* Staging for `rbmap import-territories`: the temporary tables the COG and the
 * boundary readers fill, and a COPY writer that streams rows into them.
 * Values travel as COPY data (escaped here), never as SQL text. */
#ifndef RBMAP_DB_TERRITORIES_STAGE_H
#define RBMAP_DB_TERRITORIES_STAGE_H
#include "db/copy_stream.h"

#include <libpq-fe.h>
#include <stddef.h>

/* Creates the temporary tables (dropped at commit). Call inside the transaction. */
int stage_create_tables(PGconn *conn, char *err, size_t errlen);

/* Rows are streamed with db/copy_stream.h. */

#endif
