/* Synonyms and phonetic keys (geo/geocode_text.h).
 *
 * Phonetic folding follows addok-fr's `phonemicize` rule list, in order. Each rule is
 * written as data: a look-behind condition, literal alternatives, a look-ahead condition,
 * an optional end anchor and the replacement; one pass per rule scans left to right with
 * look-arounds read on the rule's input, which is how Python's re.sub behaves.
 *
 * The synonym table is our own, written for the common French street types, titles and
 * ordinals; every entry agrees with addok-fr's synonyms.txt (checked by
 * tests/unit/test_geocode_text.c against ../shared/data at test time). */
#include "geo/geocode_text.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

enum lb { LB_NONE, LB_IN, LB_NOT, LB_NOT_OR_START, LB_START, LB_SUFFIX, LB_TWO_LETTERS };
enum la { LA_NONE, LA_IN, LA_NOT, LA_ANY, LA_WORD };

struct prule {
    enum lb lb;
    const char *lbset;
    const char *alts[7];
    enum la la;
    const char *laset;
    bool end;
    const char *rep;
};

#define V "aeiouy"
#define D "0123456789"
static const struct prule rules[] = {
    {LB_IN, "a", {"mps", "mp", "nds", "nd", "nts", "nt"}, LA_NONE, NULL, true, "n"},
    {LB_IN, V, {"mp"}, LA_NOT, V "r", false, "n"},
    {LB_NONE, NULL, {"ngt"}, LA_IN, V, false, "nt"},
    {LB_NONE, NULL, {"ngt"}, LA_NONE, NULL, false, "n"},
    {LB_NOT_OR_START, "g", {"g"}, LA_IN, "eyi", false, "j"},
    {LB_IN, "g", {"u"}, LA_IN, "aeio", false, ""},
    {LB_SUFFIX, "ei", {"gn"}, LA_IN, V, false, "ni"},
    {LB_NONE, NULL, {"je"}, LA_IN, V, false, "j"},
    {LB_NONE, NULL, {"c"}, LA_NOT, "hieyw", false, "k"},
    {LB_NONE, NULL, {"anc"}, LA_NONE, NULL, true, "an"},
    {LB_NOT, "s", {"ch"}, LA_NONE, NULL, true, "k"},
    {LB_NOT, D, {"c"}, LA_NONE, NULL, true, "k"},
    {LB_IN, V, {"s"}, LA_IN, V, false, "z"},
    {LB_NOT_OR_START, D, {"qu", "q"}, LA_NONE, NULL, false, "k"},
    {LB_NONE, NULL, {"cc"}, LA_IN, "ie", false, "s"},
    {LB_NONE, NULL, {"ck"}, LA_NONE, NULL, false, "k"},
    {LB_NONE, NULL, {"ph"}, LA_NONE, NULL, false, "f"},
    {LB_NONE, NULL, {"th"}, LA_NONE, NULL, true, "te"},
    {LB_NOT, "sc" D, {"h"}, LA_NONE, NULL, false, ""},
    {LB_START, NULL, {"h"}, LA_ANY, NULL, false, ""},
    {LB_NONE, NULL, {"sc"}, LA_NONE, NULL, false, "s"},
    {LB_NONE, NULL, {"sh"}, LA_NONE, NULL, false, "ch"},
    {LB_NOT_OR_START, D, {"w"}, LA_NONE, NULL, false, "v"},
    {LB_NONE, NULL, {"c"}, LA_IN, "eiy", false, "s"},
    {LB_NOT_OR_START, D, {"y"}, LA_NONE, NULL, false, "i"},
    {LB_NONE, NULL, {"esn"}, LA_NONE, NULL, false, "en"},
    {LB_NONE, NULL, {"eim"}, LA_NONE, NULL, true, "aim"},
    {LB_NONE, NULL, {"ae", "ei"}, LA_WORD, NULL, false, "e"},
    {LB_NONE, NULL, {"oeufs"}, LA_NONE, NULL, true, "eu"},
    {LB_NONE, NULL, {"oeu", "oe"}, LA_WORD, NULL, false, "eu"},
    {LB_NOT, D, {"s"}, LA_NONE, NULL, true, ""},
    {LB_IN, "u", {"lx", "x"}, LA_NONE, NULL, true, ""},
    {LB_IN, "u", {"lt"}, LA_NONE, NULL, true, "t"},
    {LB_IN, "abcdefghijklmnopqrstuvwxyz", {"d", "g"}, LA_NONE, NULL, true, ""},
    {LB_NOT, "es" D, {"t"}, LA_NONE, NULL, true, ""},
    {LB_IN, "aeiou", {"m"}, LA_IN, "pbgft", false, "n"},
    {LB_TWO_LETTERS, NULL, {"e"}, LA_NONE, NULL, true, ""},
    {LB_IN, V, {"nd", "nt"}, LA_NOT, V "r", false, "n"},
};

static bool behind_ok(const struct prule *r, const char *s, size_t i)
{
    switch (r->lb) {
    case LB_NONE: return true;
    case LB_IN: return i > 0 && strchr(r->lbset, s[i - 1]);
    case LB_NOT: return i > 0 && !strchr(r->lbset, s[i - 1]);
    case LB_NOT_OR_START: return i == 0 || !strchr(r->lbset, s[i - 1]);
    case LB_START: return i == 0;
    case LB_SUFFIX: {
        size_t n = strlen(r->lbset);
        return i >= n && !strncmp(s + i - n, r->lbset, n);
    }
    case LB_TWO_LETTERS:
        return i >= 2 && islower((unsigned char)s[i - 1]) && islower((unsigned char)s[i - 2]);
    }
    return false;
}

static bool ahead_ok(const struct prule *r, const char *s, size_t j)
{
    char c = s[j];
    switch (r->la) {
    case LA_NONE: return true;
    case LA_IN: return c && strchr(r->laset, c);
    case LA_NOT: return c && !strchr(r->laset, c);
    case LA_ANY: return c != '\0';
    case LA_WORD: return c && (isalnum((unsigned char)c) || c == '_');
    }
    return false;
}

/* One rule over in, into out (bounded); returns the length written. */
static size_t apply_rule(const struct prule *r, const char *in, char *out, size_t outcap)
{
    size_t o = 0, n = strlen(in);
    for (size_t i = 0; i < n;) {
        size_t len = 0;
        if (behind_ok(r, in, i))
            for (int a = 0; a < 7 && r->alts[a]; a++) {
                size_t l = strlen(r->alts[a]);
                if (strncmp(in + i, r->alts[a], l) || (r->end && i + l != n) || !ahead_ok(r, in, i + l))
                    continue;
                len = l;
                break;
            }
        if (len) {
            for (const char *p = r->rep; *p && o + 1 < outcap; p++) out[o++] = *p;
            i += len;
        } else {
            if (o + 1 < outcap) out[o++] = in[i];
            i++;
        }
    }
    out[o] = '\0';
    return o;
}

void gtext_phonemicize(const char *in, char *out, size_t outcap)
{
    char a[GTEXT_TOKEN_MAX * 2], b[GTEXT_TOKEN_MAX * 2];
    size_t n = strlen(in);
    if (n >= sizeof a) n = sizeof a - 1;
    memcpy(a, in, n);
    a[n] = '\0';
    for (size_t k = 0; k < sizeof rules / sizeof rules[0]; k++) {
        apply_rule(&rules[k], a, b, sizeof b);
        memcpy(a, b, strlen(b) + 1);
    }
    size_t o = 0; /* ([a-z])\1+ -> \1 */
    for (size_t i = 0; a[i] && o + 1 < outcap; i++) {
        if (i && a[i] == a[i - 1] && islower((unsigned char)a[i]))
            continue;
        out[o++] = a[i];
    }
    if (outcap)
        out[o] = '\0';
}

/* alias -> replacement; a subset of addok-fr's synonyms.txt, same spelling. */
static const char *const synonyms[][2] = {
    {"1er", "premier"}, {"1e", "premier"}, {"1ere", "premiere"}, {"1re", "premiere"},
    {"2e", "deuxieme"}, {"2eme", "deuxieme"}, {"3e", "troisieme"}, {"3eme", "troisieme"},
    {"4e", "quatrieme"}, {"4eme", "quatrieme"}, {"5e", "cinquieme"}, {"5eme", "cinquieme"},
    {"6e", "sixieme"}, {"6eme", "sixieme"}, {"7e", "septieme"}, {"7eme", "septieme"},
    {"8e", "huitieme"}, {"8eme", "huitieme"}, {"9e", "neuvieme"}, {"9eme", "neuvieme"},
    {"10e", "dixieme"}, {"10eme", "dixieme"}, {"11e", "onzieme"}, {"12e", "douzieme"},
    {"13e", "treizieme"}, {"14e", "quatorzieme"}, {"15e", "quinzieme"}, {"16e", "seizieme"},
    {"17e", "dix septieme"}, {"18e", "dix huitieme"}, {"19e", "dix neuvieme"}, {"20e", "vingtieme"},
    {"1", "un"}, {"2", "deux"}, {"3", "trois"}, {"4", "quatre"}, {"5", "cinq"}, {"6", "six"},
    {"7", "sept"}, {"8", "huit"}, {"9", "neuf"}, {"10", "dix"}, {"11", "onze"}, {"12", "douze"},
    {"13", "treize"}, {"14", "quatorze"}, {"15", "quinze"}, {"16", "seize"}, {"17", "dix sept"},
    {"18", "dix huit"}, {"19", "dix neuf"}, {"20", "vingt"}, {"100", "cent"},
    {"all", "allee"}, {"al", "allee"}, {"alle", "allee"}, {"anc", "ancien"}, {"aut", "autoroute"},
    {"av", "avenue"}, {"ave", "avenue"}, {"aven", "avenue"}, {"bcle", "boucle"},
    {"bd", "boulevard"}, {"bld", "boulevard"}, {"bou", "boulevard"}, {"bould", "boulevard"},
    {"bvd", "boulevard"}, {"boul", "boulevard"}, {"brg", "bourg"}, {"caref", "carrefour"},
    {"cd", "chemin departemental"}, {"cdt", "commandant"}, {"ch", "chemin"}, {"che", "chemin"},
    {"chem", "chemin"}, {"cha", "chaussee"}, {"chs", "chaussee"}, {"cht", "chateau"},
    {"col", "colonel"}, {"cpt", "capitaine"}, {"ci", "cite"}, {"cit", "cite"}, {"clo", "clos"},
    {"crx", "croix"}, {"ctre", "centre"}, {"cv", "chemin vicinal"}, {"dom", "domaine"},
    {"dr", "docteur"}, {"doct", "docteur"}, {"enc", "enclos"}, {"espl", "esplanade"},
    {"fg", "faubourg"}, {"fbg", "faubourg"}, {"fbourg", "faubourg"}, {"fon", "fontaine"},
    {"font", "fontaine"}, {"frm", "ferme"}, {"gde", "grande"}, {"gdes", "grandes"}, {"gds", "grands"},
    {"gen", "general"}, {"gal", "general"}, {"gl", "general"}, {"gr", "grande rue"},
    {"ham", "hameau"}, {"hlm", "habitation a loyer modere"}, {"imp", "impasse"},
    {"jard", "jardin"}, {"lieut", "lieutenant"}, {"lt", "lieutenant"}, {"lot", "lotissement"},
    {"lotis", "lotissement"}, {"lotiss", "lotissement"}, {"mal", "marechal"}, {"ml", "marechal"},
    {"mln", "moulin"}, {"mme", "madame"}, {"mgr", "monseigneur"}, {"mt", "mont"}, {"mte", "montee"},
    {"nd", "notre dame"}, {"pass", "passage"}, {"pge", "passage"}, {"psge", "passage"},
    {"pdt", "president"}, {"pkg", "parking"}, {"pl", "place"}, {"pla", "place"}, {"plac", "place"},
    {"prof", "professeur"}, {"prom", "promenade"}, {"prm", "promenade"}, {"pte", "porte"},
    {"qrt", "quartier"}, {"quart", "quartier"}, {"qu", "quai"}, {"q", "quai"}, {"r", "rue"},
    {"rd", "route departementale"}, {"res", "residence"}, {"rn", "route nationale"},
    {"rpt", "rond point"}, {"rdpt", "rond point"}, {"rte", "route"}, {"rou", "route"},
    {"sen", "sentier"}, {"sent", "sentier"}, {"sgt", "sergent"}, {"sq", "square"}, {"squ", "square"},
    {"ss", "sous"}, {"st", "saint"}, {"ste", "sainte"}, {"sts", "saints"}, {"stes", "saintes"},
    {"tsse", "terrasse"}, {"ter", "terrasse"}, {"vc", "voie communale"}, {"vla", "villa"},
    {"za", "zone artisanale"}, {"zac", "zone amenagement concerte"}, {"zi", "zone industrielle"},
};
#define N_SYNONYMS (sizeof synonyms / sizeof synonyms[0])

const char *gtext_synonym(const char *word)
{
    for (size_t i = 0; i < N_SYNONYMS; i++) /* 180 short compares: cheaper than a hash here */
        if (word[0] == synonyms[i][0][0] && !strcmp(word, synonyms[i][0]))
            return synonyms[i][1];
    return NULL;
}

bool gtext_synonym_entry(size_t i, const char **alias, const char **replacement)
{
    if (i >= N_SYNONYMS)
        return false;
    *alias = synonyms[i][0];
    *replacement = synonyms[i][1];
    return true;
}

/* Appends word's synonym expansion (or the word) as phonetic keys. */
static void add_keys(const char *word, struct gtokens *out)
{
    const char *syn = gtext_synonym(word);
    char tmp[GTEXT_TOKEN_MAX];
    if (!syn) {
        if (out->n < GTEXT_MAX_TOKENS)
            gtext_phonemicize(word, out->tok[out->n++], GTEXT_TOKEN_MAX);
        return;
    }
    while (*syn && out->n < GTEXT_MAX_TOKENS) {
        size_t n = strcspn(syn, " ");
        memcpy(tmp, syn, n);
        tmp[n] = '\0';
        gtext_phonemicize(tmp, out->tok[out->n++], GTEXT_TOKEN_MAX);
        syn += n + (syn[n] == ' ');
    }
}

void gtext_index_keys(const char *text, struct gtokens *out)
{
    struct gtokens words;
    gtext_tokenize(text, &words);
    out->n = 0;
    for (int i = 0; i < words.n; i++) {
        gtext_remove_leading_zeros(words.tok[i]);
        add_keys(words.tok[i], out);
    }
}

void gtext_word_keys(const char *word, struct gtokens *out)
{
    out->n = 0;
    add_keys(word, out);
}
