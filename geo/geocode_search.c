/* Search and reverse (geo/geocode_search.h). */
#include "geo/geocode_search.h"

#include "geo/geocode_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ALTS 48
#define COMMON 50000        /* postings above this are checked by binary search, not walked */
#define MAX_SCORED 2000

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

static void add_prefix(const struct gidx *ix, struct qtok *q)
{
    size_t first, n = gidx_words_prefix(ix, q->word, &first);
    for (size_t i = 0; i < n && q->n_alt < MAX_ALTS; i++) /* the most frequent words first would be better */
        add_alt(q, &ix->tokens[ix->words[first + i].token]);
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

/* python-ngram's NGram.compare (N=3, "$$" padding): shared / (all - shared). */
static int cmp_u32(const void *a, const void *b) { uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b; return x < y ? -1 : x > y; }
static double trigram_sim(const char *a, const char *b)
{
    uint32_t ga[300], gb[300];
    size_t na = 0, nb = 0;
    for (int k = 0; k < 2; k++) {
        const char *s = k ? b : a;
        uint32_t *g = k ? gb : ga;
        size_t *n = k ? &nb : &na, len = strlen(s);
        if (len > 290) len = 290;
        for (size_t i = 0; i + 3 <= len + 4; i++) {
            unsigned char c[3];
            for (int j = 0; j < 3; j++) {
                long p = (long)(i + (size_t)j) - 2;
                c[j] = p < 0 || p >= (long)len ? '$' : (unsigned char)s[p];
            }
            g[(*n)++] = (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
        }
    }
    qsort(ga, na, 4, cmp_u32), qsort(gb, nb, 4, cmp_u32);
    size_t same = 0;
    for (size_t i = 0, j = 0; i < na && j < nb;) {
        if (ga[i] == gb[j]) same++, i++, j++;
        else if (ga[i] < gb[j]) i++;
        else j++;
    }
    return na + nb - same ? (double)same / (double)(na + nb - same) : 0;
}

static void norm_join(const char *text, char *out, size_t cap)
{
    struct gtokens t;
    gtext_tokenize(text, &t);
    out[0] = '\0';
    for (int i = 0; i < t.n; i++) {
        if (i) strncat(out, " ", cap - strlen(out) - 1);
        strncat(out, t.tok[i], cap - strlen(out) - 1);
    }
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

/* Label likeness (trigrams, order-sensitive at word edges) blended with the share of
 * the query's words the document matched, so that "Le Mont-Dore 303 rue des Gardenias"
 * (every word matched, unusual order) beats a same-named street of another commune that
 * matches half the words. */
#define SCORE_LABEL_WEIGHT 0.6

static double score_doc(const struct gidx *ix, const struct gsearch_params *p, const char *qnorm,
                        const struct gidx_doc *d, int64_t hn, double coverage)
{
    char label[512], l2[512];
    const char *name = gidx_str(ix, d->name), *city = gidx_str(ix, d->city), *pc = gidx_str(ix, d->postcode);
    double best = 0;
    for (int v = 0; v < 4; v++) {
        if (v == 0) snprintf(l2, sizeof l2, "%s%s%s %s %s", hn >= 0 ? gidx_str(ix, ix->hns[hn].number) : "", hn >= 0 ? " " : "", name, pc, d->type == GT_MUNICIPALITY ? "" : city);
        else if (v == 1) snprintf(l2, sizeof l2, "%s%s%s %s", hn >= 0 ? gidx_str(ix, ix->hns[hn].number) : "", hn >= 0 ? " " : "", name, d->type == GT_MUNICIPALITY ? "" : city);
        else if (v == 2) snprintf(l2, sizeof l2, "%s %s", name, pc);
        else snprintf(l2, sizeof l2, "%s", name);
        norm_join(l2, label, sizeof label);
        double s = trigram_sim(qnorm, label);
        if (p->autocomplete && *qnorm && !strncmp(label, qnorm, strlen(qnorm))) s = s > 0.9 ? s : 0.9;
        if (s > best) best = s;
    }
    double score = SCORE_LABEL_WEIGHT * best + (1 - SCORE_LABEL_WEIGHT) * coverage + d->importance * 0.1,
           ceiling = 1.1;
    if (p->has_point) {
        double lon = hn >= 0 ? ix->hns[hn].lon : d->lon, lat = hn >= 0 ? ix->hns[hn].lat : d->lat;
        double km = gdistance_m(p->lon, p->lat, lon, lat) / 1000;
        score += km > 100 ? 0 : 0.1 * exp(-(km / 50) * (km / 50));
        ceiling += 0.1;
    }
    return score / ceiling;
}

int gsearch(const struct gidx *ix, const struct gsearch_params *p, struct gresult *out)
{
    char *clean = gtext_clean_query(p->q), *ext = clean ? gtext_extract_address(clean) : NULL;
    struct gtokens *t = malloc(sizeof *t);
    struct qtok *qt = calloc(GTEXT_MAX_TOKENS, sizeof *qt);
    struct cands cs = {0};
    int nq = 0, n_out = -1;
    struct gresult *res = NULL;
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
    /* Walk the rarest words' postings; the common ones are checked per candidate. */
    size_t walked = 0;
    for (int round = 0; round < 2 && !cs.n; round++)
        for (int i = 0; i < nq; i++) {
            if (round == 0 && qt[i].total > COMMON) continue;
            for (int a = 0; a < qt[i].n_alt; a++)
                for (uint32_t k = 0; k < qt[i].alt[a]->count; k++) {
                    struct cand *c = cand_get(&cs, ix->postings[qt[i].alt[a]->first + k], true);
                    if (!c) goto out;
                    c->hits |= 1u << (i < 31 ? i : 31);
                }
            walked += qt[i].total;
            if (round == 1) break;
        }
    (void)walked;
    for (size_t s = 0; s < cs.cap; s++) {
        struct cand *c = &cs.c[s];
        if (!c->hits) continue;
        for (int i = 0; i < nq && i < 31; i++)
            if (!(c->hits & (1u << i)))
                for (int a = 0; a < qt[i].n_alt; a++)
                    if (in_postings(ix, qt[i].alt[a], c->doc)) { c->hits |= 1u << i; break; }
    }
    int need = (2 * nq + 2) / 3, best_hits = 0;
    for (size_t s = 0; s < cs.cap; s++)
        if (cs.c[s].hits && __builtin_popcount(cs.c[s].hits) > best_hits) best_hits = __builtin_popcount(cs.c[s].hits);
    if (best_hits < need) need = best_hits;
    res = malloc((cs.n + 1) * sizeof *res);
    if (!res) goto out;
    size_t nres = 0;
    for (size_t s = 0; s < cs.cap && nres < MAX_SCORED * 4; s++) {
        if (!cs.c[s].hits || __builtin_popcount(cs.c[s].hits) < need) continue;
        const struct gidx_doc *d = &ix->docs[cs.c[s].doc];
        if (!in_list(gidx_str(ix, d->postcode), p->postcode, p->n_postcode) ||
            !in_list(gidx_str(ix, d->citycode), p->citycode, p->n_citycode))
            continue;
        int64_t h = -1;
        bool want_street = p->type_mask && !(p->type_mask & (1u << GT_HOUSENUMBER));
        if (*hn && !want_street) {
            if (*hn_alt) h = find_hn(ix, d, hn_alt, hn_typed);
            if (h < 0) h = find_hn(ix, d, hn, hn_typed);
        } else if (*hn_late && !want_street) {
            h = find_hn(ix, d, hn_late, hn_late);
        }
        unsigned type = h >= 0 ? GT_HOUSENUMBER : d->type;
        if (p->type_mask && !(p->type_mask & (1u << type))) continue;
        /* The house number is a query word too: found or not, it counts. */
        double words = nq + (*hn ? 1 : 0), matched = __builtin_popcount(cs.c[s].hits) + (h >= 0 ? 1 : 0);
        double coverage = words > 0 ? (matched > words ? 1 : matched / words) : 0;
        res[nres++] = (struct gresult){cs.c[s].doc, h, score_doc(ix, p, qnorm, d, h, coverage), 0};
    }
    qsort(res, nres, sizeof *res, cmp_result);
    n_out = 0;
    for (size_t i = 0; i < nres && n_out < p->limit; i++)
        if (res[i].score >= 0.1) out[n_out++] = res[i];
out:
    free(clean), free(ext), free(t), free(qt), free(cs.c), free(res);
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
