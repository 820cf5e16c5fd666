/* Evaluation of a parsed CQL2 filter against one feature, in three-valued logic (see
 * cql2.h), and the spatial bounds a filter implies. */
#include "ogc/cql2_internal.h"

#include <math.h>
#include <string.h>

enum tri { T_FALSE = 0, T_TRUE = 1, T_UNKNOWN = 2 };

struct value {
    bool null;
    const char *str;
    double num;
    bool boolean;
};

static struct value read_operand(const struct cql2_operand *o, const struct cql2_feature *f)
{
    struct value v = {0};
    if (!o->is_property) {
        v.str = o->str, v.num = o->num, v.boolean = o->boolean;
        return v;
    }
    if (!f->get) {
        v.null = true;
        return v;
    }
    struct cql2_value out;
    memset(&out, 0, sizeof out);
    out.type = o->type;
    f->get(f->ctx, o->qi, &out);
    v.null = out.is_null || out.type != o->type;
    switch (o->type) {
    case CQL2_T_STRING:
        v.str = out.str;
        v.null = v.null || !out.str;
        break;
    case CQL2_T_NUMBER:
        v.num = out.num;
        v.null = v.null || isnan(out.num);
        break;
    case CQL2_T_BOOLEAN:
        v.boolean = out.boolean;
        break;
    case CQL2_T_DATE:
        v.num = out.day;
        v.null = v.null || out.day == INT32_MIN; /* db/site_store.h DAY_NONE */
        break;
    case CQL2_T_GEOMETRY:
        v.null = true;
        break;
    }
    return v;
}

/* <0, 0, >0; both values non-null and of type t. */
static int compare(enum cql2_type t, const struct value *a, const struct value *b)
{
    switch (t) {
    case CQL2_T_STRING: return strcmp(a->str, b->str);
    case CQL2_T_BOOLEAN: return (int)a->boolean - (int)b->boolean;
    default: return a->num < b->num ? -1 : a->num > b->num ? 1 : 0;
    }
}

static bool cmp_holds(enum cql2_cmp op, int c)
{
    switch (op) {
    case CMP_EQ: return c == 0;
    case CMP_NE: return c != 0;
    case CMP_LT: return c < 0;
    case CMP_LE: return c <= 0;
    case CMP_GT: return c > 0;
    case CMP_GE: return c >= 0;
    }
    return false;
}

/* Iterative wildcard matching (one backtrack point for the last %): no recursion and
 * O(len(s) * len(pattern)) at worst whatever the pattern. */
bool cql2_like(const char *s, const char *pattern)
{
    const char *star_p = NULL, *star_s = NULL;
    for (;;) {
        if (*pattern == '%') {
            while (*pattern == '%')
                pattern++;
            star_p = pattern;
            star_s = s;
            continue;
        }
        if (*s) {
            const char *lit = pattern;
            size_t lit_len = 0;
            bool any = false;
            if (*pattern == '_') {
                any = true;
            } else if (*pattern == '\\' && (pattern[1] == '%' || pattern[1] == '_' ||
                                            pattern[1] == '\\')) {
                lit = pattern + 1;
                lit_len = 1;
            } else if (*pattern) {
                lit_len = cql2_utf8_len(pattern);
            }
            size_t step = cql2_utf8_len(s);
            if (any) {
                s += step;
                pattern++;
                continue;
            }
            if (lit_len && lit_len == step && memcmp(lit, s, step) == 0) {
                s += step;
                pattern = lit + lit_len;
                continue;
            }
        } else if (!*pattern) {
            return true;
        }
        /* Mismatch: let the last % swallow one more character, if there is one. */
        if (!star_p || !*star_s)
            return false;
        star_s += cql2_utf8_len(star_s);
        s = star_s;
        pattern = star_p;
    }
}

static enum tri from_bool(bool b)
{
    return b ? T_TRUE : T_FALSE;
}

static enum tri negate(enum tri t, bool negated)
{
    if (!negated || t == T_UNKNOWN)
        return t;
    return t == T_TRUE ? T_FALSE : T_TRUE;
}

static enum tri eval_node(const struct cql2_node *n, const struct cql2_feature *f)
{
    switch (n->kind) {
    case NODE_AND:
    case NODE_OR: {
        /* AND: one FALSE decides; OR: one TRUE decides; else UNKNOWN wins over the rest. */
        enum tri decisive = n->kind == NODE_AND ? T_FALSE : T_TRUE;
        enum tri result = n->kind == NODE_AND ? T_TRUE : T_FALSE;
        for (size_t i = 0; i < n->n_children; i++) {
            enum tri t = eval_node(n->children[i], f);
            if (t == decisive)
                return t;
            if (t == T_UNKNOWN)
                result = T_UNKNOWN;
        }
        return result;
    }
    case NODE_NOT:
        return negate(eval_node(n->children[0], f), true);
    case NODE_CONST:
        return from_bool(n->constant);
    case NODE_INTERSECTS:
        return from_bool(f->intersects && f->intersects(f->ctx, n->geom));
    case NODE_IS_NULL:
        return from_bool(read_operand(&n->ops[0], f).null != n->negated);
    default:
        break;
    }
    struct value a = read_operand(&n->ops[0], f);
    if (a.null)
        return T_UNKNOWN;
    enum cql2_type t = n->ops[0].type;
    switch (n->kind) {
    case NODE_CMP: {
        struct value b = read_operand(&n->ops[1], f);
        return b.null ? T_UNKNOWN : from_bool(cmp_holds(n->cmp, compare(t, &a, &b)));
    }
    case NODE_LIKE:
        return negate(from_bool(cql2_like(a.str, n->ops[1].str)), n->negated);
    case NODE_IN: {
        enum tri result = T_FALSE;
        for (size_t i = 1; i < n->n_ops; i++) {
            struct value b = read_operand(&n->ops[i], f);
            if (b.null)
                result = T_UNKNOWN;
            else if (compare(t, &a, &b) == 0)
                return negate(T_TRUE, n->negated);
        }
        return negate(result, n->negated);
    }
    case NODE_BETWEEN: {
        struct value lo = read_operand(&n->ops[1], f), hi = read_operand(&n->ops[2], f);
        enum tri above = lo.null ? T_UNKNOWN : from_bool(compare(t, &a, &lo) >= 0);
        enum tri below = hi.null ? T_UNKNOWN : from_bool(compare(t, &a, &hi) <= 0);
        enum tri both = above == T_FALSE || below == T_FALSE ? T_FALSE
                        : above == T_UNKNOWN || below == T_UNKNOWN ? T_UNKNOWN
                                                                   : T_TRUE;
        return negate(both, n->negated);
    }
    default:
        return T_UNKNOWN;
    }
}

bool cql2_eval(const struct cql2_expr *e, const struct cql2_feature *f)
{
    return e && e->root && f && eval_node(e->root, f) == T_TRUE;
}

static bool node_bounds(const struct cql2_node *n, double b[4])
{
    switch (n->kind) {
    case NODE_INTERSECTS:
        cql2_geometry_bounds(n->geom, &b[0], &b[1], &b[2], &b[3]);
        return true;
    case NODE_AND: {
        bool any = false;
        for (size_t i = 0; i < n->n_children; i++) {
            double c[4];
            if (!node_bounds(n->children[i], c))
                continue;
            if (!any) {
                memcpy(b, c, sizeof c);
            } else {
                b[0] = fmax(b[0], c[0]), b[1] = fmax(b[1], c[1]);
                b[2] = fmin(b[2], c[2]), b[3] = fmin(b[3], c[3]);
            }
            any = true;
        }
        return any;
    }
    case NODE_OR:
        for (size_t i = 0; i < n->n_children; i++) {
            double c[4];
            if (!node_bounds(n->children[i], c))
                return false;
            if (i == 0) {
                memcpy(b, c, sizeof c);
            } else {
                b[0] = fmin(b[0], c[0]), b[1] = fmin(b[1], c[1]);
                b[2] = fmax(b[2], c[2]), b[3] = fmax(b[3], c[3]);
            }
        }
        return n->n_children > 0;
    default:
        return false; /* NOT and scalar predicates say nothing about position */
    }
}

bool cql2_spatial_bounds(const struct cql2_expr *e, double *minx, double *miny,
                         double *maxx, double *maxy)
{
    double b[4];
    if (!e || !e->root || !node_bounds(e->root, b))
        return false;
    *minx = b[0], *miny = b[1], *maxx = b[2], *maxy = b[3];
    return true;
}
