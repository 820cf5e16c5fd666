#include "db/copy_stream.h"

#include <stdio.h>
#include <string.h>

/* Big enough that libpq calls are rare, small enough to stay in cache. */
#define COPY_FLUSH_BYTES (256 * 1024)

static void copy_fail(struct copy_stream *cs, const char *msg)
{
    if (!cs->failed)
        snprintf(cs->err, sizeof cs->err, "%s", msg);
    cs->failed = 1;
}

void copy_stream_init(struct copy_stream *cs, PGconn *conn)
{
    memset(cs, 0, sizeof *cs);
    cs->conn = conn;
    buf_init(&cs->buf, 0);
}

int copy_begin(struct copy_stream *cs, PGconn *conn, const char *copy_sql, char *err, size_t errlen)
{
    copy_stream_init(cs, conn);
    PGresult *res = PQexec(conn, copy_sql);
    int ok = PQresultStatus(res) == PGRES_COPY_IN;
    if (!ok)
        snprintf(err, errlen, "%s", PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}

static void copy_send(struct copy_stream *cs)
{
    if (cs->buf.overflow)
        copy_fail(cs, "out of memory");
    if (!cs->failed && cs->conn && cs->buf.len && PQputCopyData(cs->conn, cs->buf.data, (int)cs->buf.len) != 1)
        copy_fail(cs, PQerrorMessage(cs->conn));
    buf_reset(&cs->buf);
}

static void copy_separator(struct copy_stream *cs)
{
    if (cs->in_row)
        buf_putc(&cs->buf, '\t');
    cs->in_row = 1;
}

void copy_escape(struct buf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *esc = NULL;
        switch (*s) {
        case '\\': esc = "\\\\"; break;
        case '\t': esc = "\\t"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        default: continue;
        }
        buf_append(b, run, (size_t)(s - run));
        buf_append(b, esc, 2);
        run = s + 1;
    }
    buf_append(b, run, (size_t)(s - run));
}

void copy_null(struct copy_stream *cs)
{
    copy_separator(cs);
    buf_append(&cs->buf, "\\N", 2);
}

void copy_text(struct copy_stream *cs, const char *s)
{
    if (!s) {
        copy_null(cs);
        return;
    }
    copy_separator(cs);
    copy_escape(&cs->buf, s);
}

void copy_field(struct copy_stream *cs, const char *formatted, size_t len)
{
    copy_separator(cs);
    buf_append(&cs->buf, formatted, len);
}

void copy_long(struct copy_stream *cs, long long v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lld", v);
    copy_field(cs, tmp, (size_t)n);
}

void copy_hex(struct copy_stream *cs, const unsigned char *bytes, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    copy_separator(cs);
    char chunk[512];
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        chunk[used++] = digits[bytes[i] >> 4];
        chunk[used++] = digits[bytes[i] & 15];
        if (used == sizeof chunk) {
            buf_append(&cs->buf, chunk, used);
            used = 0;
        }
    }
    buf_append(&cs->buf, chunk, used);
}

void copy_end_row(struct copy_stream *cs)
{
    buf_putc(&cs->buf, '\n');
    cs->in_row = 0;
    cs->rows++;
    if (cs->conn && cs->buf.len >= COPY_FLUSH_BYTES)
        copy_send(cs);
}

int copy_finish(struct copy_stream *cs, char *err, size_t errlen)
{
    copy_send(cs);
    buf_free(&cs->buf);
    int rc = 0;
    if (cs->failed) {
        /* Still end the COPY so the connection leaves COPY mode, with an error. */
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
    return rc;
}

void copy_abort(struct copy_stream *cs)
{
    copy_fail(cs, "load aborted");
    char ignored[16];
    copy_finish(cs, ignored, sizeof ignored);
}
