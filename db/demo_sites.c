/* Generating one demo site from its own random stream (see demo_sites.h). The
 * proportions are estimates after the platform's public figures (notes/platform.md §6),
 * not platform data. */
#include "db/demo_sites.h"

#include "db/demo_words.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DAY 86400

/* A moment during office hours of `day`, when people fill in the platform. */
static int64_t office_time(struct demo_rng *r, int day)
{
    return (int64_t)day * DAY + (8 + demo_below(r, 11)) * 3600 + demo_below(r, 3600);
}

static int min_int(int a, int b) { return a < b ? a : b; }
static int max_int(int a, int b) { return a > b ? a : b; }
static int64_t min_i64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max_i64(int64_t a, int64_t b) { return a > b ? a : b; }

/* 0/1 with probability p of 1, or NULL with probability p_null. */
static int tri(struct demo_rng *r, double p, double p_null)
{
    if (demo_chance(r, p_null))
        return DEMO_NULL_BOOL;
    return demo_chance(r, p);
}

uint32_t demo_site_commune(const struct demo_ctx *ctx, uint32_t index)
{
    struct demo_rng r;
    demo_rng_init(&r, ctx->seed, DEMO_STREAM_SITE, index);
    return demo_places_pick(&ctx->places, &r);
}

static const char *const CLOSED_STATUSES[] = {"closed_by_justice", "closed_by_pref_admin", "closed_by_city_admin",
                                              "resorbed", "other", "unknown"};
static const double CLOSED_STATUS_WEIGHTS[] = {26, 18, 12, 14, 18, 12};

static void generate_dates(const struct demo_ctx *ctx, struct demo_rng *r, int open, struct demo_site *s)
{
    int first = ctx->first_day, last = ctx->end_day - 1;
    if (open) {
        /* Open today: mostly recent, some installed for years. */
        int age = (int)demo_exponential(r, 700);
        if (age > last - first)
            age = (int)demo_below(r, (uint32_t)(last - first + 1));
        s->declared_at = last - age;
        int built = s->declared_at - (int)demo_exponential(r, 40);
        s->built_at = built >= first ? built : demo_range(r, first, s->declared_at);
        s->closed_at = DEMO_NO_TIME;
        s->status = "open";
    } else {
        s->status = CLOSED_STATUSES[demo_pick(r, CLOSED_STATUS_WEIGHTS, DEMO_ARRAY_LEN(CLOSED_STATUS_WEIGHTS))];
        /* Evictions take a procedure: months for a court, weeks for an order. */
        int min_life = !strcmp(s->status, "closed_by_justice") ? 60
                       : !strcmp(s->status, "closed_by_pref_admin") || !strcmp(s->status, "closed_by_city_admin") ? 15
                                                                                                                  : 3;
        int closed = demo_range(r, first + 30, last);
        int built = closed - min_life - (int)demo_exponential(r, 330);
        s->built_at = built >= first ? built : demo_range(r, first, max_int(first, closed - min_life));
        s->declared_at = s->built_at + min_int((int)demo_exponential(r, 30), closed - 1 - s->built_at);
        s->closed_at = office_time(r, closed);
    }
}

/* The day the site stopped evolving: its closing, or the end of the history. */
static int last_active_day(const struct demo_ctx *ctx, const struct demo_site *s)
{
    return s->closed_at == DEMO_NO_TIME ? ctx->end_day - 1 : (int)(s->closed_at / DAY) - 1;
}

static void generate_population(struct demo_rng *r, int building, struct demo_site *s)
{
    int *fields[] = {&s->pop_total, &s->pop_females, &s->pop_couples, &s->pop_minors, &s->pop_minors_girls,
                     &s->minors_0_3, &s->minors_3_6, &s->minors_6_12, &s->minors_12_16, &s->minors_16_18,
                     &s->minors_in_school, &s->caravans, &s->huts, &s->tents, &s->cars, &s->mattresses};
    for (size_t i = 0; i < DEMO_ARRAY_LEN(fields); i++)
        *fields[i] = DEMO_NULL_INT;
    if (demo_chance(r, 0.08))
        return; /* never counted */
    double total = demo_lognormal(r, building ? 40 : 28, 0.9);
    s->pop_total = (int)fmax(1, fmin(900, round(total)));
    s->pop_couples = max_int(1, (int)round(s->pop_total / (2.8 + 1.7 * demo_unit(r))));
    s->pop_couples = min_int(s->pop_couples, s->pop_total);
    /* Every household has at least one adult. */
    s->pop_minors = min_int((int)round(s->pop_total * (0.2 + 0.3 * demo_unit(r))), s->pop_total - s->pop_couples);
    s->pop_females = (int)round(s->pop_total * (0.42 + 0.13 * demo_unit(r)));
    if (demo_chance(r, 0.7))
        s->pop_minors_girls = (int)round(s->pop_minors * (0.4 + 0.2 * demo_unit(r)));
    if (demo_chance(r, 0.65)) {
        static const double base[] = {0.2, 0.17, 0.3, 0.2, 0.13};
        int *buckets[] = {&s->minors_0_3, &s->minors_3_6, &s->minors_6_12, &s->minors_12_16, &s->minors_16_18};
        double w[5], sum = 0;
        for (int i = 0; i < 5; i++)
            sum += w[i] = base[i] * (0.6 + 0.8 * demo_unit(r));
        int given = 0;
        for (int i = 0; i < 5; i++)
            given += *buckets[i] = (int)floor(s->pop_minors * w[i] / sum);
        s->minors_6_12 += s->pop_minors - given;
        int schoolable = s->minors_3_6 + s->minors_6_12 + s->minors_12_16;
        s->minors_in_school = (int)round(schoolable * (0.3 + 0.6 * demo_unit(r)));
    } else if (demo_chance(r, 0.5)) {
        s->minors_in_school = (int)round(s->pop_minors * 0.5 * demo_unit(r));
    }
    if (demo_chance(r, 0.15))
        return; /* dwellings not described */
    if (building) {
        s->huts = s->caravans = s->tents = s->cars = 0;
        s->mattresses = (int)round(s->pop_total * (0.5 + 0.4 * demo_unit(r)));
    } else {
        s->huts = (int)round(s->pop_couples * (0.4 + 0.8 * demo_unit(r)));
        s->caravans = demo_chance(r, 0.5) ? (int)round(s->pop_couples * 0.6 * demo_unit(r)) : 0;
        s->tents = demo_chance(r, 0.3) ? demo_range(r, 1, 6) : 0;
        s->cars = demo_range(r, 0, 3);
        s->mattresses = demo_chance(r, 0.2) ? demo_range(r, 0, s->pop_total) : DEMO_NULL_INT;
    }
}

static void generate_living_conditions(struct demo_rng *r, struct demo_site *s)
{
    static const char *const TYPES[] = {"fontaine_publique", "borne_incendie", "achat_bouteille", "reservoir",
                                        "robinet_connecte_au_reseau", "autre", "inconnu"};
    static const double WEIGHTS[] = {20, 15, 10, 8, 22, 5, 20};
    size_t t = demo_pick(r, WEIGHTS, DEMO_ARRAY_LEN(WEIGHTS));
    s->water_type = TYPES[t];
    s->water_type_details = t == 5 ? "Citerne apportée par la commune" : NULL;
    s->water_continuous_details = s->water_unequal_details = s->water_comments = NULL;
    if (t == 6) {
        s->water_public = s->water_continuous = s->water_local = s->water_close = s->water_unequal =
            s->water_stagnant = DEMO_NULL_BOOL;
    } else {
        s->water_public = t <= 1 ? 1 : t == 4 ? demo_chance(r, 0.3) : 0;
        s->water_continuous = demo_chance(r, 0.6);
        if (!s->water_continuous && demo_chance(r, 0.5))
            s->water_continuous_details = demo_water_details(r);
        s->water_local = demo_chance(r, 0.4);
        s->water_close = demo_chance(r, 0.6);
        s->water_unequal = demo_chance(r, 0.3);
        if (s->water_unequal && demo_chance(r, 0.5))
            s->water_unequal_details = "Les familles du fond du terrain n'y ont pas accès";
        s->water_stagnant = demo_chance(r, 0.35);
        if (demo_chance(r, 0.1))
            s->water_comments = demo_water_details(r);
    }
    if (demo_chance(r, 0.2)) {
        s->sanitary_open_air = s->sanitary_working = s->sanitary_inside = s->sanitary_lighted =
            s->sanitary_hand_washing = DEMO_NULL_BOOL;
    } else {
        s->sanitary_open_air = demo_chance(r, 0.6);
        s->sanitary_working = demo_chance(r, 0.35);
        s->sanitary_inside = s->sanitary_working ? demo_chance(r, 0.3) : 0;
        s->sanitary_lighted = s->sanitary_working ? demo_chance(r, 0.3) : 0;
        s->sanitary_hand_washing = demo_chance(r, 0.3);
    }
    s->electricity = tri(r, 0.55, 0.15);
    s->electricity_unequal = s->electricity == 1 ? demo_chance(r, 0.3) : DEMO_NULL_BOOL;
    int trash_known = !demo_chance(r, 0.15);
    s->trash_piling = trash_known ? demo_chance(r, 0.55) : DEMO_NULL_BOOL;
    s->trash_close = trash_known ? demo_chance(r, 0.4) : DEMO_NULL_BOOL;
    s->trash_safe = trash_known ? demo_chance(r, 0.4) : DEMO_NULL_BOOL;
    s->trash_regular = trash_known ? demo_chance(r, 0.35) : DEMO_NULL_BOOL;
    s->trash_bulky = trash_known ? demo_chance(r, 0.5) : DEMO_NULL_BOOL;
    s->pests = tri(r, 0.45, 0.1);
    s->pest_details = s->pests == 1 && demo_chance(r, 0.5) ? demo_pest_details(r) : NULL;
    s->fire_prevention = tri(r, 0.25, 0.2);
}

/* Justice, police and administrative orders; every date before the closing (or the
 * end of the history) and after the declaration. */
static void generate_procedures(const struct demo_ctx *ctx, struct demo_rng *r, struct demo_site *s)
{
    const struct demo_places *pl = &ctx->places;
    const char *dept_name = pl->depts[s->dept].name;
    const char *commune = demo_commune_name(pl, s->commune);
    int by_justice = !strcmp(s->status, "closed_by_justice");
    int by_order = !strcmp(s->status, "closed_by_pref_admin") || !strcmp(s->status, "closed_by_city_admin");
    int limit = last_active_day(ctx, s);
    int start = s->declared_at;

    s->justice_procedure = s->justice_rendered = s->justice_challenged = DEMO_NULL_BOOL;
    s->justice_rendered_at = s->police_requested_at = s->police_granted_at = DEMO_NO_DATE;
    s->justice_rendered_by[0] = s->bailiff[0] = '\0';
    s->police_status = NULL;
    s->owner_complaint = by_justice ? demo_chance(r, 0.95) : tri(r, 0.35, 0.2);
    if (s->owner_complaint == 1) {
        s->justice_procedure = demo_chance(r, by_justice ? 0.97 : 0.7);
        if (s->justice_procedure) {
            int rendered_at = start + 20 + (int)demo_exponential(r, 150);
            /* A site closed by justice had its decision before the eviction. */
            if (by_justice && rendered_at > limit && limit - start >= 4)
                rendered_at = start + (int)((limit - start) * (0.3 + 0.5 * demo_unit(r)));
            s->justice_rendered = rendered_at <= limit && demo_chance(r, by_justice ? 0.97 : 0.6);
            if (s->justice_rendered) {
                s->justice_rendered_at = rendered_at;
                demo_court(r, dept_name, s->justice_rendered_by, sizeof s->justice_rendered_by);
                s->justice_challenged = demo_chance(r, 0.15);
                if (demo_chance(r, 0.7))
                    demo_bailiff(r, s->bailiff, sizeof s->bailiff);
            }
        }
    }
    if (s->justice_rendered == 1) {
        double granted = by_justice ? 0.8 : 0.35, requested = by_justice ? 0.15 : 0.3;
        double x = demo_unit(r);
        int req = s->justice_rendered_at + demo_range(r, 15, 120);
        int grant = req + demo_range(r, 10, 120);
        if (by_justice) {
            /* Between the decision and the eviction. */
            int room = limit - s->justice_rendered_at;
            req = s->justice_rendered_at + (int)(room * (0.1 + 0.4 * demo_unit(r)));
            grant = req + (int)((limit - req) * (0.2 + 0.7 * demo_unit(r)));
        }
        if (x < granted && grant <= limit) {
            s->police_status = "granted";
            s->police_requested_at = req;
            s->police_granted_at = grant;
        } else if (x < granted + requested && req <= limit) {
            s->police_status = "requested";
            s->police_requested_at = req;
        } else {
            s->police_status = "none";
        }
    } else if (demo_chance(r, 0.4)) {
        s->police_status = "none";
    }
    s->existing_litigation = tri(r, 0.1, 0.5);

    s->evacuation_under_time_limit = DEMO_NULL_BOOL;
    s->order_decision_at = s->order_evacuation_at = DEMO_NO_DATE;
    s->order_rendered_by[0] = '\0';
    int decision = start + demo_range(r, 5, 200);
    if (by_order && decision > limit)
        decision = start + (int)((limit - start) * (0.2 + 0.6 * demo_unit(r)));
    if ((by_order || (s->closed_at == DEMO_NO_TIME && demo_chance(r, 0.05))) && decision <= limit) {
        s->evacuation_under_time_limit = 1;
        s->order_decision_at = decision;
        s->order_evacuation_at = min_int(decision + demo_range(r, 2, 30), limit);
        if (!strcmp(s->status, "closed_by_city_admin") || (!by_order && demo_chance(r, 0.5)))
            demo_of("Maire", commune, s->order_rendered_by, sizeof s->order_rendered_by);
        else
            snprintf(s->order_rendered_by, sizeof s->order_rendered_by, "Préfet (%s)", dept_name);
    } else if (by_order) {
        s->evacuation_under_time_limit = 0;
    }

    s->insalubrity_order = tri(r, 0.06, 0.4);
    s->insalubrity_displayed = DEMO_NULL_BOOL;
    s->insalubrity_type = NULL;
    s->insalubrity_by[0] = s->insalubrity_parcels[0] = '\0';
    s->insalubrity_at = DEMO_NO_DATE;
    if (s->insalubrity_order == 1) {
        s->insalubrity_displayed = demo_chance(r, 0.7);
        s->insalubrity_type = demo_insalubrity_type(r);
        demo_of("Maire", commune, s->insalubrity_by, sizeof s->insalubrity_by);
        s->insalubrity_at = min_int(start + demo_range(r, 10, 300), limit);
        demo_parcels(r, s->insalubrity_parcels, sizeof s->insalubrity_parcels);
    }
}

static void generate_children(const struct demo_ctx *ctx, struct demo_rng *r, struct demo_site *s)
{
    s->origins = 0;
    if (demo_chance(r, 0.75)) {
        s->origins |= demo_chance(r, 0.7) ? 2u : 0u;
        s->origins |= demo_chance(r, 0.25) ? 1u : 0u;
        s->origins |= demo_chance(r, 0.25) ? 4u : 0u;
        if (!s->origins)
            s->origins = 2u;
    }

    s->nclosing = 0;
    int with = s->closed_with_solutions && !strcmp(s->closed_with_solutions, "yes");
    int maybe = s->closed_with_solutions && !strcmp(s->closed_with_solutions, "unknown") && demo_chance(r, 0.3);
    if ((with || maybe) && ctx->n_closing_solutions > 0) {
        int n = min_int(with ? demo_range(r, 1, 3) : 1, ctx->n_closing_solutions);
        int left = s->pop_total == DEMO_NULL_INT ? -1 : s->pop_total;
        int first = (int)demo_below(r, (uint32_t)ctx->n_closing_solutions);
        for (int i = 0; i < n; i++) {
            struct demo_closing *c = &s->closing[s->nclosing++];
            /* Consecutive labels: distinct, as the primary key requires. */
            c->solution = ctx->closing_solutions[(first + i) % ctx->n_closing_solutions];
            if (left < 0) {
                c->people = c->households = DEMO_NULL_INT;
            } else {
                c->people = i == n - 1 ? left : (int)round(left * (0.3 + 0.4 * demo_unit(r)));
                left -= c->people;
                c->households = c->people ? max_int(1, (int)round(c->people / 3.5)) : 0;
            }
            c->message = demo_chance(r, 0.3) ? demo_solution_message(r) : NULL;
        }
    }

    s->nowners = demo_chance(r, 0.45) ? (demo_chance(r, 0.2) ? 2 : 1) : 0;
    for (int i = 0; i < s->nowners; i++) {
        struct demo_owner *o = &s->owners[i];
        int is_public = s->owner_type == ctx->owner_type_public ? 1
                        : s->owner_type == ctx->owner_type_private ? 0
                                                                   : demo_chance(r, 0.5);
        o->owner_type = is_public ? ctx->owner_type_public : ctx->owner_type_private;
        demo_owner_name(r, is_public, demo_commune_name(&ctx->places, s->commune),
                        ctx->places.depts[s->dept].name, o->name, sizeof o->name);
        o->created_at = s->created_at + (int64_t)(demo_unit(r) * (double)(s->updated_at - s->created_at));
    }

    s->nhistory = s->closed_at != DEMO_NO_TIME ? (demo_chance(r, 0.6) ? 1 + (int)demo_below(r, 2) : 0)
                                               : (demo_chance(r, 0.35) ? 1 + (int)demo_below(r, 2) : 0);
}

void demo_site_place(const struct demo_ctx *ctx, struct demo_site *s)
{
    struct demo_rng r;
    demo_rng_init(&r, ctx->seed, DEMO_STREAM_SITE_PLACE, s->index);
    demo_places_point(&ctx->places, s->commune, &r, &s->lat, &s->lon);
}

void demo_site_generate(const struct demo_ctx *ctx, uint32_t index, int place, struct demo_site *s)
{
    const struct demo_places *pl = &ctx->places;
    struct demo_rng r;
    demo_rng_init(&r, ctx->seed, DEMO_STREAM_SITE, index);
    memset(s, 0, sizeof *s);
    s->index = index;
    s->id = ctx->base_site + 1 + index;
    s->commune = demo_places_pick(pl, &r); /* first, as demo_site_commune does */
    s->dept = pl->communes[s->commune].dept;
    if (place)
        demo_site_place(ctx, s);
    /* About one site in six is still open (600 open for 3,000 closed). */
    int open = demo_chance(&r, 1.0 / 6.0);
    static const double FIELD_WEIGHTS[] = {18, 72, 10}; /* building, terrain, unknown */
    size_t ft = demo_pick(&r, FIELD_WEIGHTS, 3);
    s->field_type = ft == 0 ? ctx->field_type_building : ft == 1 ? ctx->field_type_terrain : ctx->field_type_unknown;
    static const double OWNER_WEIGHTS[] = {45, 40, 15};
    size_t ot = demo_pick(&r, OWNER_WEIGHTS, 3);
    s->owner_type = ot == 0 ? ctx->owner_type_public : ot == 1 ? ctx->owner_type_private : ctx->owner_type_unknown;

    const char *commune = demo_commune_name(pl, s->commune);
    demo_address(&r, pl->communes[s->commune].code, pl->depts[s->dept].code, commune, demo_chance(&r, 0.6),
                 s->address, sizeof s->address);
    if (demo_chance(&r, 0.7))
        demo_site_name(&r, ft == 0, s->name, sizeof s->name);
    s->address_details = demo_chance(&r, 0.3) ? demo_access_details(&r) : NULL;

    generate_dates(ctx, &r, open, s);
    if (!open) {
        const char *st = s->status;
        double yes = !strcmp(st, "resorbed") ? 1.0 : !strcmp(st, "other") || !strcmp(st, "unknown") ? 0.2 : 0.25;
        double no = !strcmp(st, "resorbed") ? 0.0 : 0.45;
        double x = demo_unit(&r);
        s->closed_with_solutions = x < yes ? "yes" : x < yes + no ? "no" : "unknown";
        s->closing_context = demo_chance(&r, 0.7) ? demo_closing_context(&r, st) : NULL;
    }
    int active_end = last_active_day(ctx, s);
    /* Entered into the platform within a week of the report. */
    int created_day = min_int(s->declared_at + (int)demo_below(&r, 8), active_end);
    s->created_at = office_time(&r, max_int(created_day, s->declared_at));
    if (s->closed_at != DEMO_NO_TIME) {
        s->updated_at = s->closed_at + demo_below(&r, 3 * DAY);
    } else {
        int64_t span = ctx->end_time - s->created_at;
        s->updated_at = s->created_at + (int64_t)(span * (1.0 - pow(demo_unit(&r), 3)));
    }
    s->updated_at = max_i64(min_i64(s->updated_at, ctx->end_time - 1), s->created_at);
    s->created_by = demo_user_id(ctx, demo_rng_next(&r) >> 40);
    s->updated_by = demo_chance(&r, 0.5) ? s->created_by : demo_user_id(ctx, demo_rng_next(&r) >> 40);

    generate_population(&r, ft == 0, s);
    s->population_updated_at = s->pop_total == DEMO_NULL_INT
                                   ? DEMO_NO_TIME
                                   : s->created_at + (int64_t)(demo_unit(&r) * (double)(s->updated_at - s->created_at));
    static const char *const CENSUS[] = {"none", "scheduled", "done"};
    static const double CENSUS_W[] = {55, 15, 30};
    s->census_status = demo_chance(&r, 0.2) ? NULL : CENSUS[demo_pick(&r, CENSUS_W, 3)];
    s->census_at = DEMO_NO_DATE;
    if (s->census_status && strcmp(s->census_status, "none")) {
        int day = demo_range(&r, s->declared_at, active_end);
        if (!strcmp(s->census_status, "done") || day >= ctx->end_day - 1)
            s->census_at = day;
        else
            s->census_at = min_int(day + demo_range(&r, 5, 60), ctx->end_day - 1);
        s->census_by = demo_census_by(&r);
    }
    generate_living_conditions(&r, s);
    generate_procedures(ctx, &r, s);

    s->is_reinstallation = tri(&r, 0.23, 0.35);
    s->reinstallation_comments =
        s->is_reinstallation == 1 && demo_chance(&r, 0.7) ? demo_reinstallation_comment(&r) : NULL;
    s->heatwave = open && demo_chance(&r, 0.04);
    s->resorption_target = open && demo_chance(&r, 0.2) ? demo_year_of_day(ctx->end_day - 1) + demo_range(&r, 0, 2)
                                                        : DEMO_NULL_INT;
    generate_children(ctx, &r, s);
}

void demo_site_version(const struct demo_ctx *ctx, const struct demo_site *s, int version, struct demo_site *v,
                       int64_t *archived_at)
{
    struct demo_rng r;
    demo_rng_init(&r, ctx->seed, DEMO_STREAM_SITE_HISTORY, s->index);
    /* Times of the versions: t[0] = creation < t[1] < ... < t[n] = the current row's. */
    int n = s->nhistory;
    int64_t t[4];
    t[0] = s->created_at;
    t[n] = s->updated_at;
    int pre_close = s->closed_at != DEMO_NO_TIME;
    int64_t span_end = pre_close ? max_i64(s->created_at, s->closed_at - 3600) : s->updated_at;
    for (int i = 1; i < n; i++)
        t[i] = t[i - 1] + (int64_t)(demo_unit(&r) * (double)(span_end - t[i - 1]) / 2);
    *v = *s;
    v->updated_at = t[version];
    *archived_at = t[version + 1];
    /* Earlier versions counted differently, and did not know what came later. */
    double factor = 0.6 + 0.7 * demo_unit(&r);
    for (int skip = 0; skip < version; skip++)
        factor = 0.6 + 0.7 * demo_unit(&r);
    if (v->pop_total != DEMO_NULL_INT) {
        v->pop_total = max_int(1, (int)round(s->pop_total * factor));
        v->pop_couples = min_int(v->pop_total, max_int(1, (int)round(s->pop_couples * factor)));
        v->pop_minors = min_int(v->pop_total - v->pop_couples, (int)round(s->pop_minors * factor));
        v->pop_females = min_int(v->pop_total, (int)round(s->pop_females * factor));
        v->pop_minors_girls = v->minors_0_3 = v->minors_3_6 = v->minors_6_12 = v->minors_12_16 =
            v->minors_16_18 = v->minors_in_school = DEMO_NULL_INT;
        v->population_updated_at = v->updated_at;
    }
    if (v->updated_by != v->created_by && version == 0)
        v->updated_by = v->created_by;
    int64_t known_until = v->updated_at;
    if (pre_close) {
        v->status = "open";
        v->closed_at = DEMO_NO_TIME;
        v->closed_with_solutions = NULL;
        v->closing_context = NULL;
    }
    if (v->justice_rendered_at != DEMO_NO_DATE && (int64_t)v->justice_rendered_at * DAY > known_until) {
        v->justice_rendered = 0;
        v->justice_rendered_at = DEMO_NO_DATE;
        v->justice_rendered_by[0] = v->bailiff[0] = '\0';
        v->justice_challenged = DEMO_NULL_BOOL;
        v->police_status = NULL;
        v->police_requested_at = v->police_granted_at = DEMO_NO_DATE;
    }
    if (v->police_granted_at != DEMO_NO_DATE && (int64_t)v->police_granted_at * DAY > known_until) {
        v->police_status = "requested";
        v->police_granted_at = DEMO_NO_DATE;
    }
    if (v->police_requested_at != DEMO_NO_DATE && (int64_t)v->police_requested_at * DAY > known_until) {
        v->police_status = "none";
        v->police_requested_at = DEMO_NO_DATE;
    }
    if (v->order_decision_at != DEMO_NO_DATE && (int64_t)v->order_decision_at * DAY > known_until) {
        v->evacuation_under_time_limit = DEMO_NULL_BOOL;
        v->order_decision_at = v->order_evacuation_at = DEMO_NO_DATE;
        v->order_rendered_by[0] = '\0';
    }
}
