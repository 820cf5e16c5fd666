/* CQL2 text to an expression tree, by recursive descent:
 *   or        := and { OR and }
 *   and       := not { AND not }
 *   not       := NOT not | primary
 *   primary   := '(' or ')' | S_INTERSECTS '(' arg ',' arg ')' | predicate
 *   predicate := operand ( cmp operand | IS [NOT] NULL | [NOT] LIKE string
 *                        | [NOT] IN '(' operand {',' operand} ')'
 *                        | [NOT] BETWEEN operand AND operand ) | TRUE | FALSE
 * Recursion only happens through NOT and '(' and each level is counted, so the stack depth
 * is bounded by CQL2_MAX_DEPTH whatever the input (10,000 '(' fail at the 33rd). AND and OR
 * nodes are n-ary, so a long chain does not deepen the tree either. */
#include "ogc/cql2_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct cql2_node *parse_or(struct cql2_parser *p);

static bool enter(struct cql2_parser *p)
{
    if (++p->depth > CQL2_MAX_DEPTH)
        return cql2_fail(p, p->tok.pos, "nesting deeper than %d", CQL2_MAX_DEPTH);
    return true;
}

static struct cql2_node *parse_primary(struct cql2_parser *p)
{
    if (p->tok.kind == TOK_LPAREN) {
        if (!enter(p) || !cql2_next(p))
            return NULL;
        struct cql2_node *n = parse_or(p);
        if (!n)
            return NULL;
        if (p->tok.kind != TOK_RPAREN) {
            cql2_fail(p, p->tok.pos, "expected ')', found %s", cql2_tok_describe(p));
            return NULL;
        }
        p->depth--;
        return cql2_next(p) ? n : NULL;
    }
    if (cql2_tok_is_word(&p->tok, "S_INTERSECTS") || cql2_tok_is_word(&p->tok, "INTERSECTS"))
        return cql2_parse_intersects(p);
    return cql2_parse_predicate(p);
}

static struct cql2_node *parse_not(struct cql2_parser *p)
{
    if (!cql2_tok_is_word(&p->tok, "NOT"))
        return parse_primary(p);
    struct cql2_node *n = cql2_new_node(p, NODE_NOT);
    if (!n || !enter(p) || !cql2_next(p))
        return NULL;
    n->children = cql2_arena_alloc(p->arena, sizeof *n->children);
    if (!n->children) {
        cql2_fail(p, p->tok.pos, "out of memory");
        return NULL;
    }
    n->n_children = 1;
    if (!(n->children[0] = parse_not(p)))
        return NULL;
    p->depth--;
    return n;
}

/* sub { WORD sub } as one n-ary node (or sub alone). */
static struct cql2_node *parse_chain(struct cql2_parser *p, const char *word,
                                     enum cql2_node_kind kind,
                                     struct cql2_node *(*sub)(struct cql2_parser *))
{
    struct cql2_node *first = sub(p);
    if (!first || !cql2_tok_is_word(&p->tok, word))
        return first;
    struct cql2_node *n = cql2_new_node(p, kind);
    if (!n)
        return NULL;
    /* Children are gathered in a bounded local array; the node limit bounds their count. */
    struct cql2_node **items = malloc((CQL2_MAX_NODES + 1) * sizeof *items);
    if (!items) {
        cql2_fail(p, p->tok.pos, "out of memory");
        return NULL;
    }
    size_t count = 0;
    items[count++] = first;
    bool ok = true;
    while (ok && cql2_tok_is_word(&p->tok, word)) {
        if (count > CQL2_MAX_NODES)
            ok = cql2_fail(p, p->tok.pos, "more than %d nodes", CQL2_MAX_NODES);
        else
            ok = cql2_next(p) && (items[count++] = sub(p)) != NULL;
    }
    if (ok && (n->children = cql2_arena_alloc(p->arena, count * sizeof *items))) {
        memcpy(n->children, items, count * sizeof *items);
        n->n_children = count;
    } else if (ok) {
        ok = cql2_fail(p, p->tok.pos, "out of memory");
    }
    free(items);
    return ok ? n : NULL;
}

static struct cql2_node *parse_and(struct cql2_parser *p)
{
    return parse_chain(p, "AND", NODE_AND, parse_not);
}

static struct cql2_node *parse_or(struct cql2_parser *p)
{
    return parse_chain(p, "OR", NODE_OR, parse_and);
}

struct cql2_expr *cql2_parse(const char *text, const struct cql2_queryable *q, size_t nq,
                             char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!text) {
        if (err && errlen)
            snprintf(err, errlen, "filter: missing");
        return NULL;
    }
    size_t len = strnlen(text, CQL2_MAX_TEXT + 1);
    if (len > CQL2_MAX_TEXT) {
        if (err && errlen)
            snprintf(err, errlen, "filter: longer than %d bytes", CQL2_MAX_TEXT);
        return NULL;
    }
    struct cql2_expr *e = calloc(1, sizeof *e);
    if (!e) {
        if (err && errlen)
            snprintf(err, errlen, "filter: out of memory");
        return NULL;
    }
    struct cql2_parser p = {
        .src = text, .src_len = len, .arena = &e->arena, .q = q, .nq = q ? nq : 0,
        .err = err, .errlen = errlen, .expr = e,
    };
    if (cql2_next(&p)) {
        if (p.tok.kind == TOK_END)
            cql2_fail(&p, p.tok.pos, "empty filter");
        else if ((e->root = parse_or(&p)) && p.tok.kind != TOK_END)
            cql2_fail(&p, p.tok.pos, "unexpected %s (missing AND or OR?)",
                      cql2_tok_describe(&p));
    }
    free(p.scratch);
    if (p.failed || !e->root) {
        if (!p.failed)
            cql2_fail(&p, p.tok.pos, "invalid filter");
        cql2_free(e);
        return NULL;
    }
    return e;
}

void cql2_free(struct cql2_expr *e)
{
    if (!e)
        return;
    cql2_arena_free(&e->arena);
    free(e->geoms);
    free(e);
}
