/* Folding, query clean-up, address extraction and ordinals (geo/geocode_text.h).
 * The addok-france regexes are written out as small scanners: POSIX regex has no
 * lookarounds and no UTF-8 case folding, and these patterns are short. Each scanner
 * keeps Python re.sub's semantics: leftmost, non-overlapping, tried left to right. */
#include "geo/geocode_text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* U+00C0..U+00FF, lower-cased and folded; "" = dropped. */
static const char *const latin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "y"};
/* U+0100..U+017F (Latin Extended-A), one letter each; '1' = "ij", '2' = "oe". */
static const char latin_ext_a[129] =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii11jjkkkllllllllllnnnnnnnnnoooooo22"
    "rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";

size_t gtext_fold(const char *in, size_t len, char *out, size_t outcap)
{
    size_t o = 0;
    if (!outcap)
        return 0;
#define PUT(c) do { if (o + 1 < outcap) out[o++] = (char)(c); } while (0)
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)in[i];
        if (c < 0x80) {
            PUT(tolower(c));
            i++;
            continue;
        }
        unsigned cp = 0;
        size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (n == 1 || i + n > len) { /* stray byte: a separator */
            PUT(' ');
            i++;
            continue;
        }
        cp = n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
        for (size_t k = 1; k < n; k++)
            cp = (cp << 6) | ((unsigned char)in[i + k] & 0x3F);
        i += n;
        const char *s = NULL;
        char one[2] = {0, 0};
        if (cp >= 0xC0 && cp <= 0xFF)
            s = latin1[cp - 0xC0];
        else if (cp >= 0x100 && cp <= 0x17F) {
            one[0] = latin_ext_a[cp - 0x100];
            s = one[0] == '1' ? "ij" : one[0] == '2' ? "oe" : one;
        } else if (cp >= 0x300 && cp <= 0x36F)
            s = ""; /* combining accents of decomposed text */
        else if (cp == 0xB0)
            s = "o"; /* N° */
        else
            s = " "; /* quotes, dashes, other scripts: word separators */
        for (; *s; s++)
            PUT(*s);
    }
#undef PUT
    out[o] = '\0';
    return o;
}

/* Case-insensitive comparison of s with a lower-case pattern, where the pattern's
 * UTF-8 é è ô also match É È Ô. Returns the bytes of s consumed, or 0. */
static size_t ci_match(const char *s, const char *pat)
{
    size_t i = 0;
    for (; *pat; pat++, i++) {
        unsigned char a = (unsigned char)s[i], b = (unsigned char)*pat;
        if (!a)
            return 0;
        if (i > 0 && b >= 0x80 && a >= 0x80 && a + 0x20 == b && (unsigned char)s[i - 1] == 0xC3)
            continue; /* Latin-1 capital -> small: second byte + 0x20 */
        if (tolower(a) != b)
            return 0;
    }
    return i;
}

static bool is_word_byte(unsigned char c) { return isalnum(c) || c == '_' || c >= 0x80; }

/* addok-france TYPES, each optional part spelled out, longest variants first. */
static const char *const street_types[] = {
    "avenue", "av", "rue", "r", "boulevard", "bd", "allées", "allée", "allees", "allee", "impasse",
    "place", "chemin", "rocade", "route", "lôtissement", "lotissement", "montée", "montee", "côte",
    "cote", "clos", "champ", "bois", "taillis", "boucle", "passage", "domaine", "étang", "etang",
    "quai", "desserte", "pré", "porte", "square", "mont", "résidence", "residence", "parc", "cours",
    "cour", "promenade", "hameau", "faubourg", "ilot", "berges", "berge", "via", "cité", "cite",
    "sentier", "sente", "rond-point", "rond point", "passe", "pas", "carrefour", "traverse",
    "giratoire", "esplanade", "voie", "chaussée", "chaussee", NULL};

bool gtext_is_street_type(const char *tok)
{
    for (int i = 0; street_types[i]; i++) {
        size_t n = ci_match(tok, street_types[i]);
        if (n && !is_word_byte((unsigned char)tok[n]))
            return true;
    }
    return false;
}

/* addok-france's ordinals, then spellings the BAN itself publishes (New Caledonia has
 * "1quinter", "18sexter", "2qua"), each with the letter it folds to. */
static const struct {
    const char *word;
    char fold;
} ordinals[] = {{"bis", 'b'},     {"ter", 't'},    {"quater", 'q'}, {"quinquies", 'c'},
                {"sexies", 's'},  {"quinter", 'c'}, {"sexter", 's'}, {"qua", 'q'}};
#define N_ORDINAL_WORDS ((int)(sizeof ordinals / sizeof ordinals[0]))
#define N_ORDINAL_ALTS (N_ORDINAL_WORDS + 1) /* the words, then a single letter */

/* Length of an ordinal at s (the words above, or [a-z], in that order of preference),
 * 0 when none; `alt` picks the alternative (for backtracking). */
static size_t ordinal_at(const char *s, int alt)
{
    if (alt < N_ORDINAL_WORDS)
        return ci_match(s, ordinals[alt].word);
    return isalpha((unsigned char)s[0]) && (unsigned char)s[0] < 0x80 ? 1 : 0;
}

bool gtext_is_ordinal(const char *tok)
{
    for (int alt = 0; alt < N_ORDINAL_ALTS; alt++) {
        size_t n = ordinal_at(tok, alt);
        if (n && !tok[n])
            return true;
    }
    return false;
}

static size_t digits_at(const char *s)
{
    size_t n = 0;
    while (isdigit((unsigned char)s[n]))
        n++;
    return n;
}

/* ---- clean_query: one pass per addok-france pattern, in its order ---- */

struct out {
    char *s;
    size_t n;
};
static void put(struct out *o, const char *s, size_t n)
{
    memcpy(o->s + o->n, s, n);
    o->n += n;
    o->s[o->n] = '\0';
}

/* (b\.?p\.?|cs|tsa|cidex) *(n(o|°|) *|)[\d]+ * at s: end offset or 0. */
static size_t mailbox_at(const char *s)
{
    size_t i = 0;
    if (ci_match(s, "b")) {
        i = 1;
        if (s[i] == '.') i++;
        if (!ci_match(s + i, "p")) i = 0;
        else if (s[++i] == '.') i++;
    }
    if (!i) i = ci_match(s, "cs");
    if (!i) i = ci_match(s, "tsa");
    if (!i) i = ci_match(s, "cidex");
    if (!i)
        return 0;
    while (s[i] == ' ') i++;
    size_t j = i; /* the n(o|°|) * branch first, then the empty one */
    if (ci_match(s + j, "n")) {
        j++;
        if (ci_match(s + j, "o")) j++;
        else if (!strncmp(s + j, "\xc2\xb0", 2)) j += 2;
        while (s[j] == ' ') j++;
        if (digits_at(s + j)) i = j;
    }
    size_t d = digits_at(s + i);
    if (!d)
        return 0;
    i += d;
    while (s[i] == ' ') i++;
    return i;
}

static size_t cedex_at(const char *s)
{
    size_t n = ci_match(s, "cedex");
    if (!n) n = ci_match(s, "cédex");
    if (!n) return 0;
    if (s[n] == ' ') n++;
    return n + digits_at(s + n);
}

/* \d{,2}(e|[eè]me) ([eé]tage) at s: end offset or 0. */
static size_t floor_at(const char *s)
{
    size_t d = digits_at(s) > 2 ? 2 : digits_at(s);
    const char *p = s + d;
    static const char *const suffixes[] = {"e ", "eme ", "ème ", NULL};
    for (int k = 0; suffixes[k]; k++) {
        size_t n = ci_match(p, suffixes[k]);
        if (!n) continue;
        size_t m = ci_match(p + n, "etage");
        if (!m) m = ci_match(p + n, "étage");
        if (m) return (size_t)(p - s) + n + m;
    }
    return 0;
}

char *gtext_clean_query(const char *q)
{
    size_t len = strlen(q);
    size_t cap = len * 3 + 8; /* " 12345 " grows by 2 per 5 bytes, "s/" -> " sur " by 3 per 4 */
    char *a = malloc(cap), *b = malloc(cap);
    if (!a || !b) { free(a); free(b); return NULL; }
    struct out o = {b, 0};
    b[0] = '\0';
    for (size_t i = 0; i < len;) { /* ([\d]{5}) -> " \1 " */
        if (digits_at(q + i) >= 5) { put(&o, " ", 1); put(&o, q + i, 5); put(&o, " ", 1); i += 5; }
        else put(&o, q + i++, 1);
    }
    o = (struct out){a, 0};
    a[0] = '\0';
    for (size_t i = 0; b[i];) { /* (^| )mailbox -> \1 */
        size_t lead = i == 0 ? 0 : b[i] == ' ' ? 1 : 2, e;
        if (lead < 2 && (e = mailbox_at(b + i + lead))) { put(&o, b + i, lead); i += lead + e; }
        else put(&o, b + i++, 1);
    }
    o = (struct out){b, 0};
    b[0] = '\0';
    size_t i5 = 0; /* ([\d]{2})[\d]{3}(.*)cedex ?\d* -> \1\2, with the last cedex */
    for (; a[i5]; i5++)
        if (digits_at(a + i5) >= 5) {
            size_t last = 0; /* `.*` is greedy: the last cedex wins */
            for (size_t k = i5 + 5; a[k]; k++)
                if (cedex_at(a + k)) last = k + 1;
            if (last--) {
                const char *rest = a + last + cedex_at(a + last);
                put(&o, a, i5 + 2);
                put(&o, a + i5 + 5, last - i5 - 5);
                put(&o, rest, strlen(rest));
                break;
            }
        }
    if (!o.n) put(&o, a, strlen(a));
    o = (struct out){a, 0};
    a[0] = '\0';
    for (size_t i = 0, e; b[i];) { /* cedex ?\d* -> '' ; floors -> '' */
        if ((e = cedex_at(b + i))) i += e;
        else put(&o, b + i++, 1);
    }
    o = (struct out){b, 0};
    b[0] = '\0';
    for (size_t i = 0, e; a[i];) {
        if ((e = floor_at(a + i))) i += e;
        else put(&o, a + i++, 1);
    }
    o = (struct out){a, 0};
    a[0] = '\0';
    for (size_t i = 0; b[i]; i++) /* ' {2,}' -> ' ' */
        if (!(b[i] == ' ' && i && b[i - 1] == ' '))
            put(&o, b + i, 1);
    o = (struct out){b, 0};
    b[0] = '\0';
    for (size_t i = 0; a[i];) { /* [ -]s/[ -] -> ' sur ', then [ -]s/s[ -] -> ' sous ' */
        bool sep = a[i] == ' ' || a[i] == '-';
        if (sep && ci_match(a + i + 1, "s/") && (a[i + 3] == ' ' || a[i + 3] == '-')) { put(&o, " sur ", 5); i += 4; }
        else put(&o, a + i++, 1);
    }
    o = (struct out){a, 0};
    a[0] = '\0';
    for (size_t i = 0; b[i];) {
        bool sep = b[i] == ' ' || b[i] == '-';
        if (sep && ci_match(b + i + 1, "s/s") && (b[i + 4] == ' ' || b[i + 4] == '-')) { put(&o, " sous ", 6); i += 5; }
        else put(&o, b + i++, 1);
    }
    size_t start = 0; /* ^lieux?[ -]?dits?\b(?=.) -> '' */
    if (ci_match(a, "lieu")) {
        size_t k = 4;
        if (ci_match(a + k, "x")) k++;
        if (a[k] == ' ' || a[k] == '-') k++;
        if (ci_match(a + k, "dit")) {
            k += 3;
            if (ci_match(a + k, "s") && !is_word_byte((unsigned char)a[k + 1])) k++;
            if (a[k] && !is_word_byte((unsigned char)a[k])) start = k;
        }
    }
    const char *s = a + start;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    memmove(b, s, n);
    b[n] = '\0';
    free(a);
    return b;
}

/* TYPE followed by a space at s: end offset (after the space) or 0. */
static size_t type_space_at(const char *s)
{
    for (int i = 0; street_types[i]; i++) {
        size_t n = ci_match(s, street_types[i]);
        if (n && s[n] == ' ')
            return n + 1;
    }
    return 0;
}

/* After the number: ( *(ORD))?,? +TYPE ' ' with the regex's backtracking order. */
static bool after_number(const char *s)
{
    size_t sp = 0;
    while (s[sp] == ' ') sp++;
    for (size_t k = sp + 1; k-- > 0;) /* greedy spaces, then fewer */
        for (int alt = 0; alt < N_ORDINAL_ALTS; alt++) {
            size_t n = ordinal_at(s + k, alt);
            if (!n) continue;
            const char *p = s + k + n;
            if (*p == ',') p++;
            if (*p != ' ') continue;
            while (*p == ' ') p++;
            if (type_space_at(p)) return true;
        }
    const char *p = s; /* without the ordinal */
    if (*p == ',') p++;
    if (*p != ' ') return false;
    while (*p == ' ') p++;
    return type_space_at(p) != 0;
}

char *gtext_extract_address(const char *q)
{
    for (size_t i = 0; q[i]; i++) {
        if (!isdigit((unsigned char)q[i]) || (i && is_word_byte((unsigned char)q[i - 1])))
            continue;
        size_t d = digits_at(q + i);
        if (d <= 4 && after_number(q + i + d))
            return strdup(q + i);
    }
    return strdup(q);
}

void gtext_tokenize(const char *text, struct gtokens *out)
{
    size_t len = strlen(text);
    char *folded = malloc(len * 2 + 1);
    out->n = 0;
    if (!folded)
        return;
    gtext_fold(text, len, folded, len * 2 + 1);
    for (char *p = folded; *p && out->n < GTEXT_MAX_TOKENS;) {
        while (*p && !isalnum((unsigned char)*p)) p++;
        size_t n = 0;
        while (isalnum((unsigned char)p[n])) n++;
        if (!n) break;
        size_t keep = n < GTEXT_TOKEN_MAX ? n : GTEXT_TOKEN_MAX - 1;
        memcpy(out->tok[out->n], p, keep);
        out->tok[out->n++][keep] = '\0';
        p += n;
    }
    free(folded);
}

static bool all_digits(const char *s) { return *s && digits_at(s) == strlen(s); }

void gtext_glue_ordinal(struct gtokens *t)
{
    int w = 0, prev = -1;
    for (int i = 0; i < t->n; i++) {
        bool has_next = i + 1 < t->n;
        if (has_next && all_digits(t->tok[i])) {
            if (prev >= 0) memmove(t->tok[w++], t->tok[prev], GTEXT_TOKEN_MAX); /* keep it */
            prev = i;
            continue;
        }
        if (prev >= 0) {
            if (gtext_is_ordinal(t->tok[i]) && (!has_next || gtext_is_street_type(t->tok[i + 1])) &&
                strlen(t->tok[prev]) + strlen(t->tok[i]) < GTEXT_TOKEN_MAX) {
                char glued[GTEXT_TOKEN_MAX];
                strcpy(glued, t->tok[prev]);
                strcat(glued, t->tok[i]);
                strcpy(t->tok[w++], glued);
                prev = -1;
                continue;
            }
            memmove(t->tok[w++], t->tok[prev], GTEXT_TOKEN_MAX);
            prev = -1;
        }
        memmove(t->tok[w++], t->tok[i], GTEXT_TOKEN_MAX);
    }
    t->n = w;
}

void gtext_fold_ordinal(char *tok)
{
    size_t d = digits_at(tok);
    if (!d || !tok[d] || d > 4)
        return;
    for (int alt = 0; alt < N_ORDINAL_ALTS; alt++) {
        size_t n = ordinal_at(tok + d, alt);
        if (!n || tok[d + n])
            continue;
        if (alt < N_ORDINAL_WORDS) {
            tok[d] = ordinals[alt].fold;
            tok[d + 1] = '\0';
        }
        return;
    }
}

void gtext_remove_leading_zeros(char *tok)
{
    size_t len = strlen(tok), z = 0;
    if (!all_digits(tok))
        return;
    while (tok[z] == '0') z++;
    size_t k = z < len - 1 ? z : len - 1; /* 0+ greedy, leaving at least one digit */
    if (k >= 1 && len - k <= 3)
        memmove(tok, tok + k, len - k + 1);
}

bool gtext_is_housenumber(const char *tok)
{
    size_t d = digits_at(tok);
    if (d < 1 || d > 4)
        return false;
    return !tok[d] || (tok[d] >= 'a' && tok[d] <= 'z' && !tok[d + 1]);
}
