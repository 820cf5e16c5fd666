/* CQL2 operands: property names checked against the queryables, string and number
 * literals, TRUE/FALSE, DATE('...') and TIMESTAMP('...'), and the type check of two
 * operands. The predicates that use them are in cql2_predicate.c. */
#include "ogc/cql2_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const reserved_words[] = {"AND", "OR",  "NOT",     "IS",   "NULL",
                                             "LIKE", "IN", "BETWEEN", "TRUE", "FALSE"};

const char *cql2_type_name(enum cql2_type t)
{
    switch (t) {
    case CQL2_T_STRING: return "a string";
    case CQL2_T_NUMBER: return "a number";
    case CQL2_T_BOOLEAN: return "a boolean";
    case CQL2_T_DATE: return "a date";
    case CQL2_T_GEOMETRY: return "a geometry";
    }
    return "a value";
}

bool cql2_expect(struct cql2_parser *p, enum cql2_tok kind, const char *what)
{
    if (p->tok.kind != kind)
        return cql2_fail(p, p->tok.pos, "expected %s, found %s", what, cql2_tok_describe(p));
    return cql2_next(p);
}

struct cql2_node *cql2_new_node(struct cql2_parser *p, enum cql2_node_kind kind)
{
    if (!cql2_count_node(p))
        return NULL;
    struct cql2_node *n = cql2_arena_alloc(p->arena, sizeof *n);
    if (!n)
        cql2_fail(p, p->tok.pos, "out of memory");
    else
        n->kind = kind;
    return n;
}

/* The next non-blank source character after the current token. */
char cql2_peek_char(const struct cql2_parser *p)
{
    size_t i = p->pos;
    while (i < p->src_len && strchr(" \t\r\n", p->src[i]))
        i++;
    return i < p->src_len ? p->src[i] : '\0';
}

/* ---- literals ---- */
static bool two_digits(const char *s, int *out)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return false;
    *out = (s[0] - '0') * 10 + (s[1] - '0');
    return true;
}

/* YYYY-MM-DD to days since 1970-01-01, checked against the calendar by timegm's
 * normalisation (a 31 April comes back as 1 May). */
static bool parse_day(const char *s, double *day)
{
    int c, yy, m, d;
    if (!two_digits(s, &c) || !two_digits(s + 2, &yy) || s[4] != '-' ||
        !two_digits(s + 5, &m) || s[7] != '-' || !two_digits(s + 8, &d))
        return false;
    struct tm tm = {.tm_year = c * 100 + yy - 1900, .tm_mon = m - 1, .tm_mday = d};
    struct tm want = tm;
    time_t t = timegm(&tm);
    if (c * 100 + yy < 1 || tm.tm_year != want.tm_year || tm.tm_mon != want.tm_mon ||
        tm.tm_mday != want.tm_mday)
        return false;
    *day = (double)(t / 86400);
    return true;
}

/* YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM) to days with a fraction. */
static bool parse_timestamp(const char *s, double *day)
{
    int h, mi, sec, oh = 0, om = 0, sign = 0;
    if (strlen(s) < 20 || !parse_day(s, day) || (s[10] != 'T' && s[10] != 't') ||
        !two_digits(s + 11, &h) || s[13] != ':' || !two_digits(s + 14, &mi) || s[16] != ':' ||
        !two_digits(s + 17, &sec) || h > 23 || mi > 59 || sec > 60)
        return false;
    const char *z = s + 19;
    double frac = 0, scale = 0.1;
    if (*z == '.') {
        z++;
        if (*z < '0' || *z > '9')
            return false;
        for (; *z >= '0' && *z <= '9'; z++, scale /= 10)
            frac += (*z - '0') * scale;
    }
    if ((*z == 'Z' || *z == 'z') && !z[1]) {
        sign = 0;
    } else if ((*z == '+' || *z == '-') && two_digits(z + 1, &oh) && z[3] == ':' &&
               two_digits(z + 4, &om) && !z[6] && oh <= 23 && om <= 59) {
        sign = *z == '+' ? 1 : -1;
    } else {
        return false;
    }
    double seconds = h * 3600.0 + mi * 60.0 + sec + frac - sign * (oh * 3600.0 + om * 60.0);
    *day += seconds / 86400.0;
    return true;
}

static bool parse_temporal(struct cql2_parser *p, struct cql2_operand *out, bool timestamp)
{
    size_t pos = p->tok.pos;
    if (!cql2_next(p) || !cql2_expect(p, TOK_LPAREN, "'('"))
        return false;
    if (p->tok.kind != TOK_STRING)
        return cql2_fail(p, p->tok.pos, "expected a quoted %s",
                         timestamp ? "timestamp" : "date");
    bool ok = timestamp ? parse_timestamp(p->tok.text, &out->num)
                        : strlen(p->tok.text) == 10 && parse_day(p->tok.text, &out->num);
    if (!ok)
        return cql2_fail(p, p->tok.pos, timestamp ? "invalid timestamp (expected "
                                                    "YYYY-MM-DDTHH:MM:SSZ)"
                                                  : "invalid date (expected YYYY-MM-DD)");
    out->type = CQL2_T_DATE;
    out->pos = pos;
    return cql2_next(p) && cql2_expect(p, TOK_RPAREN, "')'");
}

/* ---- properties ---- */
bool cql2_unknown_property(struct cql2_parser *p, const char *name)
{
    char list[320];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < p->nq && used < sizeof list - 8; i++) {
        int n = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", p->q[i].name);
        if (n < 0 || (size_t)n >= sizeof list - used) {
            snprintf(list + used, sizeof list - used, ", ...");
            break;
        }
        used += (size_t)n;
    }
    return cql2_fail(p, p->tok.pos, "unknown property '%.64s'; queryables: %s", name,
                     p->nq ? list : "(none)");
}

/* Index of the queryable, or nq when unknown (the error is then set). */
static size_t find_property(struct cql2_parser *p, const char *name)
{
    for (size_t i = 0; i < p->nq; i++)
        if (strcmp(p->q[i].name, name) == 0)
            return i;
    cql2_unknown_property(p, name);
    return p->nq;
}

static bool is_reserved(const struct cql2_token *t)
{
    for (size_t i = 0; i < sizeof reserved_words / sizeof reserved_words[0]; i++)
        if (cql2_tok_is_word(t, reserved_words[i]))
            return true;
    return false;
}

bool cql2_parse_operand(struct cql2_parser *p, struct cql2_operand *out)
{
    if (!cql2_count_node(p))
        return false;
    out->pos = p->tok.pos;
    switch (p->tok.kind) {
    case TOK_STRING:
        out->type = CQL2_T_STRING;
        out->str = p->tok.text;
        return cql2_next(p);
    case TOK_NUMBER:
        out->type = CQL2_T_NUMBER;
        out->num = p->tok.num;
        return cql2_next(p);
    case TOK_IDENT:
        if (cql2_tok_is_word(&p->tok, "TRUE") || cql2_tok_is_word(&p->tok, "FALSE")) {
            out->type = CQL2_T_BOOLEAN;
            out->boolean = cql2_tok_is_word(&p->tok, "TRUE");
            return cql2_next(p);
        }
        if (is_reserved(&p->tok))
            return cql2_fail(p, p->tok.pos, "expected a property or a value, found %s",
                             cql2_tok_describe(p));
        if (cql2_peek_char(p) == '(') {
            if (cql2_tok_is_word(&p->tok, "DATE") || cql2_tok_is_word(&p->tok, "TIMESTAMP"))
                return parse_temporal(p, out, cql2_tok_is_word(&p->tok, "TIMESTAMP"));
            if (cql2_is_geometry_start(p))
                return cql2_fail(p, p->tok.pos, "a geometry is only allowed in S_INTERSECTS");
            return cql2_fail(p, p->tok.pos, "unsupported function %s", cql2_tok_describe(p));
        }
        /* not a keyword nor a function: a property name */
        __attribute__((fallthrough));
    case TOK_QUOTED_IDENT: {
        size_t qi = find_property(p, p->tok.text);
        if (qi == p->nq)
            return false;
        if (p->q[qi].type == CQL2_T_GEOMETRY)
            return cql2_fail(p, p->tok.pos, "property '%s' is a geometry: use S_INTERSECTS",
                             p->q[qi].name);
        out->is_property = true;
        out->qi = qi;
        out->type = p->q[qi].type;
        return cql2_next(p);
    }
    default:
        return cql2_fail(p, p->tok.pos, "expected a property or a value, found %s",
                         cql2_tok_describe(p));
    }
}

/* Both sides of a comparison must have one type; the message names the property. */
bool cql2_check_types(struct cql2_parser *p, const struct cql2_operand *a,
                        const struct cql2_operand *b)
{
    if (a->type == b->type)
        return true;
    const struct cql2_operand *prop = a->is_property ? a : b->is_property ? b : NULL;
    const struct cql2_operand *other = prop == a ? b : a;
    if (prop && !other->is_property)
        return cql2_fail(p, other->pos, "property '%s' is %s, compared with %s",
                         p->q[prop->qi].name, cql2_type_name(prop->type), cql2_type_name(other->type));
    if (prop)
        return cql2_fail(p, b->pos, "property '%s' is %s, compared with property '%s' (%s)",
                         p->q[a->qi].name, cql2_type_name(a->type), p->q[b->qi].name,
                         cql2_type_name(b->type));
    return cql2_fail(p, b->pos, "%s compared with %s", cql2_type_name(a->type), cql2_type_name(b->type));
}

