#include "db/site_filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void site_filter_init(struct site_filter *f)
{
    memset(f, 0, sizeof(*f));
    f->day = DAY_NONE;
}

#define CLOSED_MASK (((1u << SITE_STATUS_COUNT) - 1) & ~(1u << SITE_OPEN))

/* Splits a comma list in place into at most max tokens; -1 on empty tokens. */
static int split_list(char *text, char **tokens, size_t max, size_t *n)
{
    *n = 0;
    char *save = NULL;
    if (!*text || text[strlen(text) - 1] == ',' || text[0] == ',' || strstr(text, ",,"))
        return -1;
    for (char *tok = strtok_r(text, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n == max)
            return -2;
        tokens[(*n)++] = tok;
    }
    return 0;
}

int site_filter_parse_status(struct site_filter *f, const char *value, char *err, size_t errlen)
{
    if (!value)
        return 0;
    char copy[256];
    if (strlen(value) >= sizeof copy) {
        snprintf(err, errlen, "status: too long");
        return -1;
    }
    strcpy(copy, value);
    char *tokens[16];
    size_t n;
    if (split_list(copy, tokens, 16, &n) < 0) {
        snprintf(err, errlen, "status: expected a comma list of open, closed, resorbed or a status");
        return -1;
    }
    f->has_status = true;
    for (size_t i = 0; i < n; i++) {
        int raw;
        if (!strcmp(tokens[i], "closed"))
            f->status_mask |= CLOSED_MASK;
        else if (!strcmp(tokens[i], "resorbed"))
            f->want_resorbed = true;
        else if ((raw = site_status_parse(tokens[i])) >= 0)
            f->status_mask |= 1u << raw;
        else {
            snprintf(err, errlen,
                     "status: unknown value '%.40s' (open, closed, resorbed, closed_by_justice, closed_by_pref_admin,"
                     " closed_by_city_admin, other, unknown)", tokens[i]);
            return -1;
        }
    }
    return 0;
}

int site_filter_parse_territory(struct site_filter *f, const char *value, char *err, size_t errlen)
{
    if (!value)
        return 0;
    char inner[200];
    int n = territory_ref_parse_list(value, f->territories, SITE_FILTER_MAX_TERRITORIES, inner, sizeof inner);
    if (n < 0) {
        snprintf(err, errlen, "territory: %s", inner);
        return -1;
    }
    f->n_territories = (size_t)n;
    return 0;
}

int site_filter_parse_field_type(struct site_filter *f, const char *value, char *err, size_t errlen)
{
    if (!value)
        return 0;
    char copy[1024];
    if (strlen(value) >= sizeof copy) {
        snprintf(err, errlen, "field_type: too long");
        return -1;
    }
    strcpy(copy, value);
    char *tokens[SITE_FILTER_MAX_FIELD_TYPES];
    size_t n;
    int rc = split_list(copy, tokens, SITE_FILTER_MAX_FIELD_TYPES, &n);
    if (rc < 0) {
        snprintf(err, errlen, rc == -2 ? "field_type: at most %d values" : "field_type: expected a comma list of ids or labels",
                 SITE_FILTER_MAX_FIELD_TYPES);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char *end;
        errno = 0;
        long id = strtol(tokens[i], &end, 10);
        if (!*end && !errno && id > 0 && id <= INT32_MAX) {
            f->field_type_ids[i] = (int32_t)id;
            f->field_type_labels[i][0] = '\0';
        } else if (strlen(tokens[i]) < sizeof f->field_type_labels[i]) {
            f->field_type_ids[i] = -1;
            strcpy(f->field_type_labels[i], tokens[i]);
        } else {
            snprintf(err, errlen, "field_type: value too long");
            return -1;
        }
    }
    f->n_field_types = n;
    return 0;
}

int site_filter_parse_date(struct site_filter *f, const char *value, char *err, size_t errlen)
{
    if (!value)
        return 0;
    int32_t day = strlen(value) == 10 ? day_from_iso(value) : DAY_NONE;
    if (day == DAY_NONE) {
        snprintf(err, errlen, "date: expected YYYY-MM-DD, not '%.40s'", value);
        return -1;
    }
    f->day = day;
    return 0;
}

int site_filter_resolve(struct site_filter *f, const struct site_snapshot *snap, char *err, size_t errlen)
{
    for (size_t i = 0; i < f->n_field_types; i++) {
        if (!f->field_type_labels[i][0])
            continue;
        const struct field_type *found = NULL;
        for (size_t j = 0; j < snap->n_field_types && !found; j++)
            if (!strcasecmp(snap->field_types[j].label, f->field_type_labels[i]))
                found = &snap->field_types[j];
        if (!found) {
            snprintf(err, errlen, "field_type: unknown field type '%.60s'", f->field_type_labels[i]);
            return -1;
        }
        f->field_type_ids[i] = found->id;
    }
    return 0;
}

int site_status_on(const struct site *s, int32_t day)
{
    if (day == DAY_NONE)
        return s->status;
    int32_t start = s->declared_day != DAY_NONE ? s->declared_day : s->built_day;
    if (start == DAY_NONE || start > day)
        return -1;
    if (s->closed_day == DAY_NONE || s->closed_day > day)
        return SITE_OPEN;
    return s->status;
}

bool site_in_territory(const struct site *s, const struct territory_ref *t)
{
    switch (t->level) {
    case TERRITORY_REGION: return !strcmp(s->region_code, t->code);
    case TERRITORY_DEPARTEMENT: return !strcmp(s->departement_code, t->code);
    case TERRITORY_EPCI: return !strcmp(s->epci_code, t->code);
    case TERRITORY_CITY: return !strcmp(s->city_code, t->code) || !strcmp(s->main_city_code, t->code);
    }
    return false;
}

bool site_filter_match(const struct site_filter *f, const struct site *s)
{
    int status = site_status_on(s, f->day);
    if (status < 0)
        return false;
    if (f->has_status) {
        bool ok = (f->status_mask >> status) & 1u;
        if (!ok && f->want_resorbed)
            ok = status != SITE_OPEN && s->closed_with_solutions == 1;
        if (!ok)
            return false;
    }
    if (f->n_territories) {
        bool in = false;
        for (size_t i = 0; i < f->n_territories && !in; i++)
            in = site_in_territory(s, &f->territories[i]);
        if (!in)
            return false;
    }
    if (f->n_field_types) {
        bool in = false;
        for (size_t i = 0; i < f->n_field_types && !in; i++)
            in = f->field_type_ids[i] == s->field_type_id;
        if (!in)
            return false;
    }
    return true;
}

bool scope_allows_site(const struct scope *scope, const struct site *s)
{
    if (scope->kind == SCOPE_NATIONAL)
        return true;
    if (scope->kind == SCOPE_PUBLIC)
        return false;
    for (size_t i = 0; i < scope->n_areas; i++)
        if (site_in_territory(s, &scope->areas[i]))
            return true;
    return false;
}

void site_filter_key(const struct site_filter *f, char *out, size_t outlen)
{
    size_t used = (size_t)snprintf(out, outlen, "s=%u%s;d=%d;t=", f->has_status ? f->status_mask : 0xffffu,
                                   f->want_resorbed ? "r" : "", f->day);
    for (size_t i = 0; i < f->n_territories && used < outlen; i++)
        used += (size_t)snprintf(out + used, outlen - used, "%s%s:%s", i ? "," : "",
                                 territory_level_name(f->territories[i].level), f->territories[i].code);
    if (used < outlen)
        used += (size_t)snprintf(out + used, outlen - used, ";f=");
    for (size_t i = 0; i < f->n_field_types && used < outlen; i++)
        used += (size_t)snprintf(out + used, outlen - used, "%s%d", i ? "," : "", f->field_type_ids[i]);
}
