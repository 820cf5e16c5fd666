/* CQL2 predicates: comparisons, IS NULL, LIKE, IN, BETWEEN and S_INTERSECTS, over the
 * operands of cql2_operand.c, type-checked against the queryables. The logic around
 * them (AND/OR/NOT, parentheses) is in cql2_parse.c. */
#include "ogc/cql2_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct cql2_operand *new_operands(struct cql2_parser *p, size_t n)
{
    struct cql2_operand *ops = cql2_arena_alloc(p->arena, n * sizeof *ops);
    if (!ops)
        cql2_fail(p, p->tok.pos, "out of memory");
    return ops;
}

static bool parse_comparison(struct cql2_parser *p, struct cql2_node *n,
                             const struct cql2_operand *left)
{
    static const enum cql2_cmp cmp_of[] = {
        [TOK_EQ] = CMP_EQ, [TOK_NE] = CMP_NE, [TOK_LT] = CMP_LT,
        [TOK_LE] = CMP_LE, [TOK_GT] = CMP_GT, [TOK_GE] = CMP_GE,
    };
    n->kind = NODE_CMP;
    n->cmp = cmp_of[p->tok.kind];
    size_t op_pos = p->tok.pos;
    if (!cql2_next(p) || !(n->ops = new_operands(p, 2)))
        return false;
    n->n_ops = 2;
    n->ops[0] = *left;
    if (!cql2_parse_operand(p, &n->ops[1]) || !cql2_check_types(p, &n->ops[0], &n->ops[1]))
        return false;
    if (left->type == CQL2_T_BOOLEAN && n->cmp != CMP_EQ && n->cmp != CMP_NE)
        return cql2_fail(p, op_pos, "booleans are only compared with = and <>");
    return true;
}

static bool parse_like(struct cql2_parser *p, struct cql2_node *n,
                       const struct cql2_operand *left)
{
    n->kind = NODE_LIKE;
    if (left->type != CQL2_T_STRING)
        return left->is_property
                   ? cql2_fail(p, left->pos, "LIKE needs a string: property '%s' is %s",
                               p->q[left->qi].name, cql2_type_name(left->type))
                   : cql2_fail(p, left->pos, "LIKE needs a string, not %s",
                               cql2_type_name(left->type));
    if (!cql2_next(p))
        return false;
    if (p->tok.kind != TOK_STRING)
        return cql2_fail(p, p->tok.pos, "LIKE needs a quoted pattern, found %s",
                         cql2_tok_describe(p));
    if (!(n->ops = new_operands(p, 2)))
        return false;
    n->n_ops = 2;
    n->ops[0] = *left;
    return cql2_parse_operand(p, &n->ops[1]);
}

static bool parse_in(struct cql2_parser *p, struct cql2_node *n, const struct cql2_operand *left)
{
    n->kind = NODE_IN;
    if (!cql2_next(p) || !cql2_expect(p, TOK_LPAREN, "'(' after IN"))
        return false;
    /* The list is read into a bounded local array: the node limit bounds it anyway. */
    struct cql2_operand *items = calloc(CQL2_MAX_NODES + 1, sizeof *items);
    if (!items)
        return cql2_fail(p, p->tok.pos, "out of memory");
    size_t count = 0;
    bool ok = true;
    items[count++] = *left;
    do {
        if (count > CQL2_MAX_NODES)
            ok = cql2_fail(p, p->tok.pos, "more than %d nodes", CQL2_MAX_NODES);
        else
            ok = cql2_parse_operand(p, &items[count]) && cql2_check_types(p, left, &items[count]);
        count++;
    } while (ok && p->tok.kind == TOK_COMMA && cql2_next(p));
    ok = ok && cql2_expect(p, TOK_RPAREN, "',' or ')' in the IN list");
    if (ok && (n->ops = new_operands(p, count))) {
        memcpy(n->ops, items, count * sizeof *items);
        n->n_ops = count;
    }
    free(items);
    return ok && n->ops;
}

static bool parse_between(struct cql2_parser *p, struct cql2_node *n,
                          const struct cql2_operand *left)
{
    n->kind = NODE_BETWEEN;
    if (left->type != CQL2_T_NUMBER && left->type != CQL2_T_DATE)
        return left->is_property
                   ? cql2_fail(p, left->pos, "BETWEEN needs a number or a date: property "
                                             "'%s' is %s", p->q[left->qi].name,
                               cql2_type_name(left->type))
                   : cql2_fail(p, left->pos, "BETWEEN needs a number or a date");
    if (!cql2_next(p) || !(n->ops = new_operands(p, 3)))
        return false;
    n->n_ops = 3;
    n->ops[0] = *left;
    if (!cql2_parse_operand(p, &n->ops[1]) || !cql2_check_types(p, left, &n->ops[1]))
        return false;
    if (!cql2_tok_is_word(&p->tok, "AND"))
        return cql2_fail(p, p->tok.pos, "expected AND in BETWEEN, found %s",
                         cql2_tok_describe(p));
    return cql2_next(p) && cql2_parse_operand(p, &n->ops[2]) && cql2_check_types(p, left, &n->ops[2]);
}

static bool parse_is_null(struct cql2_parser *p, struct cql2_node *n,
                          const struct cql2_operand *left)
{
    n->kind = NODE_IS_NULL;
    if (!cql2_next(p))
        return false;
    if (cql2_tok_is_word(&p->tok, "NOT")) {
        n->negated = true;
        if (!cql2_next(p))
            return false;
    }
    if (!cql2_tok_is_word(&p->tok, "NULL"))
        return cql2_fail(p, p->tok.pos, "expected NULL after IS, found %s",
                         cql2_tok_describe(p));
    if (!(n->ops = new_operands(p, 1)))
        return false;
    n->n_ops = 1;
    n->ops[0] = *left;
    return cql2_next(p);
}

struct cql2_node *cql2_parse_predicate(struct cql2_parser *p)
{
    struct cql2_node *n = cql2_new_node(p, NODE_CMP);
    struct cql2_operand left = {0};
    if (!n || !cql2_parse_operand(p, &left))
        return NULL;
    bool ok;
    switch (p->tok.kind) {
    case TOK_EQ:
    case TOK_NE:
    case TOK_LT:
    case TOK_LE:
    case TOK_GT:
    case TOK_GE:
        ok = parse_comparison(p, n, &left);
        break;
    default:
        if (cql2_tok_is_word(&p->tok, "IS")) {
            ok = parse_is_null(p, n, &left);
            break;
        }
        if (cql2_tok_is_word(&p->tok, "NOT")) {
            n->negated = true;
            if (!cql2_next(p))
                return NULL;
        }
        if (cql2_tok_is_word(&p->tok, "LIKE"))
            ok = parse_like(p, n, &left);
        else if (cql2_tok_is_word(&p->tok, "IN"))
            ok = parse_in(p, n, &left);
        else if (cql2_tok_is_word(&p->tok, "BETWEEN"))
            ok = parse_between(p, n, &left);
        else if (!n->negated && !left.is_property && left.type == CQL2_T_BOOLEAN) {
            n->kind = NODE_CONST; /* TRUE or FALSE on its own */
            n->constant = left.boolean;
            ok = true;
        } else
            ok = cql2_fail(p, p->tok.pos, "expected %sLIKE, IN or BETWEEN%s, found %s",
                           n->negated ? "" : "a comparison, IS, ", n->negated ? " after NOT" : "",
                           cql2_tok_describe(p));
    }
    return ok ? n : NULL;
}

/* One argument of S_INTERSECTS: the geometry property or a literal. */
static bool parse_spatial_arg(struct cql2_parser *p, struct cql2_geometry **literal,
                              bool *property)
{
    if (cql2_is_geometry_start(p) && cql2_peek_char(p) == '(') {
        *literal = cql2_parse_geometry(p);
        return *literal != NULL;
    }
    if (p->tok.kind == TOK_IDENT && cql2_peek_char(p) == '(')
        return cql2_fail(p, p->tok.pos, "unsupported geometry %s (POINT, MULTIPOINT, "
                                        "LINESTRING, MULTILINESTRING, POLYGON, MULTIPOLYGON, "
                                        "BBOX, ENVELOPE)", cql2_tok_describe(p));
    if (p->tok.kind != TOK_IDENT && p->tok.kind != TOK_QUOTED_IDENT)
        return cql2_fail(p, p->tok.pos, "expected the geometry property or a geometry, found "
                                        "%s", cql2_tok_describe(p));
    bool has_geometry_queryable = false;
    for (size_t i = 0; i < p->nq; i++)
        if (p->q[i].type == CQL2_T_GEOMETRY) {
            has_geometry_queryable = true;
            if (strcmp(p->q[i].name, p->tok.text) == 0) {
                *property = true;
                return cql2_next(p);
            }
        }
    if (!has_geometry_queryable && strcmp(p->tok.text, "geometry") == 0) {
        *property = true;
        return cql2_next(p);
    }
    for (size_t i = 0; i < p->nq; i++)
        if (strcmp(p->q[i].name, p->tok.text) == 0)
            return cql2_fail(p, p->tok.pos, "property '%s' is %s, not a geometry",
                             p->q[i].name, cql2_type_name(p->q[i].type));
    return cql2_unknown_property(p, p->tok.text);
}

static bool remember_geometry(struct cql2_parser *p, struct cql2_geometry *g)
{
    struct cql2_expr *e = p->expr;
    if (e->n_geoms == p->geoms_cap) {
        size_t cap = p->geoms_cap ? 2 * p->geoms_cap : 4;
        struct cql2_geometry **a = realloc(e->geoms, cap * sizeof *a);
        if (!a)
            return cql2_fail(p, p->tok.pos, "out of memory");
        e->geoms = a;
        p->geoms_cap = cap;
    }
    e->geoms[e->n_geoms++] = g;
    return true;
}

struct cql2_node *cql2_parse_intersects(struct cql2_parser *p)
{
    size_t pos = p->tok.pos;
    struct cql2_node *n = cql2_new_node(p, NODE_INTERSECTS);
    if (!n || !cql2_next(p) || !cql2_expect(p, TOK_LPAREN, "'(' after S_INTERSECTS"))
        return NULL;
    struct cql2_geometry *g1 = NULL, *g2 = NULL;
    bool prop1 = false, prop2 = false;
    if (!parse_spatial_arg(p, &g1, &prop1) || !cql2_expect(p, TOK_COMMA, "','") ||
        !parse_spatial_arg(p, &g2, &prop2) || !cql2_expect(p, TOK_RPAREN, "')'"))
        return NULL;
    if (prop1 == prop2) {
        cql2_fail(p, pos, "S_INTERSECTS needs the geometry property and one geometry");
        return NULL;
    }
    n->geom = g1 ? g1 : g2;
    return remember_geometry(p, n->geom) ? n : NULL;
}
