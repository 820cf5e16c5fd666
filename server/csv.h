/* RFC 4180 CSV reading and writing for the batch geocoder (server/route_geocode_csv.c).
 * Reading is bounded: a record longer than CSV_MAX_RECORD bytes or with more than
 * CSV_MAX_FIELDS fields is an error, so a hostile upload cannot make one row huge. */
#ifndef RBMAP_SERVER_CSV_H
#define RBMAP_SERVER_CSV_H
#include "util/buf.h"

#include <stddef.h>

#define CSV_MAX_FIELDS 256
#define CSV_MAX_RECORD (64 * 1024)

struct csv_reader {
    const char *p, *end;
    char delim;
    long line; /* 1-based line where the last record started, for messages */
    struct buf scratch;
};

/* Starts reading data (a leading UTF-8 BOM is skipped); delim 0 = guess ',' ';' or tab
 * from the first line. csv_reader_free releases the scratch buffer. */
void csv_reader_init(struct csv_reader *r, const char *data, size_t len, char delim);
void csv_reader_free(struct csv_reader *r);
/* Next non-blank record: fields[i] point into r->scratch (valid until the next call).
 * Returns the field count, 0 at the end, -1 with a message in err when malformed. */
int csv_next(struct csv_reader *r, const char **fields, char *err, size_t errlen);
/* Appends one field, quoted only when it holds the delimiter, a quote or a line break. */
void csv_put_field(struct buf *out, const char *s, char delim, int first);

#endif
