/* Demo actions and the people who run them: organisations, users, actions with their
 * topics, ETI addresses, linked sites, operators and yearly finances. Like sites, an
 * action is a pure function of (context, index) and each table is one COPY pass.
 * Promises: every action of type eti has 1-3 addresses of its own in communes of its
 * département; every sur_site action links 1-3 distinct sites of its département, the
 * first of which was open when the action started; `autre` and only `autre` has a
 * location_other (the schema's CHECK); operators are users of the associations. */
#ifndef RBMAP_DB_DEMO_ACTIONS_H
#define RBMAP_DB_DEMO_ACTIONS_H
#include "db/demo_context.h"

#include <libpq-fe.h>
#include <stdint.h>

struct demo_action_address {
    uint32_t commune;
    double lat, lon;
    char address[320];
};

struct demo_action_finance {
    int year;
    const char *type;
    int64_t amount_cents, real_amount_cents; /* real: DEMO_NULL_INT when not spent yet */
    const char *comments;
};

struct demo_action {
    uint32_t index;
    int64_t id;
    uint32_t dept;
    const char *location_type;
    char ref[32], name[320], location_other[320];
    const char *goals;
    int started_at, ended_at;
    int64_t created_at, updated_at, created_by, updated_by;
    unsigned topics; /* bit i: ctx->topics[i] */
    int naddresses, nsites, noperators, nfinances;
    struct demo_action_address addresses[3];
    int64_t sites[3];
    int64_t operators[2];
    struct demo_action_finance finances[24];
};

/* With place = 0 the addresses get their communes but no point (polygons not loaded). */
void demo_action_generate(const struct demo_ctx *ctx, uint32_t index, int place, struct demo_action *a);

/* The number of users for a run of n_sites sites (at least one per organisation). */
uint32_t demo_user_count(uint32_t n_sites);

struct progress;
/* organizations then users. */
int64_t demo_copy_people(const struct demo_ctx *ctx, PGconn *conn, char *err, size_t errlen);
/* actions, action_topics, action_addresses, action_shantytowns, action_operators,
 * action_finances. */
int64_t demo_copy_actions(const struct demo_ctx *ctx, PGconn *conn, struct progress *progress, char *err,
                          size_t errlen);

#endif
