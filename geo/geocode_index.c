/* Loading and validating the geocoder index (geo/geocode_index.h). Validation is one
 * linear pass over fixed-size records (tens of milliseconds for a département), so that
 * the search code can trust every offset without checking it again. */
#include "geo/geocode_index.h"

#include "geo/geocode_text.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const size_t record_size[GS_COUNT] = {1, sizeof(struct gidx_doc), sizeof(struct gidx_hn),
                                             sizeof(struct gidx_token), sizeof(uint32_t),
                                             sizeof(struct gidx_word), sizeof(struct gidx_cell),
                                             sizeof(uint32_t)};
static const char *const section_name[GS_COUNT] = {"strings", "docs", "housenumbers", "tokens",
                                                   "postings", "words", "cells", "points"};

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static int check_records(const struct gidx *ix, char *err, size_t errlen)
{
    size_t sl = ix->strings_len;
#define STR_OK(o) ((o) < sl)
    for (size_t i = 0; i < ix->n_docs; i++) {
        const struct gidx_doc *d = &ix->docs[i];
        if (!STR_OK(d->id) || !STR_OK(d->name) || !STR_OK(d->postcode) || !STR_OK(d->citycode) ||
            !STR_OK(d->city) || !STR_OK(d->context) || d->type > GT_MUNICIPALITY ||
            d->hn_first > ix->n_hns || d->hn_count > ix->n_hns - d->hn_first || !isfinite(d->lon) ||
            !isfinite(d->lat) || !(d->importance >= 0 && d->importance <= 1))
            FAIL("document %zu is corrupt", i);
    }
    for (size_t i = 0; i < ix->n_hns; i++) {
        const struct gidx_hn *h = &ix->hns[i];
        if (!STR_OK(h->id) || !STR_OK(h->number) || !STR_OK(h->key) || h->doc >= ix->n_docs ||
            !isfinite(h->lon) || !isfinite(h->lat))
            FAIL("house number %zu is corrupt", i);
    }
    for (size_t i = 0; i < ix->n_tokens; i++) {
        const struct gidx_token *t = &ix->tokens[i];
        if (!STR_OK(t->key) || t->first > ix->n_postings || t->count > ix->n_postings - t->first ||
            (i && strcmp(gidx_str(ix, ix->tokens[i - 1].key), gidx_str(ix, t->key)) >= 0))
            FAIL("token %zu is corrupt or out of order", i);
    }
    for (size_t i = 0; i < ix->n_postings; i++)
        if (ix->postings[i] >= ix->n_docs)
            FAIL("posting %zu names no document", i);
    for (size_t i = 0; i < ix->n_words; i++) {
        const struct gidx_word *w = &ix->words[i];
        if (!STR_OK(w->text) || w->token >= ix->n_tokens ||
            (i && strcmp(gidx_str(ix, ix->words[i - 1].text), gidx_str(ix, w->text)) >= 0))
            FAIL("word %zu is corrupt or out of order", i);
    }
    for (size_t i = 0; i < ix->n_cells; i++) {
        const struct gidx_cell *c = &ix->cells[i];
        if (c->first > ix->n_points || c->count > ix->n_points - c->first || (i && ix->cells[i - 1].key >= c->key))
            FAIL("grid cell %zu is corrupt or out of order", i);
    }
    for (size_t i = 0; i < ix->n_points; i++) {
        uint32_t p = ix->points[i];
        if ((p & GIDX_DOC_BIT) ? (p & ~GIDX_DOC_BIT) >= ix->n_docs : p >= ix->n_hns)
            FAIL("grid point %zu is corrupt", i);
    }
#undef STR_OK
    return 0;
}

static int check_layout(struct gidx *ix, char *err, size_t errlen)
{
    const struct gidx_header *h = (const void *)ix->map;
    if (ix->map_len < sizeof *h)
        FAIL("file too short for a header (%zu bytes)", ix->map_len);
    if (memcmp(h->magic, GIDX_MAGIC, 8))
        FAIL("not an rbmap geocoder index (bad magic)");
    if (h->bom != GIDX_BOM)
        FAIL("index written on a machine of another byte order");
    if (h->version != GIDX_VERSION)
        FAIL("index version %u, this rbmap reads version %d: run rbmap import-ban again", h->version, GIDX_VERSION);
    const void *base[GS_COUNT];
    size_t count[GS_COUNT];
    for (int s = 0; s < GS_COUNT; s++) {
        if (h->off[s] > ix->map_len || h->size[s] > ix->map_len - h->off[s])
            FAIL("section %s (offset %llu, %llu bytes) lies beyond the end of the file (%zu bytes): truncated?",
                 section_name[s], (unsigned long long)h->off[s], (unsigned long long)h->size[s], ix->map_len);
        if (h->off[s] % 8 || h->size[s] % record_size[s] || h->off[s] < sizeof *h)
            FAIL("section %s is misaligned or has a partial record", section_name[s]);
        base[s] = ix->map + h->off[s];
        count[s] = h->size[s] / record_size[s];
    }
    if (!count[GS_STRINGS] || ((const char *)base[GS_STRINGS])[count[GS_STRINGS] - 1])
        FAIL("string section is empty or not NUL-terminated");
    ix->strings = base[GS_STRINGS], ix->strings_len = count[GS_STRINGS];
    ix->docs = base[GS_DOCS], ix->n_docs = count[GS_DOCS];
    ix->hns = base[GS_HNS], ix->n_hns = count[GS_HNS];
    ix->tokens = base[GS_TOKENS], ix->n_tokens = count[GS_TOKENS];
    ix->postings = base[GS_POSTINGS], ix->n_postings = count[GS_POSTINGS];
    ix->words = base[GS_WORDS], ix->n_words = count[GS_WORDS];
    ix->cells = base[GS_CELLS], ix->n_cells = count[GS_CELLS];
    ix->points = base[GS_POINTS], ix->n_points = count[GS_POINTS];
    if (ix->n_docs >= GIDX_DOC_BIT || ix->n_hns >= GIDX_DOC_BIT)
        FAIL("too many documents");
    return check_records(ix, err, errlen);
}
#undef FAIL

struct gidx *gidx_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open geocoder index %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    struct gidx *ix = calloc(1, sizeof *ix);
    if (!ix || fstat(fd, &st) < 0 || st.st_size <= 0) {
        snprintf(err, errlen, "geocoder index %s: %s", path, ix ? "empty or unreadable file" : "out of memory");
        free(ix);
        close(fd);
        return NULL;
    }
    ix->map_len = (size_t)st.st_size;
    void *m = mmap(NULL, ix->map_len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        snprintf(err, errlen, "cannot map geocoder index %s: %s", path, strerror(errno));
        free(ix);
        return NULL;
    }
    ix->map = m;
    char why[512];
    if (check_layout(ix, why, sizeof why) < 0) {
        snprintf(err, errlen, "geocoder index %s refused: %s", path, why);
        gidx_close(ix);
        return NULL;
    }
    return ix;
}

void gidx_close(struct gidx *ix)
{
    if (!ix)
        return;
    if (ix->map)
        munmap((void *)ix->map, ix->map_len);
    free(ix);
}

const struct gidx_token *gidx_token(const struct gidx *ix, const char *key)
{
    size_t lo = 0, hi = ix->n_tokens;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(gidx_str(ix, ix->tokens[mid].key), key);
        if (!c)
            return &ix->tokens[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

size_t gidx_words_prefix(const struct gidx *ix, const char *prefix, size_t *first)
{
    size_t n = strlen(prefix), lo = 0, hi = ix->n_words;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(gidx_str(ix, ix->words[mid].text), prefix) < 0) lo = mid + 1;
        else hi = mid;
    }
    *first = lo;
    size_t end = lo;
    while (end < ix->n_words && !strncmp(gidx_str(ix, ix->words[end].text), prefix, n))
        end++;
    return end - lo;
}

uint64_t gidx_cell_key(double lon, double lat)
{
    int64_t cx = (int64_t)floor((lon + 180.0) / GIDX_CELL_DEG), cy = (int64_t)floor((lat + 90.0) / GIDX_CELL_DEG);
    if (cx < 0) cx = 0;
    if (cy < 0) cy = 0;
    return (uint64_t)cy * 100000u + (uint64_t)cx;
}

const struct gidx_cell *gidx_cell(const struct gidx *ix, uint64_t key)
{
    size_t lo = 0, hi = ix->n_cells;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->cells[mid].key == key) return &ix->cells[mid];
        if (ix->cells[mid].key < key) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

void gidx_hn_key(const char *number, char *out, size_t outlen)
{
    struct gtokens t;
    gtext_tokenize(number, &t);
    out[0] = '\0';
    for (int i = 0; i < t.n && i < 2; i++) /* "12 BIS" and "12bis" alike */
        strncat(out, t.tok[i], outlen - strlen(out) - 1);
    if (t.n) gtext_remove_leading_zeros(out);
    gtext_fold_ordinal(out);
}
