/* Streaming rows into PostgreSQL with COPY ... FROM STDIN (text format), for bulk loads
 * (territories import, demo data). Promises: every value reaches the server as COPY
 * data, escaped here (backslash, tab, newline, carriage return), never as SQL text;
 * rows are buffered and sent in chunks of a few hundred kB, so memory does not grow
 * with the row count; a failure is remembered and reported once by copy_finish. */
#ifndef RBMAP_DB_COPY_STREAM_H
#define RBMAP_DB_COPY_STREAM_H
#include "util/buf.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

struct copy_stream {
    PGconn *conn;  /* NULL: rows only accumulate in buf (unit tests) */
    struct buf buf;
    int in_row;    /* a field was written since the last end of row */
    int failed;    /* out of memory or a send failed; copy_finish reports it */
    uint64_t rows;
    char err[512];
};

/* Prepares cs without starting a COPY (conn may be NULL). */
void copy_stream_init(struct copy_stream *cs, PGconn *conn);
/* Starts `copy_sql` (a COPY ... FROM STDIN statement). */
int copy_begin(struct copy_stream *cs, PGconn *conn, const char *copy_sql, char *err, size_t errlen);

void copy_null(struct copy_stream *cs);
/* One text field, escaped; NULL writes SQL NULL. */
void copy_text(struct copy_stream *cs, const char *s);
/* One field already in COPY form (a number the caller formatted), len bytes. */
void copy_field(struct copy_stream *cs, const char *formatted, size_t len);
void copy_long(struct copy_stream *cs, long long v);
/* One field written as lower-case hex of `bytes` (a geometry column reads hex EWKB). */
void copy_hex(struct copy_stream *cs, const unsigned char *bytes, size_t n);
/* Ends the row; sends the buffer when it is large. */
void copy_end_row(struct copy_stream *cs);

/* Sends the rest and ends the COPY; 0 when the server accepted every row. Frees the
 * buffer either way. */
int copy_finish(struct copy_stream *cs, char *err, size_t errlen);
/* Abandons the COPY (the caller then rolls its transaction back). */
void copy_abort(struct copy_stream *cs);

/* The COPY text-format escape of s, appended to b. */
void copy_escape(struct buf *b, const char *s);

#endif
