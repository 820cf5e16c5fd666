#include "db/changelog_poll.h"

#include "db/connect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOLE_TTL_S 30
#define POLL_MAX_ROWS 1000 /* more at once: reload everything */

static long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int changelog_cursor_start(PGconn *conn, struct changelog_cursor *cursor, int deadline_ms, char *err,
                           size_t errlen)
{
    int timed_out;
    PGresult *r = db_query_deadline(conn, "SELECT coalesce(max(seq), 0) FROM rbmap_change_log", 0, NULL,
                                    deadline_ms, &timed_out, err, errlen);
    int ok = r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    if (ok) {
        memset(cursor, 0, sizeof(*cursor));
        cursor->last_seq = atoll(PQgetvalue(r, 0, 0));
        cursor->replay_delay_s = -1;
    }
    PQclear(r);
    return ok ? 0 : -1;
}

static void forget_hole(struct changelog_cursor *c, int i)
{
    c->holes[i] = c->holes[c->n_holes - 1];
    c->hole_since[i] = c->hole_since[c->n_holes - 1];
    c->n_holes--;
}

static void add_hole(struct changelog_cursor *c, long long seq, long long now)
{
    if (c->n_holes == CHANGELOG_MAX_HOLES)
        forget_hole(c, 0); /* the periodic reconcile covers what is dropped here */
    c->holes[c->n_holes] = seq;
    c->hole_since[c->n_holes] = now;
    c->n_holes++;
}

/* "{1,2,3}": the holes as a bigint[] literal for $2. */
static void holes_literal(const struct changelog_cursor *c, char *out, size_t outlen)
{
    size_t n = (size_t)snprintf(out, outlen, "{");
    for (int i = 0; i < c->n_holes && n < outlen; i++)
        n += (size_t)snprintf(out + n, outlen - n, "%s%lld", i ? "," : "", c->holes[i]);
    if (n < outlen)
        snprintf(out + n, outlen - n, "}");
}

int changelog_poll(PGconn *conn, struct changelog_cursor *cursor, struct change_batch *batch, int deadline_ms,
                   char *err, size_t errlen)
{
    long long now = monotonic_ms();
    for (int i = cursor->n_holes - 1; i >= 0; i--)
        if (now - cursor->hole_since[i] > HOLE_TTL_S * 1000LL)
            forget_hole(cursor, i);
    char last[32], holes[CHANGELOG_MAX_HOLES * 22 + 4], limit[16];
    snprintf(last, sizeof last, "%lld", cursor->last_seq);
    holes_literal(cursor, holes, sizeof holes);
    snprintf(limit, sizeof limit, "%d", POLL_MAX_ROWS + 1);
    const char *values[] = {last, holes, limit};
    int timed_out;
    PGresult *r = db_query_deadline(conn,
                                    "SELECT seq, payload::text,"
                                    " extract(epoch FROM now() - pg_last_xact_replay_timestamp())"
                                    " FROM rbmap_change_log WHERE seq > $1 OR seq = ANY($2::bigint[])"
                                    " UNION ALL SELECT NULL, NULL,"
                                    " extract(epoch FROM now() - pg_last_xact_replay_timestamp())"
                                    " ORDER BY 1 NULLS FIRST LIMIT $3",
                                    3, values, deadline_ms, &timed_out, err, errlen);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return -1;
    }
    int rows = PQntuples(r);
    /* Row 0 is the one that always exists: it carries the replica's delay. */
    cursor->replay_delay_s = rows && !PQgetisnull(r, 0, 2) ? atof(PQgetvalue(r, 0, 2)) : -1;
    if (rows > POLL_MAX_ROWS)
        batch->reload_all = true;
    for (int i = 1; i < rows; i++) {
        long long seq = atoll(PQgetvalue(r, i, 0));
        change_batch_add(batch, PQgetvalue(r, i, 1));
        int was_hole = 0;
        for (int h = 0; h < cursor->n_holes; h++)
            if (cursor->holes[h] == seq) {
                forget_hole(cursor, h);
                was_hole = 1;
                break;
            }
        if (was_hole || seq <= cursor->last_seq)
            continue;
        for (long long gap = cursor->last_seq + 1; gap < seq && gap < cursor->last_seq + 1 + CHANGELOG_MAX_HOLES; gap++)
            add_hole(cursor, gap, now);
        cursor->last_seq = seq;
    }
    PQclear(r);
    return rows > 0 ? rows - 1 : 0;
}
