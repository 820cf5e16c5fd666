/* Shared between the CQL2 lexer, parser, geometry and evaluator (ogc/cql2_*.c); not for
 * other modules. Everything of one expression lives in one arena freed at once. */
#ifndef RBMAP_OGC_CQL2_INTERNAL_H
#define RBMAP_OGC_CQL2_INTERNAL_H
#include "ogc/cql2.h"

#include <stdarg.h>

/* ---- arena ---- */
struct cql2_arena_block;
struct cql2_arena {
    struct cql2_arena_block *head;
};
void *cql2_arena_alloc(struct cql2_arena *a, size_t size); /* zeroed; NULL on failure */
void cql2_arena_free(struct cql2_arena *a);

/* ---- tokens ---- */
enum cql2_tok {
    TOK_END,
    TOK_IDENT,        /* bare word: keyword or property name */
    TOK_QUOTED_IDENT, /* "name" */
    TOK_STRING,       /* 'text' */
    TOK_NUMBER,
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_COMMA,
    TOK_EQ,
    TOK_NE,
    TOK_LT,
    TOK_LE,
    TOK_GT,
    TOK_GE,
    TOK_ERROR
};

struct cql2_token {
    enum cql2_tok kind;
    size_t pos;   /* byte offset of the first character */
    size_t len;   /* source length */
    char *text;   /* IDENT/QUOTED_IDENT/STRING: unescaped, arena-owned */
    double num;   /* NUMBER */
};

struct cql2_parser {
    const char *src;
    size_t src_len;
    size_t pos;               /* lexer position */
    struct cql2_token tok;    /* current token */
    struct cql2_arena *arena;
    const struct cql2_queryable *q;
    size_t nq;
    int depth;
    size_t nodes;
    size_t coords;
    char *err;
    size_t errlen;
    bool failed;
    double *scratch;          /* coordinates of the geometry being read */
    size_t scratch_len, scratch_cap;
    struct cql2_expr *expr;   /* being built */
    size_t geoms_cap;
    char near[64];            /* describes the current token for messages */
};

/* A short printable description of the current token ("'AND'", "end of filter"). */
const char *cql2_tok_describe(struct cql2_parser *p);
/* Length of the UTF-8 sequence at s (1 for an invalid byte); 0 at the NUL. */
size_t cql2_utf8_len(const char *s);

/* Moves to the next token; false (with the error set) on a lexical error. */
bool cql2_next(struct cql2_parser *p);
/* Sets the error once ("filter: <message> at <pos+1>") and returns false. */
bool cql2_fail(struct cql2_parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool cql2_tok_is_word(const struct cql2_token *t, const char *word); /* IDENT, any case */
bool cql2_count_node(struct cql2_parser *p);

/* ---- geometry ---- */
enum cql2_geom_kind {
    GEOM_POINT,
    GEOM_MULTIPOINT,
    GEOM_LINESTRING,
    GEOM_MULTILINESTRING,
    GEOM_POLYGON,
    GEOM_MULTIPOLYGON,
    GEOM_BBOX /* stored as one or two rectangular polygons */
};

struct cql2_range {
    size_t first, count;
};

/* Points: each coordinate is a point. Lines: paths are rings[]. Polygons: polys[i] is a
 * range of rings[], the first the shell, the others holes; rings are closed. */
struct cql2_geometry {
    enum cql2_geom_kind kind;
    double *xy;          /* 2 * n_coords */
    size_t n_coords;
    struct cql2_range *rings;
    size_t n_rings;
    struct cql2_range *polys;
    size_t n_polys;
    double minx, miny, maxx, maxy;
};

/* The current token starts a geometry literal (POINT, ..., BBOX, ENVELOPE). */
bool cql2_is_geometry_start(const struct cql2_parser *p);
/* Reads the literal at the current token; NULL with the error set. */
struct cql2_geometry *cql2_parse_geometry(struct cql2_parser *p);
void cql2_geometry_update_bounds(struct cql2_geometry *g);
bool cql2_geometry_is_polygonal(const struct cql2_geometry *g);

/* ---- expression tree ---- */
enum cql2_node_kind {
    NODE_AND,
    NODE_OR,
    NODE_NOT,
    NODE_CMP,
    NODE_LIKE,
    NODE_IN,
    NODE_BETWEEN,
    NODE_IS_NULL,
    NODE_CONST,
    NODE_INTERSECTS
};

enum cql2_cmp { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };

/* A property or a literal; dates and timestamps are days (a fraction for the time). */
struct cql2_operand {
    bool is_property;
    size_t qi;            /* queryable index when is_property */
    enum cql2_type type;
    const char *str;
    double num;
    bool boolean;
    size_t pos;
};

struct cql2_node {
    enum cql2_node_kind kind;
    bool negated;                   /* NOT LIKE, NOT IN, NOT BETWEEN, IS NOT NULL */
    enum cql2_cmp cmp;
    struct cql2_node **children;    /* AND, OR: n_children; NOT: one */
    size_t n_children;
    struct cql2_operand *ops;       /* CMP: 2; LIKE: 2; IN: 1 + list; BETWEEN: 3; IS NULL: 1 */
    size_t n_ops;
    bool constant;                  /* NODE_CONST */
    struct cql2_geometry *geom;     /* NODE_INTERSECTS */
};

struct cql2_expr {
    struct cql2_arena arena;
    struct cql2_node *root;
    struct cql2_geometry **geoms;   /* every literal, for cql2_transform */
    size_t n_geoms;
};

/* Parser pieces (cql2_operand.c, cql2_predicate.c), each reading from the current token. */
struct cql2_node *cql2_new_node(struct cql2_parser *p, enum cql2_node_kind kind);
const char *cql2_type_name(enum cql2_type t); /* "a string", "a number", ... */
bool cql2_expect(struct cql2_parser *p, enum cql2_tok kind, const char *what);
char cql2_peek_char(const struct cql2_parser *p); /* next non-blank character after the token */
bool cql2_parse_operand(struct cql2_parser *p, struct cql2_operand *out);
/* Both sides must have one type; the message names the property. */
bool cql2_check_types(struct cql2_parser *p, const struct cql2_operand *a, const struct cql2_operand *b);
bool cql2_unknown_property(struct cql2_parser *p, const char *name); /* sets the error */
struct cql2_node *cql2_parse_predicate(struct cql2_parser *p);
struct cql2_node *cql2_parse_intersects(struct cql2_parser *p);

/* LIKE on UTF-8 bytes with the rules of cql2.h. */
bool cql2_like(const char *s, const char *pattern);

#endif
