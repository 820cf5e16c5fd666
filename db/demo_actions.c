#include "db/demo_actions.h"

#include "db/demo_copy.h"
#include "db/demo_sites.h"
#include "db/demo_words.h"
#include "util/progress.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define DAY 86400

uint32_t demo_user_count(uint32_t n_sites)
{
    uint32_t n = 30 + n_sites / 200;
    return n > 5000 ? 5000 : n;
}

/* Users are spread over the organisations in turn, so user k belongs to organisation
 * k % DEMO_ORGANIZATION_COUNT; operators are the users of the associations. */
static int64_t operator_user(const struct demo_ctx *ctx, struct demo_rng *r)
{
    uint32_t rounds = ctx->n_users / DEMO_ORGANIZATION_COUNT;
    uint32_t k = demo_below(r, rounds ? rounds : 1) * DEMO_ORGANIZATION_COUNT + demo_below(r, DEMO_OPERATOR_ORGS);
    return ctx->base_user + 1 + (k < ctx->n_users ? k : 0);
}

static int site_last_day(const struct demo_ctx *ctx, const struct demo_site *s)
{
    return s->closed_at == DEMO_NO_TIME ? ctx->end_day - 1 : (int)(s->closed_at / DAY) - 1;
}

/* Links the sites: the first drawn among all sites (so actions follow where sites are),
 * the others among the sites of its département that existed when the action began. */
static void link_sites(const struct demo_ctx *ctx, struct demo_rng *r, struct demo_action *a, uint32_t *commune)
{
    struct demo_site s;
    demo_site_generate(ctx, demo_below(r, ctx->n_sites), 0, &s);
    a->dept = s.dept;
    *commune = s.commune;
    a->started_at = demo_range(r, s.declared_at, site_last_day(ctx, &s));
    a->sites[a->nsites++] = s.id;
    const struct demo_departement *d = &ctx->places.depts[a->dept];
    int want = 1 + (int)demo_below(r, 3);
    for (int attempt = 0; attempt < 6 && a->nsites < want && d->nsites > 1; attempt++) {
        uint32_t idx = d->sites[demo_below(r, d->nsites)];
        int64_t id = ctx->base_site + 1 + idx;
        int dup = 0;
        for (int k = 0; k < a->nsites; k++)
            dup |= a->sites[k] == id;
        if (dup)
            continue;
        demo_site_generate(ctx, idx, 0, &s);
        if (s.declared_at <= a->started_at && site_last_day(ctx, &s) >= a->started_at)
            a->sites[a->nsites++] = id;
    }
}

static void add_finances(const struct demo_ctx *ctx, struct demo_rng *r, struct demo_action *a)
{
    static const char *const TYPES[] = {"etatique", "dedie", "collectivite", "europeen", "prive", "autre"};
    static const double WEIGHTS[] = {30, 35, 15, 8, 7, 5};
    int last_year = demo_year_of_day(ctx->end_day - 1);
    int from = demo_year_of_day(a->started_at);
    int to = a->ended_at == DEMO_NO_DATE ? last_year : demo_year_of_day(a->ended_at);
    to = to > last_year ? last_year : to;
    for (int year = from; year <= to && a->nfinances + 2 <= (int)DEMO_ARRAY_LEN(a->finances); year++) {
        int n = 1 + demo_chance(r, 0.35);
        size_t first = demo_pick(r, WEIGHTS, DEMO_ARRAY_LEN(WEIGHTS));
        for (int k = 0; k < n; k++) {
            struct demo_action_finance *f = &a->finances[a->nfinances++];
            f->year = year;
            f->type = TYPES[(first + (size_t)k) % DEMO_ARRAY_LEN(TYPES)];
            f->amount_cents = (int64_t)round(demo_lognormal(r, 40000, 0.8)) * 100;
            f->real_amount_cents = year < last_year && demo_chance(r, 0.8)
                                       ? (int64_t)round((double)f->amount_cents * (0.7 + 0.35 * demo_unit(r)))
                                       : DEMO_NULL_INT;
            f->comments = demo_chance(r, 0.1) ? "Crédits reconduits" : NULL;
        }
    }
}

void demo_action_generate(const struct demo_ctx *ctx, uint32_t index, int place, struct demo_action *a)
{
    static const char *const TYPES[] = {"eti", "sur_site", "logement", "autre"};
    static const double TYPE_WEIGHTS[] = {25, 45, 15, 15};
    const struct demo_places *pl = &ctx->places;
    struct demo_rng r;
    demo_rng_init(&r, ctx->seed, DEMO_STREAM_ACTION, index);
    memset(a, 0, sizeof *a);
    a->index = index;
    a->id = ctx->base_action + 1 + index;
    size_t type = demo_pick(&r, TYPE_WEIGHTS, DEMO_ARRAY_LEN(TYPE_WEIGHTS));
    if (type == 1 && ctx->n_sites == 0)
        type = 2;
    a->location_type = TYPES[type];
    uint32_t commune;
    if (type == 1) {
        link_sites(ctx, &r, a, &commune);
    } else {
        a->dept = demo_places_pick_dept(pl, &r);
        commune = demo_places_pick_in(pl, a->dept, &r);
        a->started_at = demo_range(&r, ctx->first_day, ctx->end_day - 1);
    }
    a->ended_at = demo_chance(&r, 0.45) ? DEMO_NO_DATE : a->started_at + demo_range(&r, 90, 1100);

    /* Main topic first: logement actions are about housing, ETI about housing and work. */
    int main_topic = type == 2 ? 3 : type == 0 ? (demo_chance(&r, 0.6) ? 3 : 2) : (int)demo_below(&r, DEMO_TOPIC_COUNT);
    a->topics = 1u << main_topic;
    for (int extra = (int)demo_below(&r, 3); extra > 0; extra--)
        a->topics |= 1u << demo_below(&r, DEMO_TOPIC_COUNT);

    const char *dept_name = pl->depts[a->dept].name;
    const char *place_name = type == 2 ? dept_name : demo_commune_name(pl, commune);
    demo_action_name(&r, main_topic, place_name, a->name, sizeof a->name);
    snprintf(a->ref, sizeof a->ref, "DEMO-%s-%06lld", pl->depts[a->dept].code, (long long)a->id);
    a->goals = demo_action_goals(&r);
    if (type == 3)
        demo_location_other(&r, demo_commune_name(pl, commune), a->location_other, sizeof a->location_other);

    if (type == 0) {
        a->naddresses = 1 + (int)demo_below(&r, 3);
        for (int k = 0; k < a->naddresses; k++) {
            struct demo_action_address *ad = &a->addresses[k];
            ad->commune = k == 0 ? commune : demo_places_pick_in(pl, a->dept, &r);
            demo_address(&r, pl->communes[ad->commune].code, pl->depts[a->dept].code,
                         demo_commune_name(pl, ad->commune), 1, ad->address, sizeof ad->address);
            if (place) {
                struct demo_rng pr;
                demo_rng_init(&pr, ctx->seed, DEMO_STREAM_ACTION_PLACE, (uint64_t)index * 4 + (uint64_t)k);
                demo_places_point(pl, ad->commune, &pr, &ad->lat, &ad->lon);
            }
        }
    }

    a->noperators = 1 + demo_chance(&r, 0.4);
    a->operators[0] = operator_user(ctx, &r);
    a->operators[1] = operator_user(ctx, &r);
    if (a->operators[1] == a->operators[0])
        a->noperators = 1;

    int created_day = a->started_at - (int)demo_below(&r, 30);
    created_day = created_day < ctx->first_day ? ctx->first_day : created_day;
    a->created_at = (int64_t)created_day * DAY + (9 + demo_below(&r, 9)) * 3600 + demo_below(&r, 3600);
    a->updated_at = a->created_at + (int64_t)(demo_unit(&r) * (double)(ctx->end_time - 1 - a->created_at));
    a->created_by = a->operators[0];
    a->updated_by = demo_chance(&r, 0.7) ? a->created_by : demo_user_id(ctx, demo_rng_next(&r) >> 40);

    if (demo_chance(&r, 0.55))
        add_finances(ctx, &r, a);
}

int64_t demo_copy_people(const struct demo_ctx *ctx, PGconn *conn, char *err, size_t errlen)
{
    struct demo_copy c;
    if (demo_copy_begin(&c, conn, "COPY organizations (organization_id, name, abbreviation) FROM STDIN", err,
                        errlen) < 0)
        return -1;
    for (int i = 0; i < DEMO_ORGANIZATION_COUNT; i++) {
        demo_put_int(&c, ctx->base_org + 1 + i);
        demo_put_text(&c, demo_organization_name(i));
        demo_put_text(&c, demo_organization_abbreviation(i));
        demo_copy_end_row(&c);
    }
    int64_t orgs = demo_copy_finish(&c, err, errlen);
    if (orgs < 0)
        return -1;
    if (demo_copy_begin(&c, conn, "COPY users (user_id, first_name, last_name, fk_organization) FROM STDIN", err,
                   errlen) < 0)
        return -1;
    for (uint32_t k = 0; k < ctx->n_users; k++) {
        struct demo_rng r;
        demo_rng_init(&r, ctx->seed, DEMO_STREAM_USER, k);
        demo_put_int(&c, ctx->base_user + 1 + k);
        demo_put_text(&c, demo_first_name(&r));
        demo_put_text(&c, demo_last_name(&r));
        demo_put_int(&c, ctx->base_org + 1 + k % DEMO_ORGANIZATION_COUNT);
        demo_copy_end_row(&c);
    }
    int64_t users = demo_copy_finish(&c, err, errlen);
    return users < 0 ? -1 : orgs + users;
}

enum action_table { T_ACTIONS, T_TOPICS, T_ADDRESSES, T_SITES, T_OPERATORS, T_FINANCES, T_COUNT };

static const char *const ACTION_COPY[T_COUNT] = {
    "COPY actions (action_id, action_ref, name, started_at, ended_at, goals, fk_departement, location_type,"
    " location_other, created_at, created_by, updated_at, updated_by) FROM STDIN",
    "COPY action_topics (fk_action, fk_topic) FROM STDIN",
    "COPY action_addresses (action_address_id, fk_action, fk_city, address, latitude, longitude, created_at)"
    " FROM STDIN",
    "COPY action_shantytowns (fk_action, fk_shantytown) FROM STDIN",
    "COPY action_operators (fk_action, fk_user) FROM STDIN",
    "COPY action_finances (action_finance_id, fk_action, year, fk_action_finance_type, amount, real_amount,"
    " comments) FROM STDIN",
};

static void write_action_rows(const struct demo_ctx *ctx, struct demo_copy *c, enum action_table t,
                              const struct demo_action *a, int64_t *next_id)
{
    switch (t) {
    case T_ACTIONS:
        demo_put_int(c, a->id);
        demo_put_text(c, a->ref);
        demo_put_text(c, a->name);
        demo_put_date(c, a->started_at);
        demo_put_date(c, a->ended_at);
        demo_put_text(c, a->goals);
        demo_put_text(c, ctx->places.depts[a->dept].code);
        demo_put_text(c, a->location_type);
        demo_put_text(c, a->location_other[0] ? a->location_other : NULL);
        demo_put_time(c, a->created_at);
        demo_put_int(c, a->created_by);
        demo_put_time(c, a->updated_at);
        demo_put_int(c, a->updated_by);
        demo_copy_end_row(c);
        break;
    case T_TOPICS:
        for (int k = 0; k < DEMO_TOPIC_COUNT; k++)
            if (a->topics & (1u << k)) {
                demo_put_int(c, a->id);
                demo_put_text(c, ctx->topics[k]);
                demo_copy_end_row(c);
            }
        break;
    case T_ADDRESSES:
        for (int k = 0; k < a->naddresses; k++) {
            demo_put_int(c, ++*next_id);
            demo_put_int(c, a->id);
            demo_put_text(c, ctx->places.communes[a->addresses[k].commune].code);
            demo_put_text(c, a->addresses[k].address);
            demo_put_coord(c, a->addresses[k].lat);
            demo_put_coord(c, a->addresses[k].lon);
            demo_put_time(c, a->created_at);
            demo_copy_end_row(c);
        }
        break;
    case T_SITES:
        for (int k = 0; k < a->nsites; k++) {
            demo_put_int(c, a->id);
            demo_put_int(c, a->sites[k]);
            demo_copy_end_row(c);
        }
        break;
    case T_OPERATORS:
        for (int k = 0; k < a->noperators; k++) {
            demo_put_int(c, a->id);
            demo_put_int(c, a->operators[k]);
            demo_copy_end_row(c);
        }
        break;
    case T_FINANCES:
        for (int k = 0; k < a->nfinances; k++) {
            const struct demo_action_finance *f = &a->finances[k];
            demo_put_int(c, ++*next_id);
            demo_put_int(c, a->id);
            demo_put_int(c, f->year);
            demo_put_text(c, f->type);
            demo_put_money(c, f->amount_cents);
            demo_put_money(c, f->real_amount_cents);
            demo_put_text(c, f->comments);
            demo_copy_end_row(c);
        }
        break;
    default: break;
    }
}

int64_t demo_copy_actions(const struct demo_ctx *ctx, PGconn *conn, struct progress *progress, char *err,
                          size_t errlen)
{
    int64_t total = 0;
    struct demo_action a;
    for (int t = 0; t < T_COUNT; t++) {
        struct demo_copy c;
        if (demo_copy_begin(&c, conn, ACTION_COPY[t], err, errlen) < 0)
            return -1;
        int64_t next_id = t == T_ADDRESSES ? ctx->base_address : ctx->base_finance;
        for (uint32_t i = 0; i < ctx->n_actions; i++) {
            demo_action_generate(ctx, i, t == T_ADDRESSES, &a);
            write_action_rows(ctx, &c, (enum action_table)t, &a, &next_id);
            if (progress && (i & 1023) == 1023)
                progress_update(progress, (uint64_t)t * ctx->n_actions + i + 1);
        }
        int64_t n = demo_copy_finish(&c, err, errlen);
        if (n < 0)
            return -1;
        total += n;
    }
    if (progress)
        progress_update(progress, (uint64_t)T_COUNT * ctx->n_actions);
    return total;
}
