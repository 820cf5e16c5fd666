/* The geocoder index file: written once by `rbmap import-ban`, memory-mapped read-only
 * by the server. Host byte order (the file records it and is refused elsewhere).
 *
 * Layout: a header (magic "RBGEOIX\0", version, byte-order mark, then offset/size of each
 * section), sections 8-byte aligned:
 *   STRINGS   NUL-terminated strings; every string field is an offset in here
 *   DOCS      struct gidx_doc: streets, municipalities (a locality is a street-like doc)
 *   HNS       struct gidx_hn: house numbers, grouped by doc, sorted by key within a doc
 *   TOKENS    struct gidx_token sorted by key (strcmp): phonetic key -> postings range
 *   POSTINGS  uint32 doc ids, sorted ascending within each token
 *   WORDS     struct gidx_word sorted by text: every folded word seen, with its phonetic
 *             token; a binary search gives the words with a prefix (autocomplete, from 3
 *             letters) and exact lookups of typo candidates (one edit)
 *   CELLS     struct gidx_cell sorted by key: the reverse grid (0.01 degree cells)
 *   POINTS    uint32 refs per cell: a house number index, or a doc index | GIDX_DOC_BIT
 * gidx_open checks every size, offset, range and string reference, so a truncated or
 * corrupt file is refused with a message instead of being read out of bounds. */
#ifndef RBMAP_GEO_GEOCODE_INDEX_H
#define RBMAP_GEO_GEOCODE_INDEX_H
#include <stddef.h>
#include <stdint.h>

#define GIDX_MAGIC "RBGEOIX"
#define GIDX_VERSION 1
#define GIDX_BOM 0x01020304u
#define GIDX_DOC_BIT 0x80000000u
#define GIDX_CELL_DEG 0.01

enum gidx_section { GS_STRINGS, GS_DOCS, GS_HNS, GS_TOKENS, GS_POSTINGS, GS_WORDS, GS_CELLS, GS_POINTS, GS_COUNT };
enum gidx_type { GT_HOUSENUMBER, GT_STREET, GT_LOCALITY, GT_MUNICIPALITY };

struct gidx_header {
    char magic[8];
    uint32_t version, bom;
    uint64_t off[GS_COUNT], size[GS_COUNT];
};

struct gidx_doc {
    uint32_t id, name, postcode, citycode, city, context; /* string offsets */
    uint32_t type;                                         /* enum gidx_type */
    uint32_t hn_first, hn_count;
    float importance;
    double lon, lat, x, y;
};

struct gidx_hn {
    uint32_t id, number, key; /* number as published ("12bis"), key folded ("12b") */
    uint32_t doc;
    double lon, lat, x, y;
};

struct gidx_token {
    uint32_t key, first, count;
};

struct gidx_word {
    uint32_t text, token, freq;
};

struct gidx_cell {
    uint64_t key;
    uint32_t first, count;
};

struct gidx {
    const char *map;
    size_t map_len;
    const char *strings;
    size_t strings_len;
    const struct gidx_doc *docs;
    size_t n_docs;
    const struct gidx_hn *hns;
    size_t n_hns;
    const struct gidx_token *tokens;
    size_t n_tokens;
    const uint32_t *postings;
    size_t n_postings;
    const struct gidx_word *words;
    size_t n_words;
    const struct gidx_cell *cells;
    size_t n_cells;
    const uint32_t *points;
    size_t n_points;
};

/* Maps and validates path; NULL with a message in err when missing, truncated or corrupt. */
struct gidx *gidx_open(const char *path, char *err, size_t errlen);
void gidx_close(struct gidx *ix);
static inline const char *gidx_str(const struct gidx *ix, uint32_t off) { return ix->strings + off; }
/* The token with exactly this key; NULL when absent. */
const struct gidx_token *gidx_token(const struct gidx *ix, const char *key);
/* Words [*first, *first + return) whose text starts with prefix. */
size_t gidx_words_prefix(const struct gidx *ix, const char *prefix, size_t *first);
uint64_t gidx_cell_key(double lon, double lat);
const struct gidx_cell *gidx_cell(const struct gidx *ix, uint64_t key);
/* A house number's folded key as used in HNS and in queries: "12 BIS" -> "12b". */
void gidx_hn_key(const char *number, char *out, size_t outlen);

/* `rbmap import-ban --output FILE IN...` (geo/geocode_build.c). */
int cmd_import_ban(int argc, char **argv);

#endif
