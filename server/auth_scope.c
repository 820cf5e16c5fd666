#include "server/auth_scope.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int auth_area_parse(const char *text, struct territory_ref *ref, char *reason, size_t reasonlen)
{
    if (!strcmp(text, "national"))
        return 1;
    /* A list parser on one item: same shape checks as the territory= filter. */
    if (strchr(text, ',') || strlen(text) > 32) {
        snprintf(reason, reasonlen, "invalid area");
        return AUTH_SCOPE_INVALID;
    }
    char inner[200];
    if (territory_ref_parse_list(text, ref, 1, inner, sizeof inner) != 1) {
        snprintf(reason, reasonlen, "invalid area (%s)", inner);
        return AUTH_SCOPE_INVALID;
    }
    return 0;
}

unsigned auth_flag_parse(const char *name)
{
    if (!strcmp(name, "justice"))
        return SCOPE_FLAG_JUSTICE;
    if (!strcmp(name, "owners"))
        return SCOPE_FLAG_OWNERS;
    if (!strcmp(name, "finances"))
        return SCOPE_FLAG_FINANCES;
    return 0;
}

/* A small set of codes kept sorted and unique. */
struct code_set {
    const char *codes[SCOPE_MAX_AREAS * 4];
    size_t n;
};

static int code_set_add(struct code_set *set, const char *code)
{
    size_t i = 0;
    while (i < set->n && strcmp(set->codes[i], code) < 0)
        i++;
    if (i < set->n && !strcmp(set->codes[i], code))
        return 0;
    if (set->n == sizeof set->codes / sizeof set->codes[0])
        return -1;
    memmove(&set->codes[i + 1], &set->codes[i], (set->n - i) * sizeof set->codes[0]);
    set->codes[i] = code;
    set->n++;
    return 0;
}

static bool code_set_has(const struct code_set *set, const char *code)
{
    for (size_t i = 0; i < set->n; i++)
        if (!strcmp(set->codes[i], code))
            return true;
    return false;
}

/* Adds the départements (or the région) an area reads; -1 when the code is unknown. */
static int widen_one(const struct territory_ref *a, const struct territory_index *ti, struct code_set *regions,
                     struct code_set *deps)
{
    const char *dep;
    switch (a->level) {
    case TERRITORY_REGION:
        return territory_index_has_region(ti, a->code) ? code_set_add(regions, a->code) : -1;
    case TERRITORY_DEPARTEMENT:
        return territory_index_departement_region(ti, a->code) ? code_set_add(deps, a->code) : -1;
    case TERRITORY_CITY:
        dep = territory_index_city_departement(ti, a->code, NULL);
        return dep ? code_set_add(deps, dep) : -1;
    case TERRITORY_EPCI: {
        const char *list[16];
        size_t n = territory_index_epci_departements(ti, a->code, list, 16);
        if (n == 0 || n > 16)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (code_set_add(deps, list[i]) < 0)
                return -1;
        return 0;
    }
    }
    return -1;
}

int auth_scope_build(const struct territory_ref *areas, size_t n, bool national, unsigned flags, const char *role,
                     const struct territory_index *ti, struct scope *out, char *reason, size_t reasonlen)
{
    if (role && !strcmp(role, "intervener"))
        flags &= ~(unsigned)SCOPE_FLAG_JUSTICE;
    if (national) {
        scope_national(out, flags);
        return 0;
    }
    if (n == 0) {
        snprintf(reason, reasonlen, "no area");
        return AUTH_SCOPE_INVALID;
    }
    if (!ti) {
        snprintf(reason, reasonlen, "territories are not loaded yet");
        return AUTH_SCOPE_NO_INDEX;
    }
    struct code_set regions = {.n = 0}, deps = {.n = 0};
    for (size_t i = 0; i < n; i++)
        if (widen_one(&areas[i], ti, &regions, &deps) < 0) {
            snprintf(reason, reasonlen, "invalid areas: unknown %s %s", territory_level_name(areas[i].level),
                     areas[i].code);
            return AUTH_SCOPE_INVALID;
        }
    memset(out, 0, sizeof(*out));
    out->kind = SCOPE_TERRITORIAL;
    out->flags = flags & ~(unsigned)SCOPE_FLAG_FINANCES; /* the platform's finances are national */
    for (size_t i = 0; i < regions.n + deps.n; i++) {
        bool is_region = i < regions.n;
        const char *code = is_region ? regions.codes[i] : deps.codes[i - regions.n];
        const char *region = is_region ? NULL : territory_index_departement_region(ti, code);
        if (region && code_set_has(&regions, region))
            continue; /* already read through its région */
        if (out->n_areas == SCOPE_MAX_AREAS) {
            snprintf(reason, reasonlen, "invalid areas: more than %d territories once widened", SCOPE_MAX_AREAS);
            return AUTH_SCOPE_INVALID;
        }
        struct territory_ref *r = &out->areas[out->n_areas++];
        r->level = is_region ? TERRITORY_REGION : TERRITORY_DEPARTEMENT;
        snprintf(r->code, sizeof r->code, "%s", code);
    }
    return 0;
}

/* {"type": "city", "code": "93066"}: the platform's intervention_areas shape. */
static int parse_area_object(const json_t *v, struct territory_ref *ref, char *reason, size_t reasonlen)
{
    const char *type = json_string_value(json_object_get(v, "type"));
    const char *code = json_string_value(json_object_get(v, "code"));
    if (type && (!strcmp(type, "nation") || !strcmp(type, "national")))
        return 1;
    char text[48];
    if (!type || !code || strlen(type) + strlen(code) + 2 > sizeof text) {
        snprintf(reason, reasonlen, "invalid area object (type and code)");
        return AUTH_SCOPE_INVALID;
    }
    snprintf(text, sizeof text, "%.20s:%.20s", type, code);
    return auth_area_parse(text, ref, reason, reasonlen);
}

int auth_scope_from_claims(const json_t *claims, const struct territory_index *ti, struct scope *out, char *reason,
                           size_t reasonlen)
{
    const json_t *sub = json_object_get(claims, "sub"), *role = json_object_get(claims, "role");
    const json_t *areas = json_object_get(claims, "areas"), *flags = json_object_get(claims, "flags");
    char subject[64];
    if (json_is_string(sub) && *json_string_value(sub) && strlen(json_string_value(sub)) < 48)
        snprintf(subject, sizeof subject, "user:%s", json_string_value(sub));
    else if (json_is_integer(sub))
        snprintf(subject, sizeof subject, "user:%" JSON_INTEGER_FORMAT, json_integer_value(sub));
    else {
        snprintf(reason, reasonlen, "sub missing or invalid");
        return AUTH_SCOPE_INVALID;
    }
    if (role && !json_is_string(role)) {
        snprintf(reason, reasonlen, "role must be a string");
        return AUTH_SCOPE_INVALID;
    }
    if (!json_is_array(areas) || json_array_size(areas) == 0 || json_array_size(areas) > SCOPE_MAX_AREAS) {
        snprintf(reason, reasonlen, "invalid areas: a non-empty array of at most %d areas is required",
                 SCOPE_MAX_AREAS);
        return AUTH_SCOPE_INVALID;
    }
    struct territory_ref refs[SCOPE_MAX_AREAS];
    size_t n = 0, i;
    bool national = false;
    const json_t *v;
    json_array_foreach(areas, i, v)
    {
        int rc = json_is_string(v)   ? auth_area_parse(json_string_value(v), &refs[n], reason, reasonlen)
                 : json_is_object(v) ? parse_area_object(v, &refs[n], reason, reasonlen)
                                     : (snprintf(reason, reasonlen, "invalid areas: not a string"), -1);
        if (rc < 0)
            return AUTH_SCOPE_INVALID;
        national |= rc == 1;
        n += rc == 0;
    }
    unsigned bits = 0;
    if (flags && !json_is_array(flags)) {
        snprintf(reason, reasonlen, "flags must be an array");
        return AUTH_SCOPE_INVALID;
    }
    json_array_foreach(flags, i, v)
    {
        unsigned bit = json_is_string(v) ? auth_flag_parse(json_string_value(v)) : 0;
        if (!bit) {
            snprintf(reason, reasonlen, "unknown flag (justice, owners, finances)");
            return AUTH_SCOPE_INVALID;
        }
        bits |= bit;
    }
    int rc = auth_scope_build(refs, n, national, bits, json_string_value(role), ti, out, reason, reasonlen);
    if (rc == 0)
        snprintf(out->subject, sizeof out->subject, "%s", subject);
    return rc;
}

int auth_scope_from_lists(const char *const *areas, size_t n_areas, const char *const *flags, size_t n_flags,
                          const char *key_id, const struct territory_index *ti, struct scope *out, char *reason,
                          size_t reasonlen)
{
    if (n_areas == 0 || n_areas > SCOPE_MAX_AREAS) {
        snprintf(reason, reasonlen, "invalid areas: 1 to %d required", SCOPE_MAX_AREAS);
        return AUTH_SCOPE_INVALID;
    }
    struct territory_ref refs[SCOPE_MAX_AREAS];
    size_t n = 0;
    bool national = false;
    for (size_t i = 0; i < n_areas; i++) {
        int rc = auth_area_parse(areas[i], &refs[n], reason, reasonlen);
        if (rc < 0)
            return AUTH_SCOPE_INVALID;
        national |= rc == 1;
        n += rc == 0;
    }
    unsigned bits = 0;
    for (size_t i = 0; i < n_flags; i++) {
        unsigned bit = auth_flag_parse(flags[i]);
        if (!bit) {
            snprintf(reason, reasonlen, "unknown flag (justice, owners, finances)");
            return AUTH_SCOPE_INVALID;
        }
        bits |= bit;
    }
    int rc = auth_scope_build(refs, n, national, bits, NULL, ti, out, reason, reasonlen);
    if (rc == 0)
        snprintf(out->subject, sizeof out->subject, "key:%.58s", key_id);
    return rc;
}
