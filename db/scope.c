#include "db/scope.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const level_names[] = {"region", "departement", "epci", "city"};

const char *territory_level_name(enum territory_level level) { return level_names[level]; }

void scope_public(struct scope *s)
{
    memset(s, 0, sizeof(*s));
    s->kind = SCOPE_PUBLIC;
}

void scope_national(struct scope *s, unsigned flags)
{
    memset(s, 0, sizeof(*s));
    s->kind = SCOPE_NATIONAL;
    s->flags = flags;
}

/* INSEE codes: régions 2 digits; départements 2-3 (2A/2B); EPCI 9-digit SIREN;
 * communes 5 characters with 2A/2B for Corsica. */
static bool code_has_shape(enum territory_level level, const char *code, size_t len)
{
    size_t min = 2, max = 3;
    switch (level) {
    case TERRITORY_REGION: min = 2; max = 2; break;
    case TERRITORY_DEPARTEMENT: min = 2; max = 3; break;
    case TERRITORY_EPCI: min = 9; max = 9; break;
    case TERRITORY_CITY: min = 5; max = 5; break;
    }
    if (len < min || len > max)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = code[i];
        bool corsica = (level == TERRITORY_DEPARTEMENT || level == TERRITORY_CITY) && i == 1 &&
                       code[0] == '2' && (c == 'A' || c == 'B');
        if (!isdigit((unsigned char)c) && !corsica)
            return false;
    }
    return true;
}

int territory_ref_parse_list(const char *text, struct territory_ref *out, size_t max,
                             char *err, size_t errlen)
{
    size_t n = 0;
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t item_len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', item_len);
        if (!colon) {
            snprintf(err, errlen, "territory '%.*s' must be LEVEL:CODE (region, departement, epci, city)",
                     (int)(item_len > 40 ? 40 : item_len), p);
            return -1;
        }
        size_t level_len = (size_t)(colon - p);
        int level = -1;
        for (int i = 0; i < 4; i++)
            if (strlen(level_names[i]) == level_len && !memcmp(level_names[i], p, level_len))
                level = i;
        if (level < 0) {
            snprintf(err, errlen, "unknown territory level '%.*s' (region, departement, epci, city)",
                     (int)(level_len > 20 ? 20 : level_len), p);
            return -1;
        }
        const char *code = colon + 1;
        size_t code_len = item_len - level_len - 1;
        if (!code_has_shape((enum territory_level)level, code, code_len)) {
            snprintf(err, errlen, "'%.*s' is not a valid %s code", (int)(code_len > 20 ? 20 : code_len),
                     code, level_names[level]);
            return -1;
        }
        if (n == max) {
            snprintf(err, errlen, "too many territories (at most %zu)", max);
            return -1;
        }
        out[n].level = (enum territory_level)level;
        memcpy(out[n].code, code, code_len);
        out[n].code[code_len] = '\0';
        n++;
        if (!end)
            break;
        p = end + 1;
        if (!*p) {
            snprintf(err, errlen, "territory list ends with a comma");
            return -1;
        }
    }
    if (n == 0) {
        snprintf(err, errlen, "territory list is empty");
        return -1;
    }
    return (int)n;
}

void scope_describe(const struct scope *s, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
#define APPEND(...)                                                                      \
    do {                                                                                 \
        int w_ = snprintf(out + used, used < outlen ? outlen - used : 0, __VA_ARGS__);   \
        if (w_ > 0)                                                                      \
            used += (size_t)w_;                                                          \
    } while (0)
    if (s->kind == SCOPE_PUBLIC)
        APPEND("public");
    else if (s->kind == SCOPE_NATIONAL)
        APPEND("national");
    else
        for (size_t i = 0; i < s->n_areas; i++)
            APPEND("%s%s:%s", i ? "," : "", level_names[s->areas[i].level], s->areas[i].code);
    if (s->flags & SCOPE_FLAG_JUSTICE)
        APPEND("+justice");
    if (s->flags & SCOPE_FLAG_OWNERS)
        APPEND("+owners");
    if (s->flags & SCOPE_FLAG_FINANCES)
        APPEND("+finances");
#undef APPEND
    if (used >= outlen && outlen)
        out[outlen - 1] = '\0';
}
