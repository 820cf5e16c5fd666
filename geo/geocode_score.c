/* Scoring of search results (geo/geocode_score.h). */
#include "geo/geocode_score.h"

#include "geo/geocode_search.h"
#include "geo/geocode_text.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Label likeness (trigrams, order-sensitive at word edges) blended with the share of
 * the query's words the document matched, so that "Le Mont-Dore 303 rue des Gardenias"
 * (every word matched, unusual order) beats a same-named street of another commune that
 * matches half the words. */
#define SCORE_LABEL_WEIGHT 0.6
#define SCORE_IMPORTANCE 0.1
#define SCORE_GEO 0.1

/* python-ngram's trigrams (N=3, "$$" padding on both sides) of s[0..len), each passed
 * to fn; returns their count. */
static size_t each_trigram(const char *s, size_t len, void (*fn)(uint32_t, void *), void *arg)
{
    if (len > GSCORE_MAX_GRAMS - 10) len = GSCORE_MAX_GRAMS - 10;
    uint32_t v = '$' << 8 | '$';
    for (size_t i = 0; i < len + 2; i++) {
        v = (v << 8 | (i < len ? (unsigned char)s[i] : '$')) & 0xffffffu;
        fn(v, arg);
    }
    return len + 2;
}

static size_t slot(const uint32_t *keys, uint32_t gram)
{
    size_t i = (gram * 2654435761u) >> 22; /* 10 bits: GSCORE_SLOTS */
    while (keys[i] && keys[i] != gram) i = (i + 1) & (GSCORE_SLOTS - 1);
    return i;
}

static void add_query_gram(uint32_t g, void *arg)
{
    struct gscore_query *sq = arg;
    size_t i = slot(sq->gram_key, g);
    sq->gram_key[i] = g;
    sq->gram_count[i]++;
}

struct shared { const struct gscore_query *sq; uint16_t left[GSCORE_SLOTS]; size_t same; };

static void count_shared(uint32_t g, void *arg)
{
    struct shared *sh = arg;
    size_t i = slot(sh->sq->gram_key, g);
    if (sh->left[i]) sh->left[i]--, sh->same++;
}

/* NGram.compare: shared / (all - shared), grams counted with their multiplicity. */
static double trigram_sim(const struct gscore_query *sq, const char *label, size_t len)
{
    struct shared sh = {.sq = sq, .same = 0};
    memcpy(sh.left, sq->gram_count, sizeof sh.left);
    size_t n = each_trigram(label, len, count_shared, &sh);
    return sq->n_grams + n - sh.same ? (double)sh.same / (double)(sq->n_grams + n - sh.same) : 0;
}

void gscore_query_init(struct gscore_query *sq, const char *norm, bool autocomplete, bool has_point, double lon,
                       double lat)
{
    snprintf(sq->norm, sizeof sq->norm, "%s", norm);
    sq->norm_len = strlen(sq->norm);
    memset(sq->gram_key, 0, sizeof sq->gram_key);
    memset(sq->gram_count, 0, sizeof sq->gram_count);
    sq->n_grams = each_trigram(sq->norm, sq->norm_len, add_query_gram, sq);
    sq->autocomplete = autocomplete, sq->has_point = has_point, sq->lon = lon, sq->lat = lat;
}

/* Appends word to out[0..*len) after a space unless first; cut at cap. */
static void append_word(char *out, size_t cap, size_t *len, const char *word)
{
    size_t n = strlen(word);
    if (!n || *len + n + 2 > cap) return;
    if (*len) out[(*len)++] = ' ';
    memcpy(out + *len, word, n + 1);
    *len += n;
}

/* text's words, folded, joined by single spaces. */
static void norm_words(const char *text, char *out, size_t cap)
{
    struct gtokens t;
    size_t len = 0;
    out[0] = '\0';
    if (!*text) return;
    gtext_tokenize(text, &t);
    for (int i = 0; i < t.n; i++) append_word(out, cap, &len, t.tok[i]);
}

/* The non-empty parts joined by single spaces; returns the length. */
static size_t join(char *out, size_t cap, const char *const *parts, int n)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) append_word(out, cap, &len, parts[i]);
    return len;
}

static double closeness(const struct gscore_query *sq, double lon, double lat)
{
    double km = gdistance_m(sq->lon, sq->lat, lon, lat) / 1000;
    return km > 100 ? 0 : SCORE_GEO * exp(-(km / 50) * (km / 50));
}

static double ceiling(const struct gscore_query *sq)
{
    return 1 + SCORE_IMPORTANCE + (sq->has_point ? SCORE_GEO : 0);
}

double gscore_doc(const struct gidx *ix, const struct gscore_query *sq, const struct gidx_doc *d, int64_t hn,
                  double coverage)
{
    char num[64], name[256], pc[64], city[256], label[640];
    norm_words(hn >= 0 ? gidx_str(ix, ix->hns[hn].number) : "", num, sizeof num);
    norm_words(gidx_str(ix, d->name), name, sizeof name);
    norm_words(gidx_str(ix, d->postcode), pc, sizeof pc);
    norm_words(d->type == GT_MUNICIPALITY ? "" : gidx_str(ix, d->city), city, sizeof city);
    const char *variants[4][4] = {{num, name, pc, city}, {num, name, city, ""}, {name, pc, "", ""}, {name, "", "", ""}};
    double best = 0;
    for (int v = 0; v < 4; v++) {
        size_t len = join(label, sizeof label, variants[v], 4);
        double s = trigram_sim(sq, label, len);
        if (sq->autocomplete && sq->norm_len && !strncmp(label, sq->norm, sq->norm_len)) s = s > 0.9 ? s : 0.9;
        if (s > best) best = s;
    }
    double score = SCORE_LABEL_WEIGHT * best + (1 - SCORE_LABEL_WEIGHT) * coverage + d->importance * SCORE_IMPORTANCE;
    if (sq->has_point)
        score += hn >= 0 ? closeness(sq, ix->hns[hn].lon, ix->hns[hn].lat) : closeness(sq, d->lon, d->lat);
    return score / ceiling(sq);
}

double gscore_bound(const struct gscore_query *sq, const struct gidx_doc *d, double coverage)
{
    double score = SCORE_LABEL_WEIGHT + (1 - SCORE_LABEL_WEIGHT) * coverage + d->importance * SCORE_IMPORTANCE +
                   (sq->has_point ? SCORE_GEO : 0);
    return score / ceiling(sq) + 1e-9;
}
