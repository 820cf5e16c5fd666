/* Search scoring (geo/geocode_score.h): the trigram likeness is python-ngram's
 * NGram.compare (values worked out by hand below), and gscore_bound is never below the
 * score, which the search's early stop relies on. */
#include "geo/geocode_score.h"
#include "tests/unit/unit.h"

#include <string.h>

/* A one-document index in memory: strings and a street doc, no file. */
static char strings[256];
static struct gidx_doc doc;
static struct gidx ix = {.strings = strings, .docs = &doc, .n_docs = 1};

static uint32_t put(size_t *len, const char *s)
{
    uint32_t off = (uint32_t)*len;
    memcpy(strings + *len, s, strlen(s) + 1);
    *len += strlen(s) + 1;
    return off;
}

static void make_doc(const char *name, const char *postcode, const char *city, float importance)
{
    size_t len = 1; /* offset 0 is "" */
    doc = (struct gidx_doc){.type = GT_STREET, .importance = importance};
    doc.name = put(&len, name), doc.postcode = put(&len, postcode), doc.city = put(&len, city);
    ix.strings_len = len;
}

static double label_likeness(const char *query, const char *name)
{
    struct gscore_query sq;
    gscore_query_init(&sq, query, false, false, 0, 0);
    make_doc(name, "", "", 0);
    /* coverage 0, importance 0: score = 0.6 likeness / 1.1 */
    return gscore_doc(&ix, &sq, &doc, -1, 0) * 1.1 / 0.6;
}

static void test_trigram_likeness(void)
{
    CHECK_NEAR(label_likeness("abc", "abc"), 1.0, 1e-9);
    /* $$a $ab abc bcd cd$ d$$ against $$a $ab abc bce ce$ e$$: 3 shared of 9 distinct */
    CHECK_NEAR(label_likeness("abcd", "abce"), 3.0 / 9.0, 1e-9);
    /* repeated grams count with their multiplicity: "aaaa" has $$a $aa aaa aaa aa$ a$$,
     * "aaa" has $$a $aa aaa aa$ a$$: 5 shared, 6 + 5 - 5 = 6 */
    CHECK_NEAR(label_likeness("aaaa", "aaa"), 5.0 / 6.0, 1e-9);
    /* folded and joined like the query: accents and punctuation do not count */
    CHECK_NEAR(label_likeness("rue des cretes", "Rue des Crêtes"), 1.0, 1e-9);
    CHECK_NEAR(label_likeness("xyz", "abc"), 0.0, 1e-9);
}

static void test_bound_is_above_score(void)
{
    const char *queries[] = {"12 rue des lilas 54111 mont bonvillers", "rue lilas", "lilas", "54111", "zzz qqq"};
    const char *names[] = {"Rue des Lilas", "Allée des Acacias", "Lilas"};
    for (size_t q = 0; q < sizeof queries / sizeof *queries; q++)
        for (size_t n = 0; n < sizeof names / sizeof *names; n++)
            for (int geo = 0; geo < 2; geo++)
                for (double cov = 0; cov <= 1.0; cov += 0.25) {
                    struct gscore_query sq;
                    gscore_query_init(&sq, queries[q], geo, geo, 5.83, 49.32);
                    make_doc(names[n], "54111", "Mont-Bonvillers", 0.4f);
                    doc.lon = 5.84, doc.lat = 49.33;
                    double score = gscore_doc(&ix, &sq, &doc, -1, cov), bound = gscore_bound(&sq, &doc, cov);
                    CHECK(score >= 0 && score <= 1);
                    CHECK(bound >= score);
                }
}

int main(void)
{
    RUN(test_trigram_likeness);
    RUN(test_bound_is_above_score);
    return UNIT_REPORT();
}
