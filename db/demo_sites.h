/* Demo shantytown sites: one site is a pure function of (context, index), so the
 * tables that describe it (shantytowns, "ShantytownHistories", origins, owners,
 * closing solutions) are written in separate COPY passes that regenerate each site
 * instead of holding a million of them in memory. Promises, for every site: the
 * schema's CHECKs hold (open iff closed_at IS NULL; closed_at after built_at);
 * built_at <= declared_at, every date in [ctx->first_day, ctx->end_day); justice,
 * police and order dates follow each other and precede the closing; population
 * details add up to the totals. */
#ifndef RBMAP_DB_DEMO_SITES_H
#define RBMAP_DB_DEMO_SITES_H
#include "db/demo_context.h"
#include "db/demo_copy.h"

#include <stdint.h>

struct demo_closing {
    int solution; /* closing_solutions id */
    int people, households;
    const char *message;
};

struct demo_owner {
    char name[160];
    int owner_type;
    int64_t created_at;
};

struct demo_site {
    uint32_t index;
    int64_t id;
    uint32_t commune, dept;
    double lat, lon;
    char name[128]; /* empty: no name */
    char address[320];
    const char *address_details;
    int built_at, declared_at;
    int64_t closed_at;
    const char *status, *closing_context, *closed_with_solutions;
    int is_reinstallation;
    const char *reinstallation_comments;
    int resorption_target, heatwave;
    int field_type, owner_type;
    /* population and dwellings */
    int pop_total, pop_females, pop_couples, pop_minors, pop_minors_girls;
    int minors_0_3, minors_3_6, minors_6_12, minors_12_16, minors_16_18, minors_in_school;
    int64_t population_updated_at;
    int caravans, huts, tents, cars, mattresses;
    const char *census_status, *census_by;
    int census_at;
    /* living conditions, version 2 */
    const char *water_type, *water_type_details, *water_continuous_details, *water_unequal_details,
        *water_comments;
    int water_public, water_continuous, water_local, water_close, water_unequal, water_stagnant;
    int sanitary_open_air, sanitary_working, sanitary_inside, sanitary_lighted, sanitary_hand_washing;
    int electricity, electricity_unequal;
    int trash_piling, trash_close, trash_safe, trash_regular, trash_bulky;
    int pests, fire_prevention;
    const char *pest_details;
    /* justice, police, administrative orders (sensitive) */
    int owner_complaint, justice_procedure, justice_rendered, justice_rendered_at, justice_challenged;
    char justice_rendered_by[200];
    const char *police_status;
    int police_requested_at, police_granted_at;
    char bailiff[128];
    int existing_litigation, evacuation_under_time_limit;
    int order_decision_at, order_evacuation_at;
    char order_rendered_by[300];
    int insalubrity_order, insalubrity_displayed, insalubrity_at;
    const char *insalubrity_type;
    char insalubrity_by[300], insalubrity_parcels[64];
    /* bookkeeping */
    int64_t created_at, updated_at, created_by, updated_by;
    /* child rows */
    unsigned origins; /* bit 0 french, 1 european, 2 other */
    int nclosing, nowners, nhistory;
    struct demo_closing closing[3];
    struct demo_owner owners[2];
};

/* Only the commune (first draws of the site's stream): cheap, for the first pass. */
uint32_t demo_site_commune(const struct demo_ctx *ctx, uint32_t index);

/* The whole site; with place = 0 its point is left at 0,0 (polygons not loaded yet). */
void demo_site_generate(const struct demo_ctx *ctx, uint32_t index, int place, struct demo_site *s);

/* Places a site generated with place = 0 (its point has a stream of its own). */
void demo_site_place(const struct demo_ctx *ctx, struct demo_site *s);

/* Version `version` (0 = oldest) of the site's s->nhistory previous versions, as the
 * row was before it was replaced at *archived_at. */
void demo_site_version(const struct demo_ctx *ctx, const struct demo_site *s, int version, struct demo_site *v,
                       int64_t *archived_at);

/* The COPY passes; each returns the row count or -1 with err set. `progress` may be NULL. */
struct progress;
int64_t demo_copy_sites(const struct demo_ctx *ctx, PGconn *conn, struct progress *progress, char *err,
                        size_t errlen);
int64_t demo_copy_site_histories(const struct demo_ctx *ctx, PGconn *conn, struct progress *progress, char *err,
                                 size_t errlen);
int64_t demo_copy_site_children(const struct demo_ctx *ctx, PGconn *conn, struct progress *progress, char *err,
                                size_t errlen);

#endif
