/* The COPY passes over the demo sites (see demo_sites.h): each pass regenerates the
 * sites one by one and streams one table. The column lists and the writers below must
 * stay in the same order. */
#include "db/demo_sites.h"

#include "util/progress.h"

#include <stdio.h>
#include <string.h>

#define SITE_COLUMNS                                                                                        \
    "shantytown_id, name, address, address_details, latitude, longitude, fk_city, built_at, declared_at,"  \
    " closed_at, status, closing_context, closed_with_solutions, is_reinstallation,"                      \
    " reinstallation_comments, resorption_target, heatwave_status, fk_field_type, fk_owner_type,"          \
    " population_total, population_total_females, population_couples, population_minors,"                \
    " population_minors_girls, population_minors_0_3, population_minors_3_6, population_minors_6_12,"     \
    " population_minors_12_16, population_minors_16_18, minors_in_school, population_updated_at,"         \
    " caravans, huts, tents, cars, mattresses, census_status, census_conducted_at, census_conducted_by,"   \
    " living_conditions_version, water_access_type, water_access_type_details, water_access_is_public,"   \
    " water_access_is_continuous, water_access_is_continuous_details, water_access_is_local,"             \
    " water_access_is_close, water_access_is_unequal, water_access_is_unequal_details,"                   \
    " water_access_has_stagnant_water, water_access_comments, sanitary_access_open_air_defecation,"       \
    " sanitary_access_working_toilets, sanitary_access_toilets_are_inside,"                               \
    " sanitary_access_toilets_are_lighted, sanitary_access_hand_washing, electricity_access,"             \
    " electricity_access_is_unequal, trash_is_piling, trash_evacuation_is_close,"                         \
    " trash_evacuation_is_safe, trash_evacuation_is_regular, trash_bulky_is_piling, pest_animals,"        \
    " pest_animals_details, fire_prevention, owner_complaint, justice_procedure, justice_rendered,"       \
    " justice_rendered_at, justice_rendered_by, justice_challenged, police_status, police_requested_at,"  \
    " police_granted_at, bailiff, existing_litigation, evacuation_under_time_limit,"                      \
    " administrative_order_decision_at, administrative_order_decision_rendered_by,"                       \
    " administrative_order_evacuation_at, insalubrity_order, insalubrity_order_displayed,"                \
    " insalubrity_order_type, insalubrity_order_by, insalubrity_order_at, insalubrity_parcels,"           \
    " created_at, created_by, updated_at, updated_by"

static const char *or_null(const char *s) { return s && *s ? s : NULL; }

static void write_site_columns(const struct demo_ctx *ctx, struct demo_copy *c, const struct demo_site *s)
{
    demo_put_int(c, s->id);
    demo_put_text(c, or_null(s->name));
    demo_put_text(c, s->address);
    demo_put_text(c, s->address_details);
    demo_put_coord(c, s->lat);
    demo_put_coord(c, s->lon);
    demo_put_text(c, ctx->places.communes[s->commune].code);
    demo_put_date(c, s->built_at);
    demo_put_date(c, s->declared_at);
    demo_put_time(c, s->closed_at);
    demo_put_text(c, s->status);
    demo_put_text(c, s->closing_context);
    demo_put_text(c, s->closed_with_solutions);
    demo_put_bool(c, s->is_reinstallation);
    demo_put_text(c, s->reinstallation_comments);
    demo_put_int(c, s->resorption_target);
    demo_put_bool(c, s->heatwave);
    demo_put_int(c, s->field_type);
    demo_put_int(c, s->owner_type);

    demo_put_int(c, s->pop_total);
    demo_put_int(c, s->pop_females);
    demo_put_int(c, s->pop_couples);
    demo_put_int(c, s->pop_minors);
    demo_put_int(c, s->pop_minors_girls);
    demo_put_int(c, s->minors_0_3);
    demo_put_int(c, s->minors_3_6);
    demo_put_int(c, s->minors_6_12);
    demo_put_int(c, s->minors_12_16);
    demo_put_int(c, s->minors_16_18);
    demo_put_int(c, s->minors_in_school);
    demo_put_time(c, s->population_updated_at);
    demo_put_int(c, s->caravans);
    demo_put_int(c, s->huts);
    demo_put_int(c, s->tents);
    demo_put_int(c, s->cars);
    demo_put_int(c, s->mattresses);
    demo_put_text(c, s->census_status);
    demo_put_date(c, s->census_at);
    demo_put_text(c, s->census_status && strcmp(s->census_status, "none") ? s->census_by : NULL);

    demo_put_int(c, 2);
    demo_put_text(c, s->water_type);
    demo_put_text(c, s->water_type_details);
    demo_put_bool(c, s->water_public);
    demo_put_bool(c, s->water_continuous);
    demo_put_text(c, s->water_continuous_details);
    demo_put_bool(c, s->water_local);
    demo_put_bool(c, s->water_close);
    demo_put_bool(c, s->water_unequal);
    demo_put_text(c, s->water_unequal_details);
    demo_put_bool(c, s->water_stagnant);
    demo_put_text(c, s->water_comments);
    demo_put_bool(c, s->sanitary_open_air);
    demo_put_bool(c, s->sanitary_working);
    demo_put_bool(c, s->sanitary_inside);
    demo_put_bool(c, s->sanitary_lighted);
    demo_put_bool(c, s->sanitary_hand_washing);
    demo_put_bool(c, s->electricity);
    demo_put_bool(c, s->electricity_unequal);
    demo_put_bool(c, s->trash_piling);
    demo_put_bool(c, s->trash_close);
    demo_put_bool(c, s->trash_safe);
    demo_put_bool(c, s->trash_regular);
    demo_put_bool(c, s->trash_bulky);
    demo_put_bool(c, s->pests);
    demo_put_text(c, s->pest_details);
    demo_put_bool(c, s->fire_prevention);

    demo_put_bool(c, s->owner_complaint);
    demo_put_bool(c, s->justice_procedure);
    demo_put_bool(c, s->justice_rendered);
    demo_put_date(c, s->justice_rendered_at);
    demo_put_text(c, or_null(s->justice_rendered_by));
    demo_put_bool(c, s->justice_challenged);
    demo_put_text(c, s->police_status);
    demo_put_date(c, s->police_requested_at);
    demo_put_date(c, s->police_granted_at);
    demo_put_text(c, or_null(s->bailiff));
    demo_put_bool(c, s->existing_litigation);
    demo_put_bool(c, s->evacuation_under_time_limit);
    demo_put_date(c, s->order_decision_at);
    demo_put_text(c, or_null(s->order_rendered_by));
    demo_put_date(c, s->order_evacuation_at);
    demo_put_bool(c, s->insalubrity_order);
    demo_put_bool(c, s->insalubrity_displayed);
    demo_put_text(c, s->insalubrity_type);
    demo_put_text(c, or_null(s->insalubrity_by));
    demo_put_date(c, s->insalubrity_at);
    demo_put_text(c, or_null(s->insalubrity_parcels));

    demo_put_time(c, s->created_at);
    demo_put_int(c, s->created_by);
    demo_put_time(c, s->updated_at);
    demo_put_int(c, s->updated_by);
}

/* Progress is reported every few thousand rows: often enough for the bar. */
static void tick(struct progress *p, uint32_t i)
{
    if (p && (i & 4095) == 4095)
        progress_update(p, (uint64_t)i + 1);
}

int64_t demo_copy_sites(const struct demo_ctx *ctx, PGconn *conn, struct progress *progress, char *err,
                        size_t errlen)
{
    struct demo_copy c;
    if (demo_copy_begin(&c, conn, "COPY shantytowns (" SITE_COLUMNS ") FROM STDIN", err, errlen) < 0)
        return -1;
    struct demo_site s;
    for (uint32_t i = 0; i < ctx->n_sites; i++) {
        demo_site_generate(ctx, i, 1, &s);
        write_site_columns(ctx, &c, &s);
        demo_copy_end_row(&c);
        tick(progress, i);
    }
    if (progress)
        progress_update(progress, ctx->n_sites);
    return demo_copy_finish(&c, err, errlen);
}

int64_t demo_copy_site_histories(const struct demo_ctx *ctx, PGconn *conn, struct progress *progress, char *err,
                                 size_t errlen)
{
    struct demo_copy c;
    if (demo_copy_begin(&c, conn, "COPY \"ShantytownHistories\" (hid, \"archivedAt\", " SITE_COLUMNS ") FROM STDIN",
                   err, errlen) < 0)
        return -1;
    struct demo_site s, v;
    int64_t hid = ctx->base_history;
    for (uint32_t i = 0; i < ctx->n_sites; i++) {
        demo_site_generate(ctx, i, 0, &s);
        if (s.nhistory)
            demo_site_place(ctx, &s);
        for (int k = 0; k < s.nhistory; k++) {
            int64_t archived_at;
            demo_site_version(ctx, &s, k, &v, &archived_at);
            demo_put_int(&c, ++hid);
            demo_put_time(&c, archived_at);
            write_site_columns(ctx, &c, &v);
            demo_copy_end_row(&c);
        }
        tick(progress, i);
    }
    if (progress)
        progress_update(progress, ctx->n_sites);
    return demo_copy_finish(&c, err, errlen);
}

enum child_table { CHILD_ORIGINS, CHILD_OWNERS, CHILD_CLOSING, CHILD_TABLES };

static const char *const CHILD_COPY[CHILD_TABLES] = {
    "COPY shantytown_origins (fk_shantytown, fk_social_origin) FROM STDIN",
    "COPY shantytown_parcel_owners (shantytown_parcel_owner_id, fk_shantytown, fk_user, owner_name,"
    " fk_owner_type, active, created_at) FROM STDIN",
    "COPY shantytown_closing_solutions (fk_shantytown, fk_closing_solution, number_of_people_affected,"
    " number_of_households_affected, message) FROM STDIN",
};

static void write_children(const struct demo_ctx *ctx, struct demo_copy *c, enum child_table t,
                           const struct demo_site *s, int64_t *owner_id)
{
    switch (t) {
    case CHILD_ORIGINS: {
        const int ids[3] = {ctx->origin_french, ctx->origin_european, ctx->origin_other};
        for (int k = 0; k < 3; k++)
            if (s->origins & (1u << k)) {
                demo_put_int(c, s->id);
                demo_put_int(c, ids[k]);
                demo_copy_end_row(c);
            }
        break;
    }
    case CHILD_OWNERS:
        for (int k = 0; k < s->nowners; k++) {
            demo_put_int(c, ++*owner_id);
            demo_put_int(c, s->id);
            demo_put_int(c, s->created_by);
            demo_put_text(c, s->owners[k].name);
            demo_put_int(c, s->owners[k].owner_type);
            demo_put_bool(c, 1);
            demo_put_time(c, s->owners[k].created_at);
            demo_copy_end_row(c);
        }
        break;
    case CHILD_CLOSING:
        for (int k = 0; k < s->nclosing; k++) {
            demo_put_int(c, s->id);
            demo_put_int(c, s->closing[k].solution);
            demo_put_int(c, s->closing[k].people);
            demo_put_int(c, s->closing[k].households);
            demo_put_text(c, s->closing[k].message);
            demo_copy_end_row(c);
        }
        break;
    default: break;
    }
}

int64_t demo_copy_site_children(const struct demo_ctx *ctx, PGconn *conn, struct progress *progress, char *err,
                                size_t errlen)
{
    int64_t total = 0;
    int64_t owner_id = ctx->base_owner;
    struct demo_site s;
    for (int t = 0; t < CHILD_TABLES; t++) {
        struct demo_copy c;
        if (demo_copy_begin(&c, conn, CHILD_COPY[t], err, errlen) < 0)
            return -1;
        for (uint32_t i = 0; i < ctx->n_sites; i++) {
            /* Children need no point: skip the placement. */
            demo_site_generate(ctx, i, 0, &s);
            write_children(ctx, &c, (enum child_table)t, &s, &owner_id);
            tick(progress, (uint32_t)((uint64_t)t * ctx->n_sites + i));
        }
        int64_t n = demo_copy_finish(&c, err, errlen);
        if (n < 0)
            return -1;
        total += n;
    }
    if (progress)
        progress_update(progress, (uint64_t)CHILD_TABLES * ctx->n_sites);
    return total;
}
