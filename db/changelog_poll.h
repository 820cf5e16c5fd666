/* Reading the change log (db/migrations/005) instead of LISTEN, for servers that read a
 * streaming replica, where NOTIFY never arrives. A cursor remembers the last sequence
 * number seen; a poll reads the rows after it into a change batch. Sequence numbers are
 * taken at insert, not at commit, so a row can become visible after a higher one: the
 * gaps seen are kept as "holes" and asked for again for HOLE_TTL_S seconds (a gap that
 * never fills is a rolled-back transaction). */
#ifndef RBMAP_DB_CHANGELOG_POLL_H
#define RBMAP_DB_CHANGELOG_POLL_H
#include "db/change_batch.h"

#include <libpq-fe.h>

#define CHANGELOG_MAX_HOLES 32

struct changelog_cursor {
    long long last_seq;
    long long holes[CHANGELOG_MAX_HOLES];
    long long hole_since[CHANGELOG_MAX_HOLES]; /* monotonic ms when first seen */
    int n_holes;
    double replay_delay_s; /* replica: seconds since the last replayed transaction; -1 on a primary */
};

/* Puts the cursor at the current end of the log (before a full reload, so that
 * nothing written after the reload's snapshot is missed). */
int changelog_cursor_start(PGconn *conn, struct changelog_cursor *cursor, int deadline_ms, char *err,
                           size_t errlen);

/* Adds the rows after the cursor (and the holes that filled) to batch and advances the
 * cursor. Returns the number of rows read, or -1 with err (connection or query error). */
int changelog_poll(PGconn *conn, struct changelog_cursor *cursor, struct change_batch *batch, int deadline_ms,
                   char *err, size_t errlen);

#endif
