/* The French text pipeline against addok's own test vectors, read at run time from
 * ../shared/data/geocoder-vectors (normalize.csv, phonetic.csv, synonyms.txt). Prints the
 * pass count per function; every vector must pass. */
#include "geo/geocode_text.h"
#include "tests/unit/unit.h"

#include <stdbool.h>
#include <string.h>
#include <stdlib.h>

/* One RFC 4180 record into fields (in place in line); returns the field count. */
static int csv_fields(char *line, char **fields, int max)
{
    int n = 0;
    char *w = line, *r = line;
    while (n < max) {
        fields[n++] = w;
        if (*r == '"') {
            r++;
            for (;;) {
                if (!*r) break;
                if (*r == '"' && r[1] == '"') { *w++ = '"'; r += 2; continue; }
                if (*r == '"') { r++; break; }
                *w++ = *r++;
            }
        }
        while (*r && *r != ',' && *r != '\n') *w++ = *r++;
        bool more = *r == ',';
        *w++ = '\0';
        if (!more) break;
        r++;
    }
    return n;
}

static FILE *open_vectors(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/geocoder-vectors/%s", unit_shared_data(), name);
    FILE *f = fopen(path, "r");
    if (!f)
        fprintf(stderr, "  cannot open %s\n", path);
    return f;
}

static void join(const struct gtokens *t, char *out, size_t cap)
{
    out[0] = '\0';
    for (int i = 0; i < t->n; i++) {
        if (i) strncat(out, " ", cap - strlen(out) - 1);
        strncat(out, t->tok[i], cap - strlen(out) - 1);
    }
}

static void test_normalize_vectors(void)
{
    FILE *f = open_vectors("normalize.csv");
    CHECK(f != NULL);
    if (!f) return;
    static const char *const fns[] = {"clean_query", "extract_address", "glue_ordinal", "fold_ordinal"};
    int pass[4] = {0}, total[4] = {0};
    char line[2048];
    fgets(line, sizeof line, f); /* header */
    while (fgets(line, sizeof line, f)) {
        char *fl[3];
        if (csv_fields(line, fl, 3) != 3) continue;
        int k = -1;
        for (int i = 0; i < 4; i++) if (!strcmp(fl[0], fns[i])) k = i;
        CHECK(k >= 0);
        if (k < 0) continue;
        char got[2048];
        if (k == 0 || k == 1) {
            char *r = k == 0 ? gtext_clean_query(fl[1]) : gtext_extract_address(fl[1]);
            snprintf(got, sizeof got, "%s", r ? r : "(null)");
            free(r);
        } else if (k == 2) { /* space-joined token list: split on spaces only */
            struct gtokens t = {0};
            for (char *p = strtok(fl[1], " "); p && t.n < GTEXT_MAX_TOKENS; p = strtok(NULL, " "))
                snprintf(t.tok[t.n++], GTEXT_TOKEN_MAX, "%s", p);
            gtext_glue_ordinal(&t);
            join(&t, got, sizeof got);
        } else {
            snprintf(got, sizeof got, "%s", fl[1]);
            gtext_fold_ordinal(got);
            for (char *p = got; *p; p++) *p = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
            if (strchr(fl[1], ' ')) snprintf(got, sizeof got, "%s", fl[1]); /* not one token */
        }
        total[k]++;
        if (!strcmp(got, fl[2])) pass[k]++;
        else fprintf(stderr, "  %s(\"%s\") = \"%s\", expected \"%s\"\n", fns[k], fl[1], got, fl[2]);
    }
    fclose(f);
    for (int i = 0; i < 4; i++) {
        printf("%s: %d/%d\n", fns[i], pass[i], total[i]);
        CHECK(total[i] > 0 && pass[i] == total[i]);
    }
}

static void test_phonetic_vectors(void)
{
    FILE *f = open_vectors("phonetic.csv");
    CHECK(f != NULL);
    if (!f) return;
    int pass = 0, total = 0;
    char line[512];
    fgets(line, sizeof line, f);
    while (fgets(line, sizeof line, f)) {
        char *fl[2];
        if (csv_fields(line, fl, 2) != 2) continue;
        char got[GTEXT_TOKEN_MAX];
        gtext_phonemicize(fl[0], got, sizeof got);
        total++;
        if (!strcmp(got, fl[1])) pass++;
        else fprintf(stderr, "  phonemicize(\"%s\") = \"%s\", expected \"%s\"\n", fl[0], got, fl[1]);
    }
    fclose(f);
    printf("phonemicize: %d/%d\n", pass, total);
    CHECK(total == 118 && pass == total);
}

/* Our table against synonyms.txt: each alias must map to the same words there (the
 * last rule naming an alias wins, as in addok's dictionary). */
static void test_synonyms_agree(void)
{
    FILE *f = open_vectors("synonyms.txt");
    CHECK(f != NULL);
    if (!f) return;
    static char alias[1024][32], repl[1024][64];
    int n = 0;
    char line[512];
    while (fgets(line, sizeof line, f) && n < 1000) {
        if (line[0] == '#') continue;
        char *arrow = strstr(line, "=>");
        if (!arrow) continue;
        *arrow = '\0';
        char *r = arrow + 2;
        while (*r == ' ') r++;
        r[strcspn(r, "\r\n")] = '\0';
        for (char *a = strtok(line, ","); a; a = strtok(NULL, ",")) {
            while (*a == ' ') a++;
            size_t l = strlen(a);
            while (l && a[l - 1] == ' ') a[--l] = '\0';
            snprintf(alias[n], sizeof alias[n], "%s", a);
            snprintf(repl[n++], sizeof repl[0], "%s", r);
        }
    }
    fclose(f);
    const char *a, *r;
    int agree = 0, entries = 0;
    for (size_t i = 0; gtext_synonym_entry(i, &a, &r); i++) {
        entries++;
        int found = -1;
        for (int k = 0; k < n; k++) if (!strcmp(alias[k], a)) found = k;
        if (found >= 0 && !strcmp(repl[found], r)) agree++;
        else fprintf(stderr, "  synonym %s => %s: synonyms.txt says %s\n", a, r, found >= 0 ? repl[found] : "nothing");
    }
    printf("synonyms: %d/%d of our entries agree (synonyms.txt has %d aliases)\n", agree, entries, n);
    CHECK(entries > 100 && agree == entries);
}

static void test_fold_and_tokens(void)
{
    char out[128];
    gtext_fold("Œuvre Ça ÉTÉ Straße Ÿ", strlen("Œuvre Ça ÉTÉ Straße Ÿ"), out, sizeof out);
    CHECK_STR(out, "oeuvre ca ete strasse y");
    gtext_fold("\xff\xc3", 2, out, sizeof out); /* invalid UTF-8 is a separator, not a crash */
    CHECK_STR(out, "  ");
    struct gtokens t;
    gtext_tokenize("12, rue de l'Église-Saint-Médard", &t);
    CHECK(t.n == 7);
    CHECK_STR(t.tok[4], "eglise");
    gtext_index_keys("Bd St Germain", &t);
    CHECK(t.n == 3);
    CHECK_STR(t.tok[0], "boulevar");
    CHECK_STR(t.tok[1], "sain");
    char z[8] = "0003";
    gtext_remove_leading_zeros(z);
    CHECK_STR(z, "3");
    snprintf(z, sizeof z, "01234");
    gtext_remove_leading_zeros(z);
    CHECK_STR(z, "01234");
    CHECK(gtext_is_housenumber("12b") && gtext_is_housenumber("1234") && !gtext_is_housenumber("12345"));
    CHECK(gtext_is_street_type("rue") && gtext_is_street_type("av") && !gtext_is_street_type("renard"));
}

/* Spellings the BAN publishes in New Caledonia besides addok-france's ordinals: they
 * must fold like quinquies/sexies/quater, or "1quinter rue ..." never finds its number. */
static void test_ban_ordinal_spellings(void)
{
    static const char *const cases[][2] = {{"1quinter", "1c"}, {"18sexter", "18s"}, {"2qua", "2q"},
                                           {"7quater", "7q"}, {"204bis", "204b"}, {"12", "12"},
                                           {"3quatre", "3quatre"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char tok[32];
        snprintf(tok, sizeof tok, "%s", cases[i][0]);
        gtext_fold_ordinal(tok);
        CHECK_STR(tok, cases[i][1]);
    }
    CHECK(gtext_is_ordinal("quinter") && gtext_is_ordinal("sexter") && gtext_is_ordinal("qua"));
}

/* Found by fuzz/fuzz_geocode_text: a UTF-8 continuation byte where a floor ("ème
 * étage") may start made the case-insensitive match look at the byte before the text. */
static void test_clean_query_at_text_start(void)
{
    static const char *const inputs[] = {"\xA3tage 3 rue", "\xA8me \xA9tage", "\xA3", "2\xA8me \xC3\xA9tage"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char *q = strdup(inputs[i]); /* its own allocation: ASan sees a read before it */
        char *clean = gtext_clean_query(q);
        CHECK(clean != NULL);
        free(clean);
        free(q);
    }
}

int main(void)
{
    RUN(test_normalize_vectors);
    RUN(test_phonetic_vectors);
    RUN(test_synonyms_agree);
    RUN(test_fold_and_tokens);
    RUN(test_ban_ordinal_spellings);
    RUN(test_clean_query_at_text_start);
    return UNIT_REPORT();
}
