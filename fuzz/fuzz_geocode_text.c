/* The geocoder's French address text pipeline (geo/geocode_text.h), as search runs it
 * on a query: clean_query, extract_address, tokenize, leading zeros, glue/fold ordinal,
 * synonyms, phonetic keys, plus fold and the index-side key functions. The header
 * promises any bytes are accepted and outputs are bounded; checked here.
 * Input: the raw query bytes. */
#include "fuzz/fuzz_util.h"
#include "geo/geocode_text.h"

static void check_tokens(const struct gtokens *t)
{
    if (t->n < 0 || t->n > GTEXT_MAX_TOKENS)
        abort();
    for (int i = 0; i < t->n; i++)
        if (!memchr(t->tok[i], '\0', GTEXT_TOKEN_MAX))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *q = fuzz_cstr(data, size);
    size_t cap = 2 * size + 1;
    char *folded = malloc(cap);
    size_t n = gtext_fold((const char *)data, size, folded, cap);
    if (n >= cap || folded[n] != '\0')
        abort();
    char small[8];
    if (gtext_fold((const char *)data, size, small, sizeof small) >= sizeof small)
        abort();

    char *clean = gtext_clean_query(q);
    char *addr = gtext_extract_address(clean ? clean : q);
    static struct gtokens t;
    gtext_tokenize(addr ? addr : q, &t);
    check_tokens(&t);
    for (int i = 0; i < t.n; i++)
        gtext_remove_leading_zeros(t.tok[i]);
    gtext_glue_ordinal(&t);
    check_tokens(&t);
    for (int i = 0; i < t.n; i++) {
        gtext_fold_ordinal(t.tok[i]);
        (void)gtext_is_housenumber(t.tok[i]);
        (void)gtext_is_street_type(t.tok[i]);
        (void)gtext_is_ordinal(t.tok[i]);
        (void)gtext_synonym(t.tok[i]);
        char ph[GTEXT_TOKEN_MAX + 1];
        gtext_phonemicize(t.tok[i], ph, sizeof ph);
        if (!memchr(ph, '\0', sizeof ph))
            abort();
        char tiny[3];
        gtext_phonemicize(t.tok[i], tiny, sizeof tiny);
        if (!memchr(tiny, '\0', sizeof tiny))
            abort();
        static struct gtokens w;
        gtext_word_keys(t.tok[i], &w);
        check_tokens(&w);
    }
    static struct gtokens keys;
    gtext_index_keys(q, &keys);
    check_tokens(&keys);
    free(clean);
    free(addr);
    free(folded);
    free(q);
    return 0;
}
