/* CQL2 text tokens, the expression arena and error reporting. */
#include "ogc/cql2_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- arena: one block per allocation group, freed together ---- */
struct cql2_arena_block {
    struct cql2_arena_block *next;
    size_t used, cap;
    max_align_t data[];
};

#define ARENA_BLOCK 8192

void *cql2_arena_alloc(struct cql2_arena *a, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (size == 0)
        size = sizeof(max_align_t);
    struct cql2_arena_block *b = a->head;
    if (!b || b->cap - b->used < size) {
        size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->cap = cap;
        b->used = 0;
        /* A big allocation goes behind the current block so that the current block's
         * free space stays usable. */
        if (a->head && size > ARENA_BLOCK) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *out = (char *)b->data + b->used;
    b->used += size;
    memset(out, 0, size);
    return out;
}

void cql2_arena_free(struct cql2_arena *a)
{
    struct cql2_arena_block *b = a->head;
    while (b) {
        struct cql2_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

static void sanitize(char *s);

/* ---- errors ---- */
bool cql2_fail(struct cql2_parser *p, size_t pos, const char *fmt, ...)
{
    if (p->failed)
        return false;
    p->failed = true;
    p->tok.kind = TOK_ERROR;
    if (!p->err || p->errlen == 0)
        return false;
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    /* "at N" ends the sentence; a trailing "; ..." hint (queryables) goes after it. */
    const char *hint = strstr(what, "; ");
    if (hint)
        snprintf(p->err, p->errlen, "filter: %.*s at %zu%s", (int)(hint - what), what,
                 pos + 1, hint);
    else
        snprintf(p->err, p->errlen, "filter: %s at %zu", what, pos + 1);
    sanitize(p->err);
    return false;
}

bool cql2_count_node(struct cql2_parser *p)
{
    if (++p->nodes > CQL2_MAX_NODES)
        return cql2_fail(p, p->tok.pos, "more than %d nodes", CQL2_MAX_NODES);
    return true;
}

bool cql2_tok_is_word(const struct cql2_token *t, const char *word)
{
    return t->kind == TOK_IDENT && strcasecmp(t->text, word) == 0;
}

/* ---- tokens ---- */
static bool ident_start(unsigned char c)
{
    return isalpha(c) || c == '_' || c >= 0x80;
}

static bool ident_part(unsigned char c)
{
    return ident_start(c) || isdigit(c) || c == '.' || c == ':';
}

static char *copy_text(struct cql2_parser *p, const char *s, size_t n)
{
    char *out = cql2_arena_alloc(p->arena, n + 1);
    if (!out) {
        cql2_fail(p, p->pos, "out of memory");
        return NULL;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

/* 'text' with '' for a quote; "name" with "" for a double quote. (No \' escape: it
 * would make a string ending with a backslash, as in a LIKE pattern, impossible.) */
static bool lex_quoted(struct cql2_parser *p, char quote)
{
    const char *s = p->src;
    size_t start = p->pos, i = start + 1;
    /* First pass: the literal's end, so that the copy is sized to it. */
    size_t end = i;
    while (end < p->src_len && !(s[end] == quote && s[end + 1] != quote)) {
        end += s[end] == quote ? 2 : 1;
    }
    char *out = cql2_arena_alloc(p->arena, (end < p->src_len ? end : p->src_len) - start + 1);
    if (!out)
        return cql2_fail(p, start, "out of memory");
    size_t n = 0;
    for (;;) {
        if (i >= p->src_len)
            return cql2_fail(p, start, quote == '\'' ? "unterminated string"
                                                     : "unterminated quoted property name");
        char c = s[i];
        if (c == quote && i + 1 < p->src_len && s[i + 1] == quote) {
            out[n++] = quote;
            i += 2;
        } else if (c == quote) {
            i++;
            break;
        } else {
            out[n++] = c;
            i++;
        }
    }
    out[n] = '\0';
    if (quote == '"' && n == 0)
        return cql2_fail(p, start, "empty quoted property name");
    p->tok.kind = quote == '\'' ? TOK_STRING : TOK_QUOTED_IDENT;
    p->tok.text = out;
    p->tok.len = i - start;
    p->pos = i;
    return true;
}

/* [+-] digits [. digits] [e [+-] digits], or [+-] . digits [...]; strtod only sees text
 * that matched this grammar (no hex, inf or nan). */
static bool lex_number(struct cql2_parser *p)
{
    const char *s = p->src;
    size_t start = p->pos, i = start, digits = 0;
    if (s[i] == '+' || s[i] == '-')
        i++;
    while (isdigit((unsigned char)s[i]))
        i++, digits++;
    if (s[i] == '.') {
        i++;
        while (isdigit((unsigned char)s[i]))
            i++, digits++;
    }
    if (digits == 0)
        return cql2_fail(p, start, "malformed number");
    if (s[i] == 'e' || s[i] == 'E') {
        size_t j = i + 1, exp_digits = 0;
        if (s[j] == '+' || s[j] == '-')
            j++;
        while (isdigit((unsigned char)s[j]))
            j++, exp_digits++;
        if (exp_digits == 0)
            return cql2_fail(p, start, "malformed number exponent");
        i = j;
    }
    if (ident_part((unsigned char)s[i]))
        return cql2_fail(p, start, "malformed number");
    char text[80];
    if (i - start >= sizeof text)
        return cql2_fail(p, start, "number longer than %zu characters", sizeof text - 1);
    memcpy(text, s + start, i - start);
    text[i - start] = '\0';
    double v = strtod(text, NULL);
    if (!isfinite(v))
        return cql2_fail(p, start, "number out of range");
    p->tok.kind = TOK_NUMBER;
    p->tok.num = v;
    p->tok.len = i - start;
    p->pos = i;
    return true;
}

bool cql2_next(struct cql2_parser *p)
{
    if (p->failed)
        return false;
    const char *s = p->src;
    while (p->pos < p->src_len && (s[p->pos] == ' ' || s[p->pos] == '\t' ||
                                   s[p->pos] == '\n' || s[p->pos] == '\r'))
        p->pos++;
    memset(&p->tok, 0, sizeof p->tok);
    p->tok.pos = p->pos;
    if (p->pos >= p->src_len) {
        p->tok.kind = TOK_END;
        return true;
    }
    unsigned char c = (unsigned char)s[p->pos];
    unsigned char c1 = p->pos + 1 < p->src_len ? (unsigned char)s[p->pos + 1] : 0;
    unsigned char c2 = p->pos + 2 < p->src_len ? (unsigned char)s[p->pos + 2] : 0;
    enum cql2_tok op = TOK_ERROR;
    size_t oplen = 1;
    switch (c) {
    case '(': op = TOK_LPAREN; break;
    case ')': op = TOK_RPAREN; break;
    case ',': op = TOK_COMMA; break;
    case '=': op = TOK_EQ; break;
    case '<':
        op = c1 == '>' ? TOK_NE : c1 == '=' ? TOK_LE : TOK_LT;
        oplen = c1 == '>' || c1 == '=' ? 2 : 1;
        break;
    case '>':
        op = c1 == '=' ? TOK_GE : TOK_GT;
        oplen = c1 == '=' ? 2 : 1;
        break;
    case '\'': return lex_quoted(p, '\'');
    case '"': return lex_quoted(p, '"');
    default: break;
    }
    if (op != TOK_ERROR) {
        p->tok.kind = op;
        p->tok.len = oplen;
        p->pos += oplen;
        return true;
    }
    if (isdigit(c) || (c == '.' && isdigit(c1)) ||
        ((c == '-' || c == '+') && (isdigit(c1) || (c1 == '.' && isdigit(c2)))))
        return lex_number(p);
    if (ident_start(c)) {
        size_t start = p->pos;
        while (p->pos < p->src_len && ident_part((unsigned char)s[p->pos]))
            p->pos++;
        p->tok.kind = TOK_IDENT;
        p->tok.len = p->pos - start;
        p->tok.text = copy_text(p, s + start, p->pos - start);
        return p->tok.text != NULL;
    }
    if (c == '!' && c1 == '=')
        return cql2_fail(p, p->pos, "unknown operator '!=' (use '<>')");
    if (isprint(c))
        return cql2_fail(p, p->pos, "unexpected character '%c'", c);
    return cql2_fail(p, p->pos, "unexpected character 0x%02x", c);
}

size_t cql2_utf8_len(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    if (!u[0])
        return 0;
    if (u[0] < 0x80)
        return 1;
    size_t n;
    unsigned int cp;
    if (u[0] >= 0xc2 && u[0] <= 0xdf)
        n = 2, cp = u[0] & 0x1f;
    else if (u[0] >= 0xe0 && u[0] <= 0xef)
        n = 3, cp = u[0] & 0x0f;
    else if (u[0] >= 0xf0 && u[0] <= 0xf4)
        n = 4, cp = u[0] & 0x07;
    else
        return 1;
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xc0) != 0x80)
            return 1;
        cp = (cp << 6) | (u[i] & 0x3f);
    }
    /* Overlong forms, surrogates and code points past U+10FFFF are invalid. */
    static const unsigned int min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
        return 1;
    return n;
}

/* Messages end up in JSON: control characters and invalid UTF-8 become '?'. */
static void sanitize(char *s)
{
    while (*s) {
        size_t n = cql2_utf8_len(s);
        bool valid = n > 1 || (unsigned char)*s < 0x80;
        if (!valid || (n == 1 && ((unsigned char)*s < 0x20 || *s == 0x7f)))
            *s = '?';
        s += n;
    }
}

const char *cql2_tok_describe(struct cql2_parser *p)
{
    if (p->tok.kind == TOK_END)
        return "end of filter";
    size_t len = p->tok.len ? p->tok.len : 1;
    if (len > 24)
        len = 24;
    /* Cut at a character boundary. */
    size_t cut = 0;
    while (cut < len) {
        size_t n = cql2_utf8_len(p->src + p->tok.pos + cut);
        if (n == 0 || cut + n > len)
            break;
        cut += n;
    }
    snprintf(p->near, sizeof p->near, "'%.*s%s'", (int)cut, p->src + p->tok.pos,
             cut < p->tok.len ? "..." : "");
    sanitize(p->near);
    return p->near;
}
