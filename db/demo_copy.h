/* The value formats of `rbmap demo-data`'s COPY rows (numbers, coordinates, money,
 * dates and times written by hand: a million wide rows make snprintf the hot spot),
 * over the shared COPY writer db/copy_stream.h, which escapes text and streams rows. */
#ifndef RBMAP_DB_DEMO_COPY_H
#define RBMAP_DB_DEMO_COPY_H
#include "db/copy_stream.h"
#include "util/buf.h"

#include <libpq-fe.h>
#include <stdint.h>

/* "No value" markers for the nullable fields the generator fills. */
#define DEMO_NULL_INT INT32_MIN
#define DEMO_NO_DATE INT32_MIN
#define DEMO_NO_TIME INT64_MIN
/* Booleans are tri-state: 0, 1, or DEMO_NULL_BOOL. */
#define DEMO_NULL_BOOL (-1)

struct demo_copy {
    struct copy_stream cs;
};

/* Starts `sql` (a COPY ... FROM STDIN statement). */
int demo_copy_begin(struct demo_copy *c, PGconn *conn, const char *sql, char *err, size_t errlen);

void demo_put_null(struct demo_copy *c);
void demo_put_text(struct demo_copy *c, const char *s);       /* NULL pointer -> SQL NULL */
void demo_put_int(struct demo_copy *c, int64_t v);            /* DEMO_NULL_INT -> SQL NULL */
void demo_put_bool(struct demo_copy *c, int v);               /* DEMO_NULL_BOOL -> SQL NULL */
void demo_put_coord(struct demo_copy *c, double v);           /* 7 decimals, ~1 cm */
void demo_put_money(struct demo_copy *c, int64_t cents);
void demo_put_date(struct demo_copy *c, int day);             /* days since 1970; DEMO_NO_DATE */
void demo_put_time(struct demo_copy *c, int64_t epoch_s);     /* UTC timestamptz; DEMO_NO_TIME */
/* Ends the row; sends the buffer when it is large. */
void demo_copy_end_row(struct demo_copy *c);

/* Sends the rest and ends the COPY; returns the row count or -1 with the server's error. */
int64_t demo_copy_finish(struct demo_copy *c, char *err, size_t errlen);

/* Rounds a coordinate to the precision demo_put_coord writes, so that a point tested in C
 * is exactly the point stored. */
double demo_round_coord(double v);

#endif
