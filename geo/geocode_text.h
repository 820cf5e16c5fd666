/* The French address text pipeline of the geocoder, the same at index and at query time
 * (addok + addok-france + addok-fr semantics, re-implemented without regexes):
 *
 *   raw query -> gtext_clean_query (BP/CS/TSA/CIDEX, CEDEX, floors, s/ -> sur, lieu-dit)
 *             -> gtext_extract_address (drops noise before "<num> [bis] <street type> ")
 *             -> gtext_tokenize (lower case, accent folding: é->e, œ->oe, ß->ss; [\w]+ words)
 *             -> leading zeros, gtext_glue_ordinal ("3 bis rue" -> "3bis rue"),
 *                gtext_fold_ordinal (3bis->3b), house-number flag
 *             -> gtext_synonym (av->avenue, st->saint; may give several words)
 *             -> gtext_phonemicize (addok-fr rules: cergy->serji) = the indexed key.
 *
 * Every function is pure, thread-safe and bounded: outputs are never longer than stated,
 * inputs of any bytes (invalid UTF-8 included) are accepted. */
#ifndef RBMAP_GEO_GEOCODE_TEXT_H
#define RBMAP_GEO_GEOCODE_TEXT_H
#include <stdbool.h>
#include <stddef.h>

#define GTEXT_MAX_TOKENS 96
#define GTEXT_TOKEN_MAX 64 /* longer words are cut (no French word is this long) */

/* Lower-cased, ASCII-folded copy of in[0..len): accents dropped, ligatures spelled out
 * (œ->oe, æ->ae, ß->ss), other non-ASCII letters dropped, never more than 2*len+1 bytes.
 * Writes at most outcap bytes including the NUL; returns the length written. */
size_t gtext_fold(const char *in, size_t len, char *out, size_t outcap);

/* addok-france clean_query and extract_address on the raw (UTF-8) query; malloc'd. */
char *gtext_clean_query(const char *q);
char *gtext_extract_address(const char *q);

struct gtokens {
    int n;
    char tok[GTEXT_MAX_TOKENS][GTEXT_TOKEN_MAX];
};

/* Folds then splits into words ([a-z0-9]+ after folding); extra words are dropped. */
void gtext_tokenize(const char *text, struct gtokens *out);
/* addok-france glue_ordinal on a token list: a number followed by bis/ter/.../a letter,
 * itself followed by a street type or by nothing, becomes one token. In place. */
void gtext_glue_ordinal(struct gtokens *t);
/* addok-france fold_ordinal: "60bis" -> "60b", "60ter" -> "60t"; others unchanged. */
void gtext_fold_ordinal(char *tok);
/* addok-france remove_leading_zeros on one token: "0003" -> "3" (postcodes kept). */
void gtext_remove_leading_zeros(char *tok);
/* True for a house-number-shaped token: 1-4 digits and an optional letter. */
bool gtext_is_housenumber(const char *tok);
/* True for a street type token ("rue", "av", "allee"...): addok-france TYPES. */
bool gtext_is_street_type(const char *tok);
/* True for bis, ter, quater, quinquies, sexies or one letter. */
bool gtext_is_ordinal(const char *tok);

/* The replacement of a (folded) word, e.g. "bd" -> "boulevard", "za" -> "zone artisanale";
 * NULL when the word has none. */
const char *gtext_synonym(const char *word);
/* The i-th entry of the built-in synonym table (for tests); false past the end. */
bool gtext_synonym_entry(size_t i, const char **alias, const char **replacement);

/* addok-fr phonemicize on one folded token; out holds at least strlen(in)+1 bytes
 * (rules never lengthen a word by more than one byte overall: bounded to outcap). */
void gtext_phonemicize(const char *in, char *out, size_t outcap);

/* The whole token pipeline after tokenizing, for indexing a name: synonyms applied
 * (expanding to several words), then phonetic keys. No house-number flag. */
void gtext_index_keys(const char *text, struct gtokens *out);
/* The keys of one already folded word (its synonym expansion, phonemicized). */
void gtext_word_keys(const char *word, struct gtokens *out);

#endif
