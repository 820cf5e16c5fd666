/* Search and reverse (geo/geocode_search.h). */
#include "geo/geocode_search.h"

#include "geo/geocode_score.h"
#include "geo/geocode_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ALTS 48
#define COMMON 20000        /* postings above this are checked by binary search, not walked */
#define MAX_SCORED 250      /* candidates fully scored, best bound first */
#define MAX_PREFIX_SCAN 100000 /* words looked at for one autocomplete prefix */

struct qtok {
    char word[GTEXT_TOKEN_MAX];
    const struct gidx_token *alt[MAX_ALTS];
    int n_alt;
    size_t total;
};

static void add_alt(struct qtok *q, const struct gidx_token *t)
{
    if (!t || q->n_alt == MAX_ALTS) return;
    for (int i = 0; i < q->n_alt; i++) if (q->alt[i] == t) return;
    q->alt[q->n_alt++] = t;
    q->total += t->count;
}

/* One edit of word (deletion, transposition, substitution, insertion), looked up by
 * phonetic key: addok's fuzzy, with every letter as a neighbour. */
static void add_fuzzy(const struct gidx *ix, struct qtok *q)
{
    char v[GTEXT_TOKEN_MAX + 2];
    size_t n = strlen(q->word);
    if (n < 4 || n + 2 > sizeof v) return;
    for (size_t i = 0; i <= n; i++)
        for (int op = 0; op < 4; op++)
            for (char c = 'a'; c <= 'z'; c++) {
                if (op == 0) { if (i == n || c != 'a') continue; memcpy(v, q->word, i); strcpy(v + i, q->word + i + 1); }
                else if (op == 1) { if (i + 1 >= n || c != 'a') continue; strcpy(v, q->word); v[i] = q->word[i + 1]; v[i + 1] = q->word[i]; }
                else if (op == 2) { if (i == n || q->word[i] == c) continue; strcpy(v, q->word); v[i] = c; }
                else { memcpy(v, q->word, i); v[i] = c; strcpy(v + i + 1, q->word + i); }
                size_t wi;
                if (!gidx_words_prefix(ix, v, &wi) || strcmp(gidx_str(ix, ix->words[wi].text), v)) continue;
                add_alt(q, &ix->tokens[ix->words[wi].token]);
            }
}

/* The MAX_ALTS most frequent words starting with the last word (autocomplete): with
 * "sai" at France scale thousands of words qualify, and the frequent ones (saint,
 * sainte) are what people are typing. */
static void add_prefix(const struct gidx *ix, struct qtok *q)
{
    size_t first, n = gidx_words_prefix(ix, q->word, &first), top[MAX_ALTS];
    int n_top = 0;
    if (n > MAX_PREFIX_SCAN) n = MAX_PREFIX_SCAN;
    for (size_t i = first; i < first + n; i++) { /* insertion into the top list, most frequent first */
        uint32_t f = ix->words[i].freq;
        if (n_top == MAX_ALTS && f <= ix->words[top[n_top - 1]].freq) continue;
        int k = n_top < MAX_ALTS ? n_top++ : n_top - 1;
        while (k > 0 && ix->words[top[k - 1]].freq < f) top[k] = top[k - 1], k--;
        top[k] = i;
    }
    for (int i = 0; i < n_top; i++) add_alt(q, &ix->tokens[ix->words[top[i]].token]);
}

static bool in_postings(const struct gidx *ix, const struct gidx_token *t, uint32_t doc)
{
    const uint32_t *p = ix->postings + t->first;
    size_t lo = 0, hi = t->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p[mid] == doc) return true;
        if (p[mid] < doc) lo = mid + 1;
        else hi = mid;
    }
    return false;
}

/* Candidates: doc -> number of query words matched (open addressing). */
struct cand { uint32_t doc; uint32_t hits; };
struct cands { struct cand *c; size_t cap, n; };

static struct cand *cand_get(struct cands *s, uint32_t doc, bool add)
{
    if (add && (s->n + 1) * 2 > s->cap) {
        struct cands big = {calloc(s->cap ? s->cap * 2 : 4096, sizeof *s->c), s->cap ? s->cap * 2 : 4096, 0};
        if (!big.c) return NULL;
        for (size_t i = 0; i < s->cap; i++)
            if (s->c[i].hits) *cand_get(&big, s->c[i].doc, true) = s->c[i];
        free(s->c);
        *s = big;
    }
    if (!s->cap) return NULL;
    size_t i = (doc * 2654435761u) & (s->cap - 1);
    while (s->c[i].hits && s->c[i].doc != doc) i = (i + 1) & (s->cap - 1);
    if (!s->c[i].hits) {
        if (!add) return NULL;
        s->c[i].doc = doc;
        s->n++;
    }
    return &s->c[i];
}

/* The house number of d with this folded key; when several share it ("204b" and
 * "204bis" both fold to "204b"), the one published exactly as typed wins. */
static int64_t find_hn(const struct gidx *ix, const struct gidx_doc *d, const char *key, const char *typed)
{
    int64_t found = -1;
    for (uint32_t i = 0; i < d->hn_count; i++) { /* a street holds a few hundred numbers at most */
        const struct gidx_hn *h = &ix->hns[d->hn_first + i];
        if (strcmp(gidx_str(ix, h->key), key)) continue;
        if (!strcmp(gidx_str(ix, h->number), typed)) return (int64_t)d->hn_first + i;
        if (found < 0) found = (int64_t)d->hn_first + i;
    }
    return found;
}

double gdistance_m(double lon1, double lat1, double lon2, double lat2)
{
    double r = M_PI / 180, dlat = (lat2 - lat1) * r, dlon = (lon2 - lon1) * r;
    double h = sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * r) * cos(lat2 * r) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * 6371008.8 * asin(sqrt(h < 1 ? h : 1));
}

static bool in_list(const char *v, const char *const *list, int n)
{
    if (!n) return true;
    for (int i = 0; i < n; i++) if (!strcmp(v, list[i])) return true;
    return false;
}

static int cmp_result(const void *a, const void *b)
{
    const struct gresult *x = a, *y = b;
    return x->score < y->score ? 1 : x->score > y->score ? -1 : (x->doc > y->doc) - (x->doc < y->doc);
}

static uint32_t word_bit(int i) { return 1u << (i < 31 ? i : 31); }

static int walk(const struct gidx *ix, const struct qtok *q, uint32_t bit, struct cands *cs)
{
    for (int a = 0; a < q->n_alt; a++)
        for (uint32_t k = 0; k < q->alt[a]->count; k++) {
            struct cand *c = cand_get(cs, ix->postings[q->alt[a]->first + k], true);
            if (!c) return -1;
            c->hits |= bit;
        }
    return 0;
}

/* Sets the bits of the words not walked yet that c's document holds, rarest first, as
 * long as it can still reach need; returns its word count. */
static int check_words(const struct gidx *ix, const struct qtok *qt, const int *order, int walked, int matchable,
                       int need, struct cand *c)
{
    for (int j = walked; j < matchable; j++) {
        const struct qtok *q = &qt[order[j]];
        if (c->hits & word_bit(order[j])) continue;
        if (__builtin_popcount(c->hits) + matchable - j < need) break;
        for (int a = 0; a < q->n_alt; a++)
            if (in_postings(ix, q->alt[a], c->doc)) { c->hits |= word_bit(order[j]); break; }
    }
    return __builtin_popcount(c->hits);
}

/* Candidates: the documents sharing at least `need` (2/3) of the query's words. By
 * pigeonhole, walking the postings of any (matchable - need + 1) words finds them all:
 * the rarest are walked, the others checked per candidate by binary search, and only
 * while the candidate can still reach need. The rarest word alone is walked first: when
 * one of its documents holds every word (addok's "cream"), that is the answer and the
 * other words' postings (thousands of "mont" or "pierre" in France) are not walked.
 * Words over COMMON postings are walked only when nothing else matched. When no
 * document reaches need, need drops to the best count and more words are walked.
 * Returns need, -1 when out of memory. */
static int collect(const struct gidx *ix, const struct qtok *qt, int nq, struct cands *cs)
{
    int order[GTEXT_MAX_TOKENS], matchable = 0, walked = 0, need = (2 * nq + 2) / 3;
    for (int i = 0; i < nq; i++) {
        if (!qt[i].n_alt) continue;
        int k = matchable++;
        while (k > 0 && qt[order[k - 1]].total > qt[i].total) order[k] = order[k - 1], k--;
        order[k] = i;
    }
    for (bool first = true;; first = false) {
        int target = first ? 1 : matchable - need + 1;
        while (walked < matchable && walked < target && qt[order[walked]].total <= COMMON)
            if (walk(ix, &qt[order[walked]], word_bit(order[walked]), cs) < 0) return -1;
            else walked++;
        if (!cs->n && walked < matchable) { /* only common words left: the rarest of them */
            if (walk(ix, &qt[order[walked]], word_bit(order[walked]), cs) < 0) return -1;
            walked++;
        }
        int best = 0;
        for (size_t s = 0; s < cs->cap; s++)
            if (cs->c[s].hits) {
                int hits = check_words(ix, qt, order, walked, matchable, first ? matchable : need, &cs->c[s]);
                best = hits > best ? hits : best;
            }
        if (first && best < matchable && walked < matchable) continue;
        if (first) /* the checks above gave up on documents without every word */
            for (size_t s = 0; s < cs->cap; s++)
                if (cs->c[s].hits) check_words(ix, qt, order, walked, matchable, need, &cs->c[s]);
        if (best >= need) return need;
        need = best; /* fewer words: pigeonhole asks for more walked ones */
        if (walked == matchable || walked >= matchable - need + 1 ||
            (qt[order[walked]].total > COMMON && cs->n))
            return need;
    }
}

struct hn_query {
    const char *hn, *hn_alt, *typed, *late; /* folded keys, "" when absent */
    int words;                              /* query words, the house number included */
};

struct bounded { uint32_t doc, hits; double bound; };

static int cmp_bound(const void *a, const void *b)
{
    const struct bounded *x = a, *y = b;
    return x->bound < y->bound ? 1 : x->bound > y->bound ? -1 : (x->doc > y->doc) - (x->doc < y->doc);
}

/* Inserts r into the sorted top list out[0..*n) of at most limit results. */
static void keep_best(struct gresult *out, int *n, int limit, struct gresult r)
{
    if (*n == limit && cmp_result(&r, &out[limit - 1]) >= 0) return;
    int k = *n < limit ? (*n)++ : limit - 1;
    while (k > 0 && cmp_result(&r, &out[k - 1]) < 0) out[k] = out[k - 1], k--;
    out[k] = r;
}

/* The top p->limit candidates: scored in decreasing order of their score's upper bound
 * (words matched, importance), stopping when the bound cannot beat the current top-k or
 * after MAX_SCORED full scores (thousands of "rue de la gare" across France). */
static int best_of(const struct gidx *ix, const struct gsearch_params *p, const struct gscore_query *sq,
                   const struct cands *cs, int need, const struct hn_query *hq, struct gresult *out)
{
    if (p->limit <= 0) return 0;
    struct bounded *b = malloc((cs->n + 1) * sizeof *b);
    if (!b) return -1;
    size_t nb = 0;
    for (size_t s = 0; s < cs->cap; s++) {
        const struct cand *c = &cs->c[s];
        if (!c->hits || __builtin_popcount(c->hits) < need) continue;
        const struct gidx_doc *d = &ix->docs[c->doc];
        if (!in_list(gidx_str(ix, d->postcode), p->postcode, p->n_postcode) ||
            !in_list(gidx_str(ix, d->citycode), p->citycode, p->n_citycode))
            continue;
        double matched = __builtin_popcount(c->hits) + (*hq->hn || *hq->late ? 1 : 0);
        double coverage = hq->words > 0 ? (matched > hq->words ? 1 : matched / hq->words) : 0;
        b[nb++] = (struct bounded){c->doc, c->hits, gscore_bound(sq, d, coverage)};
    }
    qsort(b, nb, sizeof *b, cmp_bound);
    bool want_street = p->type_mask && !(p->type_mask & (1u << GT_HOUSENUMBER));
    int n = 0;
    for (size_t i = 0; i < nb && i < MAX_SCORED; i++) {
        if (n == p->limit && b[i].bound < out[n - 1].score) break;
        const struct gidx_doc *d = &ix->docs[b[i].doc];
        int64_t h = -1;
        if (*hq->hn && !want_street) {
            if (*hq->hn_alt) h = find_hn(ix, d, hq->hn_alt, hq->typed);
            if (h < 0) h = find_hn(ix, d, hq->hn, hq->typed);
        } else if (*hq->late && !want_street) {
            h = find_hn(ix, d, hq->late, hq->late);
        }
        unsigned type = h >= 0 ? GT_HOUSENUMBER : d->type;
        if (p->type_mask && !(p->type_mask & (1u << type))) continue;
        double matched = __builtin_popcount(b[i].hits) + (h >= 0 ? 1 : 0);
        double coverage = hq->words > 0 ? (matched > hq->words ? 1 : matched / hq->words) : 0;
        struct gresult r = {b[i].doc, h, gscore_doc(ix, sq, d, h, coverage), 0};
        if (r.score >= 0.1) keep_best(out, &n, p->limit, r);
    }
    free(b);
    return n;
}

int gsearch(const struct gidx *ix, const struct gsearch_params *p, struct gresult *out)
{
    char *clean = gtext_clean_query(p->q), *ext = clean ? gtext_extract_address(clean) : NULL;
    struct gtokens *t = malloc(sizeof *t);
    struct qtok *qt = calloc(GTEXT_MAX_TOKENS, sizeof *qt);
    struct cands cs = {0};
    int nq = 0, n_out = -1;
    struct gscore_query sq;
    if (!ext || !t || !qt) goto out;
    gtext_tokenize(ext, t);
    for (int i = 0; i < t->n; i++) gtext_remove_leading_zeros(t->tok[i]);
    gtext_glue_ordinal(t);
    char qnorm[1024] = "", hn[GTEXT_TOKEN_MAX] = "", hn_alt[GTEXT_TOKEN_MAX * 2] = "";
    for (int i = 0; i < t->n; i++) {
        if (i) strncat(qnorm, " ", sizeof qnorm - strlen(qnorm) - 1);
        strncat(qnorm, t->tok[i], sizeof qnorm - strlen(qnorm) - 1);
    }
    int skip = -1; /* an unglued ordinal after the number ("12 bis la vigne") */
    /* A number after the street name ("rue des Cocotiers 673 Le Mont-Dore") may be the
     * house number too; it stays a query word as well, since street names hold numbers
     * ("rue du 8 mai 1945"), and counts as a house number only where the street has it. */
    char hn_late[GTEXT_TOKEN_MAX] = "", hn_typed[GTEXT_TOKEN_MAX] = "";
    for (int i = 0; i < t->n; i++) {
        char typed[GTEXT_TOKEN_MAX];
        snprintf(typed, sizeof typed, "%s", t->tok[i]);
        gtext_fold_ordinal(t->tok[i]);
        if (i > 0 && !*hn && !*hn_late && gtext_is_housenumber(t->tok[i]) &&
            !(i + 1 < t->n && gtext_is_street_type(t->tok[i + 1])))
            snprintf(hn_late, sizeof hn_late, "%s", t->tok[i]);
        if (!*hn && (i == 0 || (i + 1 < t->n && gtext_is_street_type(t->tok[i + 1]))) && gtext_is_housenumber(t->tok[i])) {
            snprintf(hn, sizeof hn, "%s", t->tok[i]);
            snprintf(hn_typed, sizeof hn_typed, "%s", typed);
            if (i + 1 < t->n && gtext_is_ordinal(t->tok[i + 1]) && !strchr("abcdefghijklmnopqrstuvwxyz", hn[strlen(hn) - 1])) {
                snprintf(hn_alt, sizeof hn_alt, "%s%s", hn, t->tok[i + 1]);
                gtext_fold_ordinal(hn_alt);
                skip = i + 1;
            }
            continue;
        }
        struct gtokens keys;
        const char *syn = gtext_synonym(t->tok[i]);
        gtext_word_keys(t->tok[i], &keys);
        for (int k = 0; k < keys.n && nq < GTEXT_MAX_TOKENS; k++) {
            struct qtok *q = &qt[nq];
            if (syn) { /* the k-th word of the expansion */
                const char *w = syn;
                for (int s = 0; s < k && w; s++) w = strchr(w, ' '), w = w ? w + 1 : NULL;
                snprintf(q->word, sizeof q->word, "%.*s", w ? (int)strcspn(w, " ") : 0, w ? w : "");
            } else snprintf(q->word, sizeof q->word, "%s", t->tok[i]);
            add_alt(q, gidx_token(ix, keys.tok[k]));
            if (!q->n_alt) add_fuzzy(ix, q);
            if (p->autocomplete && i == t->n - 1 && strlen(q->word) >= 3) add_prefix(ix, q);
            if (q->n_alt || i != skip) nq++;
            else memset(q, 0, sizeof *q);
        }
    }
    gscore_query_init(&sq, qnorm, p->autocomplete, p->has_point, p->lon, p->lat);
    int need = collect(ix, qt, nq, &cs);
    if (need < 0) goto out;
    /* The house number is a query word too: found or not, it counts. */
    struct hn_query hq = {hn, hn_alt, hn_typed, hn_late, nq + (*hn ? 1 : 0)};
    n_out = best_of(ix, p, &sq, &cs, need, &hq, out);
out:
    free(clean), free(ext), free(t), free(qt), free(cs.c);
    return n_out;
}

int greverse(const struct gidx *ix, double lon, double lat, unsigned type_mask, int limit, struct gresult *out)
{
    int n = 0;
    if (!type_mask) type_mask = (1u << GT_HOUSENUMBER) | (1u << GT_STREET) | (1u << GT_LOCALITY);
    int64_t cx = (int64_t)floor((lon + 180.0) / GIDX_CELL_DEG), cy = (int64_t)floor((lat + 90.0) / GIDX_CELL_DEG);
    int found_ring = -1;
    for (int r = 0; r <= 20 && (found_ring < 0 || r <= found_ring + 1); r++)
        for (int64_t y = cy - r; y <= cy + r; y++)
            for (int64_t x = cx - r; x <= cx + r; x++) {
                if ((y != cy - r && y != cy + r && x != cx - r && x != cx + r) || x < 0 || y < 0) continue;
                const struct gidx_cell *c = gidx_cell(ix, (uint64_t)y * 100000u + (uint64_t)x);
                for (uint32_t k = 0; c && k < c->count; k++) {
                    uint32_t ref = ix->points[c->first + k];
                    bool doc = ref & GIDX_DOC_BIT;
                    uint32_t i = ref & ~GIDX_DOC_BIT;
                    const struct gidx_doc *d = &ix->docs[doc ? i : ix->hns[i].doc];
                    if (!(type_mask & (1u << (doc ? d->type : GT_HOUSENUMBER)))) continue;
                    double plon = doc ? d->lon : ix->hns[i].lon, plat = doc ? d->lat : ix->hns[i].lat;
                    struct gresult g = {doc ? i : ix->hns[i].doc, doc ? -1 : (int64_t)i, 1, gdistance_m(lon, lat, plon, plat)};
                    int pos; /* insertion into the sorted top list */
                    if (n < limit) pos = n++;
                    else if (g.distance < out[limit - 1].distance) pos = limit - 1;
                    else continue;
                    out[pos] = g;
                    while (pos > 0 && out[pos - 1].distance > out[pos].distance) {
                        struct gresult tmp = out[pos - 1];
                        out[pos - 1] = out[pos], out[pos] = tmp, pos--;
                    }
                    if (found_ring < 0) found_ring = r;
                }
            }
    for (int i = 0; i < n; i++) out[i].score = 1 / (1 + out[i].distance / 1000);
    return n;
}
