/* Staging for `rbmap import-territories`: the temporary tables the COG and the
 * boundary readers fill, and a COPY writer that streams rows into them.
 * Values travel as COPY data (escaped here), never as SQL text. */
#ifndef RBMAP_DB_TERRITORIES_STAGE_H
#define RBMAP_DB_TERRITORIES_STAGE_H
#include <libpq-fe.h>
#include <stddef.h>

/* Creates the temporary tables (dropped at commit). Call inside the transaction. */
int stage_create_tables(PGconn *conn, char *err, size_t errlen);

struct copy_stream {
    PGconn *conn;
    char *data;
    size_t len, cap;
    int in_row;   /* a field was written since the last end of row */
    int failed;   /* out of memory or a send failed; copy_finish reports it */
    unsigned long long rows;
    char err[512];
};

/* Starts `COPY table(columns) FROM STDIN` (text format). */
int copy_begin(struct copy_stream *cs, PGconn *conn, const char *copy_sql, char *err, size_t errlen);
/* One text field, escaped for COPY; NULL writes SQL NULL. */
void copy_text(struct copy_stream *cs, const char *s);
void copy_long(struct copy_stream *cs, long long v);
/* One field written as lower-case hex of `bytes` (the geometry column reads hex EWKB). */
void copy_hex(struct copy_stream *cs, const unsigned char *bytes, size_t n);
void copy_end_row(struct copy_stream *cs);
/* Ends the COPY; returns 0 when the server accepted every row. Frees the buffer either way. */
int copy_finish(struct copy_stream *cs, char *err, size_t errlen);
/* Abandons the COPY (the transaction is then aborted by the caller). */
void copy_abort(struct copy_stream *cs);

#endif
