/* Turns the builder's documents into the index sections and writes the file
 * (geo/geocode_index.h), through FILE.tmp and rename so that a running server or a
 * failed import never sees half a file. */
#include "geo/geocode_build.h"

#include "geo/geocode_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct builder *sort_b;

static int cmp_hn(const void *a, const void *b)
{
    const struct gidx_hn *x = a, *y = b;
    if (x->doc != y->doc) return x->doc < y->doc ? -1 : 1;
    int c = strcmp(sort_b->pool.data + x->key, sort_b->pool.data + y->key);
    return c ? c : (x->id < y->id ? -1 : x->id > y->id);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static const uint32_t *sort_keys;
static int cmp_by_string(const void *a, const void *b)
{
    return strcmp(sort_b->pool.data + sort_keys[*(const uint32_t *)a], sort_b->pool.data + sort_keys[*(const uint32_t *)b]);
}

struct vec {
    void *data;
    size_t n, cap, size;
};

static void *vec_push(struct vec *v)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 1024;
        void *d = realloc(v->data, cap * v->size);
        if (!d) return NULL;
        v->data = d, v->cap = cap;
    }
    return (char *)v->data + v->size * v->n++;
}

/* Token and word indices for every document's text. */
static int index_texts(struct builder *b, struct smap *tok_map, struct vec *tok_keys, struct vec *pairs,
                       struct smap *word_map, struct vec *words)
{
    for (size_t d = 0; d < b->n_docs; d++) {
        const struct gidx_doc *doc = &b->docs[d];
        uint32_t texts[3] = {doc->name, doc->postcode, doc->type == GT_MUNICIPALITY ? 0 : doc->city};
        for (int t = 0; t < 3; t++) {
            struct gtokens words_of, keys;
            gtext_tokenize(b->pool.data + texts[t], &words_of); /* the pool moves: no saved pointers */
            for (int w = 0; w < words_of.n; w++) {
                gtext_remove_leading_zeros(words_of.tok[w]);
                gtext_word_keys(words_of.tok[w], &keys);
                for (int k = 0; k < keys.n; k++) {
                    uint32_t next = (uint32_t)tok_keys->n;
                    uint32_t *ti = smap_put(tok_map, &b->pool, keys.tok[k], next);
                    if (!ti) return -1;
                    if (*ti == next) {
                        uint32_t *slot = vec_push(tok_keys);
                        if (!slot) return -1;
                        *slot = pool_str(&b->pool, keys.tok[k]);
                    }
                    uint64_t *p = vec_push(pairs);
                    if (!p) return -1;
                    *p = ((uint64_t)*ti << 32) | d;
                    if (k) continue;
                    uint32_t wnext = (uint32_t)words->n;
                    uint32_t *wi = smap_put(word_map, &b->pool, words_of.tok[w], wnext);
                    if (!wi) return -1;
                    struct gidx_word *gw = *wi == wnext ? vec_push(words) : &((struct gidx_word *)words->data)[*wi];
                    if (!gw) return -1;
                    if (*wi == wnext) *gw = (struct gidx_word){pool_str(&b->pool, words_of.tok[w]), *ti, 0};
                    gw->freq++;
                }
            }
        }
    }
    return 0;
}

static int write_file(const char *path, const void *const *data, const uint64_t *size, char *err, size_t errlen)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        snprintf(err, errlen, "cannot write %s", tmp);
        return -1;
    }
    struct gidx_header h = {.magic = GIDX_MAGIC, .version = GIDX_VERSION, .bom = GIDX_BOM};
    uint64_t off = (sizeof h + 7) & ~7ull;
    for (int s = 0; s < GS_COUNT; s++) {
        h.off[s] = off, h.size[s] = size[s];
        off = (off + size[s] + 7) & ~7ull;
    }
    static const char zeros[8];
    bool ok = fwrite(&h, sizeof h, 1, f) == 1 && fwrite(zeros, 1, h.off[0] - sizeof h, f) == h.off[0] - sizeof h;
    for (int s = 0; s < GS_COUNT && ok; s++) {
        uint64_t pad = (s + 1 < GS_COUNT ? h.off[s + 1] : off) - h.off[s] - size[s];
        ok = (!size[s] || fwrite(data[s], 1, size[s], f) == size[s]) && fwrite(zeros, 1, pad, f) == pad;
    }
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) < 0) {
        remove(tmp);
        snprintf(err, errlen, "cannot write %s (disk full?)", path);
        return -1;
    }
    return 0;
}

int builder_write(struct builder *b, const char *path, char *err, size_t errlen)
{
    int rc = -1;
    sort_b = b;
    pool_str(&b->pool, ""); /* an empty input still gets its "" string */
    qsort(b->hns, b->n_hns, sizeof *b->hns, cmp_hn);
    for (size_t i = 0; i < b->n_hns; i++) {
        struct gidx_doc *d = &b->docs[b->hns[i].doc];
        if (!d->hn_count) d->hn_first = (uint32_t)i;
        d->hn_count++;
    }
    struct smap tok_map = {0}, word_map = {0};
    struct vec tok_keys = {.size = 4}, pairs = {.size = 8}, words = {.size = sizeof(struct gidx_word)},
               grid = {.size = 8};
    uint32_t *order = NULL, *rank = NULL, *postings = NULL, *points = NULL;
    struct gidx_token *tokens = NULL;
    struct gidx_cell *cells = NULL;
    size_t n_cells = 0, n_post = 0;
    snprintf(err, errlen, "out of memory");
    if (index_texts(b, &tok_map, &tok_keys, &pairs, &word_map, &words) < 0) goto out;
    size_t nt = tok_keys.n;
    order = malloc((nt + 1) * 4), rank = malloc((nt + 1) * 4), tokens = calloc(nt + 1, sizeof *tokens);
    postings = malloc((pairs.n + 1) * 4);
    if (!order || !rank || !tokens || !postings) goto out;
    for (uint32_t i = 0; i < nt; i++) order[i] = i;
    sort_keys = tok_keys.data;
    qsort(order, nt, 4, cmp_by_string);
    for (uint32_t i = 0; i < nt; i++) rank[order[i]] = i, tokens[i].key = sort_keys[order[i]];
    uint64_t *pv = pairs.data;
    for (size_t i = 0; i < pairs.n; i++) pv[i] = ((uint64_t)rank[pv[i] >> 32] << 32) | (pv[i] & 0xffffffffu);
    qsort(pv, pairs.n, 8, cmp_u64);
    for (size_t i = 0; i < pairs.n; i++) {
        if (i && pv[i] == pv[i - 1]) continue; /* a word twice in one document */
        struct gidx_token *t = &tokens[pv[i] >> 32];
        if (!t->count) t->first = (uint32_t)n_post;
        t->count++;
        postings[n_post++] = (uint32_t)pv[i];
    }
    struct gidx_word *wv = words.data;
    for (size_t i = 0; i < words.n; i++) wv[i].token = rank[wv[i].token];
    /* words sorted by text: reuse the string sort through a key array */
    uint32_t *wkeys = malloc((words.n + 1) * 4), *worder = malloc((words.n + 1) * 4);
    struct gidx_word *wsorted = malloc((words.n + 1) * sizeof *wsorted);
    if (!wkeys || !worder || !wsorted) { free(wkeys), free(worder), free(wsorted); goto out; }
    for (uint32_t i = 0; i < words.n; i++) wkeys[i] = wv[i].text, worder[i] = i;
    sort_keys = wkeys;
    qsort(worder, words.n, 4, cmp_by_string);
    for (size_t i = 0; i < words.n; i++) wsorted[i] = wv[worder[i]];
    memcpy(wv, wsorted, words.n * sizeof *wv);
    free(wkeys), free(worder), free(wsorted);
    for (size_t i = 0; i < b->n_hns + b->n_docs; i++) { /* grid: every point, house numbers first */
        uint64_t *g = vec_push(&grid);
        if (!g) goto out;
        bool doc = i >= b->n_hns;
        double lon = doc ? b->docs[i - b->n_hns].lon : b->hns[i].lon, lat = doc ? b->docs[i - b->n_hns].lat : b->hns[i].lat;
        *g = (gidx_cell_key(lon, lat) << 32) | (doc ? GIDX_DOC_BIT | (uint32_t)(i - b->n_hns) : (uint32_t)i);
    }
    qsort(grid.data, grid.n, 8, cmp_u64); /* cell keys fit 32 bits: 18000 rows x 100000 */
    cells = calloc(grid.n + 1, sizeof *cells), points = malloc((grid.n + 1) * 4);
    if (!cells || !points) goto out;
    uint64_t *gv = grid.data;
    for (size_t i = 0; i < grid.n; i++) {
        uint64_t key = gv[i] >> 32;
        if (!n_cells || cells[n_cells - 1].key != key) cells[n_cells++] = (struct gidx_cell){key, (uint32_t)i, 0};
        cells[n_cells - 1].count++;
        points[i] = (uint32_t)gv[i];
    }
    const void *data[GS_COUNT] = {b->pool.data, b->docs, b->hns, tokens, postings, wv, cells, points};
    uint64_t size[GS_COUNT] = {b->pool.len, b->n_docs * sizeof *b->docs, b->n_hns * sizeof *b->hns,
                               nt * sizeof *tokens, n_post * 4, words.n * sizeof *wv, n_cells * sizeof *cells,
                               grid.n * 4};
    rc = write_file(path, data, size, err, errlen);
out:
    smap_free(&tok_map), smap_free(&word_map);
    free(tok_keys.data), free(pairs.data), free(words.data), free(grid.data);
    free(order), free(rank), free(tokens), free(postings), free(cells), free(points);
    return rc;
}
