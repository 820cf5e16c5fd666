#include "db/feature_props.h"

#include <stdio.h>

const struct prop_key site_prop_keys[] = {
    {"id", 'i', false, 0},
    {"name", 's', false, 0},
    {"status", 's', false, 0},
    {"resorbed", 'b', false, 0},
    {"field_type", 's', false, 0},
    {"color", 's', false, 0},
    {"field_type_id", 'i', false, 0},
    {"population", 'i', false, 0},
    {"water", 's', false, 0},
    {"built_at", 'd', false, 0},
    {"declared_at", 'd', false, 0},
    {"closed_at", 'd', false, 0},
    {"city_code", 's', false, 0},
    {"city_name", 's', false, 0},
    {"departement", 's', false, 0},
    {"address", 's', false, 0}, /* site_props_emit_details: not in tiles */
    {"owners", 's', false, SCOPE_FLAG_OWNERS}, /* site_props_emit_details: JSON array text */
    {"owner_complaint", 'b', true, 0},
    {"justice_procedure", 'b', true, 0},
    {"justice_rendered", 'b', true, 0},
    {"justice_rendered_at", 'd', true, 0},
    {"police_status", 's', true, 0},
    {"police_requested_at", 'd', true, 0},
    {"police_granted_at", 'd', true, 0},
    {"bailiff", 's', true, 0},
    {"existing_litigation", 'b', true, 0},
    {"evacuation_under_time_limit", 'b', true, 0},
    {"insalubrity_order", 'b', true, 0},
    {"administrative_order_evacuation_at", 'd', true, 0},
    {NULL, 0, false, 0},
};

const struct prop_key action_prop_keys[] = {
    {"action_id", 'i', false, 0}, {"name", 's', false, 0},       {"location_type", 's', false, 0},
    {"site_id", 'i', false, 0},   {"topics", 's', false, 0},     {"started_at", 'd', false, 0},
    {"ended_at", 'd', false, 0},  {"operators", 's', false, 0},  {"departement", 's', false, 0},
    {"finances", 's', false, SCOPE_FLAG_FINANCES}, /* action_props_emit: JSON array text */
    {NULL, 0, false, 0},
};

static void emit_date(const struct prop_sink *sink, const char *key, int32_t day)
{
    if (day == DAY_NONE)
        return;
    char text[11];
    day_to_iso(day, text);
    sink->add_string(sink->ctx, key, text);
}

static void emit_tristate(const struct prop_sink *sink, const char *key, int8_t v)
{
    if (v >= 0)
        sink->add_bool(sink->ctx, key, v == 1);
}

static void emit_justice(const struct prop_sink *sink, const struct site_justice *j)
{
    static const char *const police[] = {"none", "requested", "granted"};
    emit_tristate(sink, "owner_complaint", j->owner_complaint);
    emit_tristate(sink, "justice_procedure", j->justice_procedure);
    emit_tristate(sink, "justice_rendered", j->justice_rendered);
    emit_date(sink, "justice_rendered_at", j->justice_rendered_day);
    if (j->police_status >= 0 && j->police_status <= 2)
        sink->add_string(sink->ctx, "police_status", police[j->police_status]);
    emit_date(sink, "police_requested_at", j->police_requested_day);
    emit_date(sink, "police_granted_at", j->police_granted_day);
    if (j->bailiff && *j->bailiff)
        sink->add_string(sink->ctx, "bailiff", j->bailiff);
    emit_tristate(sink, "existing_litigation", j->existing_litigation);
    emit_tristate(sink, "evacuation_under_time_limit", j->evacuation_under_time_limit);
    emit_tristate(sink, "insalubrity_order", j->insalubrity_order);
    emit_date(sink, "administrative_order_evacuation_at", j->administrative_order_evacuation_day);
}

void site_props_emit(const struct prop_sink *sink, const struct site_snapshot *snap, const struct site *s,
                     int status, int32_t day, bool justice)
{
    sink->add_int(sink->ctx, "id", s->id);
    if (*s->name)
        sink->add_string(sink->ctx, "name", s->name);
    sink->add_string(sink->ctx, "status", site_status_name((enum site_status)status));
    sink->add_bool(sink->ctx, "resorbed", status != SITE_OPEN && s->closed_with_solutions == 1);
    const struct field_type *ft = site_snapshot_field_type(snap, s->field_type_id);
    if (ft) {
        char color[9];
        snprintf(color, sizeof color, "#%.6s", ft->color);
        sink->add_string(sink->ctx, "field_type", ft->label);
        sink->add_string(sink->ctx, "color", color);
    }
    sink->add_int(sink->ctx, "field_type_id", s->field_type_id);
    if (s->population >= 0)
        sink->add_int(sink->ctx, "population", s->population);
    sink->add_string(sink->ctx, "water", water_status_name((enum water_status)s->water));
    emit_date(sink, "built_at", s->built_day);
    emit_date(sink, "declared_at", s->declared_day);
    /* On a past date a site closed later shows as it was: open, no closing date. */
    if (status != SITE_OPEN && (day == DAY_NONE || s->closed_day <= day))
        emit_date(sink, "closed_at", s->closed_day);
    sink->add_string(sink->ctx, "city_code", s->city_code);
    sink->add_string(sink->ctx, "city_name", s->city_name);
    sink->add_string(sink->ctx, "departement", s->departement_code);
    if (justice)
        emit_justice(sink, &s->justice);
}

void site_props_emit_details(const struct prop_sink *sink, const struct site *s, unsigned flags)
{
    if (s->address && *s->address)
        sink->add_string(sink->ctx, "address", s->address);
    if ((flags & SCOPE_FLAG_OWNERS) && s->owners)
        sink->add_string(sink->ctx, "owners", s->owners);
}

unsigned feature_flags(const struct scope *scope)
{
    if (scope->kind == SCOPE_PUBLIC)
        return 0;
    unsigned flags = scope->flags & (SCOPE_FLAG_OWNERS | SCOPE_FLAG_FINANCES);
    return scope->kind == SCOPE_NATIONAL ? flags : flags & ~(unsigned)SCOPE_FLAG_FINANCES;
}

bool prop_key_granted(const struct prop_key *k, bool justice, unsigned flags)
{
    return (!k->sensitive || justice) && (k->flag & ~flags) == 0;
}

void action_props_emit(const struct prop_sink *sink, const struct action_point *p, unsigned flags)
{
    sink->add_int(sink->ctx, "action_id", p->action_id);
    sink->add_string(sink->ctx, "name", p->name);
    sink->add_string(sink->ctx, "location_type", p->location_type);
    if (p->site_id)
        sink->add_int(sink->ctx, "site_id", p->site_id);
    if (*p->topics)
        sink->add_string(sink->ctx, "topics", p->topics);
    emit_date(sink, "started_at", p->started_day);
    emit_date(sink, "ended_at", p->ended_day);
    if (*p->operators)
        sink->add_string(sink->ctx, "operators", p->operators);
    sink->add_string(sink->ctx, "departement", p->departement_code);
    if ((flags & SCOPE_FLAG_FINANCES) && p->finances && *p->finances)
        sink->add_string(sink->ctx, "finances", p->finances);
}
