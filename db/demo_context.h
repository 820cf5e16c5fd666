/* What every part of `rbmap demo-data` shares: the options, the reference ids read from
 * the database, the territories, and where the ids of each table this run fills start.
 * Filled once by demo_data.c before generation; read-only afterwards, except for the
 * per-département site lists that the first pass over the sites builds. */
#ifndef RBMAP_DB_DEMO_CONTEXT_H
#define RBMAP_DB_DEMO_CONTEXT_H
#include "db/demo_places.h"

#include <stdint.h>

/* Random streams: one per kind of object, indexed by the object's number. */
enum demo_stream {
    DEMO_STREAM_SITE = 1,
    DEMO_STREAM_SITE_PLACE,
    DEMO_STREAM_SITE_HISTORY,
    DEMO_STREAM_ACTION,
    DEMO_STREAM_ACTION_PLACE,
    DEMO_STREAM_USER,
};

enum { DEMO_TOPIC_COUNT = 5 };
#define DEMO_MAX_CLOSING_SOLUTIONS 16

struct demo_ctx {
    uint64_t seed;
    uint32_t n_sites, n_actions, n_users;
    int first_day;   /* 2018-01-01, days since 1970 */
    int end_day;     /* exclusive: every date is before it, every time before its midnight */
    int64_t end_time;

    struct demo_places places;

    /* ids from the seeded reference tables */
    int field_type_unknown, field_type_terrain, field_type_building;
    int owner_type_unknown, owner_type_public, owner_type_private;
    int origin_french, origin_european, origin_other;
    int closing_solutions[DEMO_MAX_CLOSING_SOLUTIONS]; /* in id order, as seeded */
    int n_closing_solutions;
    const char *topics[DEMO_TOPIC_COUNT]; /* health, school, work, housing, safety */

    /* Each table's rows get ids base+1, base+2...: 0 in a fresh database, so that a
     * seed always gives the same ids, and never colliding with rows already there. */
    int64_t base_site, base_history, base_owner, base_org, base_user, base_action, base_address,
        base_finance;
};

static inline int64_t demo_user_id(const struct demo_ctx *ctx, uint32_t k)
{
    return ctx->base_user + 1 + (int64_t)(k % ctx->n_users);
}

#endif
