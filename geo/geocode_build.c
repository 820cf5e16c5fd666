/* `rbmap import-ban --output FILE IN...`: reads BAN address CSV (legacy and current
 * headers, columns found by name) and addok NDJSON, plain or gzipped, into a builder,
 * then writes one index file (geo/geocode_write.c). A malformed line is reported as
 * FILE:LINE and skipped; the import fails only when a file cannot be read at all. */
#include "geo/geocode_build.h"
#include "geo/geocode_cog.h"
#include "geo/geocode_territories.h"

#include "util/hash.h"
#include "util/progress.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* ---- string pool and maps ---- */

static size_t slot_of(const struct smap *m, const struct pool *p, const char *key, bool *found)
{
    size_t mask = m->cap - 1, i = hash_fnv1a64(key, strlen(key)) & mask;
    while (m->keys[i] && strcmp(p->data + m->keys[i] - 1, key))
        i = (i + 1) & mask;
    *found = m->keys[i] != 0;
    return i;
}

uint32_t *smap_get(struct smap *m, const struct pool *p, const char *key)
{
    bool found;
    if (!m->cap) return NULL;
    size_t i = slot_of(m, p, key, &found);
    return found ? &m->vals[i] : NULL;
}

static bool smap_grow(struct smap *m, const struct pool *p)
{
    struct smap bigger = {calloc(m->cap ? m->cap * 2 : 1024, 4), calloc(m->cap ? m->cap * 2 : 1024, 4),
                          m->cap ? m->cap * 2 : 1024, m->n};
    if (!bigger.keys || !bigger.vals) { smap_free(&bigger); return false; }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i]) continue;
        bool found;
        size_t j = slot_of(&bigger, p, p->data + m->keys[i] - 1, &found);
        bigger.keys[j] = m->keys[i];
        bigger.vals[j] = m->vals[i];
    }
    smap_free(m);
    *m = bigger;
    return true;
}

static uint32_t pool_append(struct pool *p, const char *s)
{
    size_t n = strlen(s) + 1;
    if (p->len + n > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1 << 16;
        while (cap < p->len + n) cap *= 2;
        char *d = realloc(p->data, cap);
        if (!d) return 0;
        p->data = d, p->cap = cap;
    }
    if (p->len + n >= UINT32_MAX) return 0;
    memcpy(p->data + p->len, s, n);
    p->len += n;
    return (uint32_t)(p->len - n);
}

uint32_t *smap_put(struct smap *m, struct pool *p, const char *key, uint32_t v)
{
    if ((m->n + 1) * 2 > m->cap && !smap_grow(m, p)) return NULL;
    bool found;
    size_t i = slot_of(m, p, key, &found);
    if (found) return &m->vals[i];
    uint32_t off = m == &p->interned ? pool_append(p, key) : pool_str(p, key);
    if (!off) return NULL;
    i = slot_of(m, p, key, &found); /* the pool may have moved; slots did not */
    m->keys[i] = off + 1;
    m->vals[i] = v;
    m->n++;
    return &m->vals[i];
}

void smap_free(struct smap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* A string seen once (a house number's id): appended without interning, which at
 * France scale saves a 26-million-entry map. */
static uint32_t pool_unique(struct pool *p, const char *s)
{
    if (!*s || (!p->len && !pool_str(p, "") && !p->len)) return 0;
    return pool_append(p, s);
}

uint32_t pool_str(struct pool *p, const char *s)
{
    if (!p->len && !pool_append(p, "") && !p->len) return 0;
    if (!*s) return 0; /* offset 0 is "" */
    uint32_t *v = smap_put(&p->interned, p, s, 0);
    return v ? p->interned.keys[v - p->interned.vals] - 1 : 0;
}

struct gidx_doc *builder_add_doc(struct builder *b)
{
    if (b->n_docs == b->cap_docs) {
        size_t cap = b->cap_docs ? b->cap_docs * 2 : 1024;
        void *d = realloc(b->docs, cap * sizeof *b->docs), *s = realloc(b->sum, cap * 5 * sizeof(double));
        if (d) b->docs = d;
        if (s) b->sum = s;
        if (!d || !s) return NULL;
        b->cap_docs = cap;
    }
    memset(&b->sum[b->n_docs * 5], 0, 5 * sizeof(double));
    struct gidx_doc *d = &b->docs[b->n_docs++];
    memset(d, 0, sizeof *d);
    return d;
}

struct gidx_hn *builder_add_hn(struct builder *b)
{
    if (b->n_hns == b->cap_hns) {
        size_t cap = b->cap_hns ? b->cap_hns * 2 : 4096;
        void *h = realloc(b->hns, cap * sizeof *b->hns);
        if (!h) return NULL;
        b->hns = h, b->cap_hns = cap;
    }
    struct gidx_hn *h = &b->hns[b->n_hns++];
    memset(h, 0, sizeof *h);
    return h;
}

void builder_free(struct builder *b)
{
    smap_free(&b->pool.interned);
    free(b->pool.data);
    free(b->docs);
    free(b->hns);
    free(b->sum);
    smap_free(&b->streets);
    smap_free(&b->cities);
}

/* ---- CSV ---- */

enum { C_ID, C_FANTOIR, C_NUMERO, C_REP, C_VOIE, C_CP, C_INSEE, C_COMMUNE, C_X, C_Y, C_LON, C_LAT, C_N };
static const char *const csv_names[C_N][2] = {
    {"id", NULL}, {"id_fantoir", NULL}, {"numero", NULL}, {"rep", NULL}, {"nom_voie", NULL},
    {"code_postal", "code_post"}, {"code_insee", NULL}, {"nom_commune", NULL}, {"x", NULL}, {"y", NULL},
    {"lon", NULL}, {"lat", NULL}};

/* Splits a ';' line in place, removing quotes; returns the field count. */
static int split_semicolons(char *line, char **f, int max)
{
    int n = 0;
    char *w = line, *r = line;
    while (n < max) {
        f[n++] = w;
        bool quoted = *r == '"';
        if (quoted) r++;
        while (*r && (quoted || *r != ';')) {
            if (quoted && *r == '"') {
                if (r[1] == '"') { *w++ = '"'; r += 2; continue; }
                quoted = false, r++;
                continue;
            }
            *w++ = *r++;
        }
        bool more = *r == ';';
        *w++ = '\0';
        if (!more) break;
        r++;
    }
    return n;
}

static bool parse_double(const char *s, double *v)
{
    char *end;
    if (!*s) return false;
    *v = strtod(s, &end);
    return !*end && isfinite(*v);
}

static const char *csv_row(struct builder *b, char **f, int nf, const int *col)
{
    for (int c = 0; c < C_N; c++)
        if (col[c] >= nf && c != C_FANTOIR && c != C_REP) return "too few fields";
    char empty[1] = "";
    char *fantoir = col[C_FANTOIR] < nf ? f[col[C_FANTOIR]] : empty, *rep = col[C_REP] < nf ? f[col[C_REP]] : empty;
    double v[4];
    for (int k = 0; k < 4; k++)
        if (!parse_double(f[col[C_X + k]], &v[k])) return "x, y, lon or lat is not a number";
    if (fabs(v[2]) > 180 || fabs(v[3]) > 90) return "lon/lat out of range";
    const char *voie = f[col[C_VOIE]], *insee = f[col[C_INSEE]], *num = f[col[C_NUMERO]];
    if (!*voie || !*insee || !*num) return "empty nom_voie, code_insee or numero";
    char key[1024];
    snprintf(key, sizeof key, "%s\x1f%s", insee, voie);
    uint32_t *slot = smap_get(&b->streets, &b->pool, key);
    if (!slot) {
        struct gidx_doc *d = builder_add_doc(b);
        if (!d || !(slot = smap_put(&b->streets, &b->pool, key, (uint32_t)(b->n_docs - 1)))) return "out of memory";
        char id[256];
        snprintf(id, sizeof id, "%s_%s", insee, *fantoir ? fantoir : voie);
        d->id = pool_str(&b->pool, id), d->name = pool_str(&b->pool, voie);
        d->postcode = pool_str(&b->pool, f[col[C_CP]]), d->citycode = pool_str(&b->pool, insee);
        d->city = pool_str(&b->pool, f[col[C_COMMUNE]]);
        char ctx[8];
        snprintf(ctx, sizeof ctx, "%.*s", insee[0] == '9' && insee[1] == '7' ? 3 : 2, insee);
        d->context = pool_str(&b->pool, ctx);
        d->type = GT_STREET;
        if (!smap_get(&b->cities, &b->pool, insee)) { /* the commune, placed at the mean of its addresses */
            uint32_t street = *slot;
            struct gidx_doc *m = builder_add_doc(b);
            if (!m || !smap_put(&b->cities, &b->pool, insee, (uint32_t)(b->n_docs - 1))) return "out of memory";
            d = &b->docs[street];
            *m = *d;
            m->id = d->citycode, m->name = d->city, m->type = GT_MUNICIPALITY;
        }
    }
    struct gidx_hn *h = builder_add_hn(b);
    if (!h) return "out of memory";
    char number[64], hkey[64];
    snprintf(number, sizeof number, "%s%s", num, rep);
    for (char *p = number; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    gidx_hn_key(number, hkey, sizeof hkey);
    h->id = pool_unique(&b->pool, f[col[C_ID]]), h->number = pool_str(&b->pool, number);
    h->key = pool_str(&b->pool, hkey), h->doc = *slot;
    h->x = v[0], h->y = v[1], h->lon = v[2], h->lat = v[3];
    uint32_t docs[2] = {*slot, *smap_get(&b->cities, &b->pool, insee)};
    for (int k = 0; k < 2; k++) {
        double *s = &b->sum[(size_t)docs[k] * 5];
        s[0] += v[2], s[1] += v[3], s[2] += v[0], s[3] += v[1], s[4] += 1;
    }
    return NULL;
}

/* ---- NDJSON ---- */

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (json_is_array(v)) v = json_array_get(v, 0);
    return json_is_string(v) ? json_string_value(v) : "";
}

static bool jnum(json_t *o, const char *k, double *out)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_number(v)) return false;
    *out = json_number_value(v);
    return isfinite(*out);
}

static const char *ndjson_row(struct builder *b, const char *line)
{
    json_error_t jerr;
    json_t *o = json_loads(line, 0, &jerr);
    const char *why = NULL;
    if (!json_is_object(o)) { json_decref(o); return "not a JSON object"; }
    const char *type = jstr(o, "type");
    double lon, lat, x = 0, y = 0, imp = 0;
    uint32_t t = !strcmp(type, "municipality") ? GT_MUNICIPALITY : !strcmp(type, "street") ? GT_STREET
               : !strcmp(type, "locality") ? GT_LOCALITY : 99;
    if (t == 99) why = "type is not municipality, street or locality";
    else if (!*jstr(o, "name") || !jnum(o, "lon", &lon) || !jnum(o, "lat", &lat)) why = "missing name, lon or lat";
    if (why) { json_decref(o); return why; }
    jnum(o, "x", &x), jnum(o, "y", &y), jnum(o, "importance", &imp);
    struct gidx_doc *d = builder_add_doc(b);
    if (!d) { json_decref(o); return "out of memory"; }
    uint32_t di = (uint32_t)(b->n_docs - 1);
    d->id = pool_str(&b->pool, jstr(o, "id")), d->name = pool_str(&b->pool, jstr(o, "name"));
    d->postcode = pool_str(&b->pool, jstr(o, "postcode")), d->citycode = pool_str(&b->pool, jstr(o, "citycode"));
    d->city = pool_str(&b->pool, jstr(o, "city")), d->context = pool_str(&b->pool, jstr(o, "context"));
    d->type = t, d->lon = lon, d->lat = lat, d->x = x, d->y = y;
    d->importance = (float)(imp < 0 ? 0 : imp > 1 ? 1 : imp);
    const char *num;
    json_t *hv;
    json_object_foreach(json_object_get(o, "housenumbers"), num, hv) {
        double hlon, hlat;
        if (!jnum(hv, "lon", &hlon) || !jnum(hv, "lat", &hlat)) continue;
        struct gidx_hn *h = builder_add_hn(b);
        if (!h) { why = "out of memory"; break; }
        char hkey[64];
        gidx_hn_key(num, hkey, sizeof hkey);
        h->id = pool_unique(&b->pool, jstr(hv, "id")), h->number = pool_str(&b->pool, num);
        h->key = pool_str(&b->pool, hkey), h->doc = di, h->lon = hlon, h->lat = hlat;
        jnum(hv, "x", &h->x), jnum(hv, "y", &h->y);
    }
    json_decref(o);
    return why;
}

/* ---- files ---- */

static char *read_line(gzFile gz, char **buf, size_t *cap)
{
    size_t len = 0;
    for (;;) {
        if (*cap - len < 2) {
            size_t ncap = *cap ? *cap * 2 : 65536;
            char *n = realloc(*buf, ncap);
            if (!n) return NULL;
            *buf = n, *cap = ncap;
        }
        if (!gzgets(gz, *buf + len, (int)(*cap - len > INT32_MAX ? INT32_MAX : *cap - len)))
            return len ? *buf : NULL;
        len += strlen(*buf + len);
        if (len && (*buf)[len - 1] == '\n') {
            (*buf)[--len] = '\0';
            if (len && (*buf)[len - 1] == '\r') (*buf)[--len] = '\0';
            return *buf;
        }
    }
}

static int import_file(struct builder *b, const char *path)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        fprintf(stderr, "rbmap import-ban: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    gzbuffer(gz, 1 << 17);
    struct stat st;
    struct progress pr;
    progress_start(&pr, path, stat(path, &st) == 0 ? (uint64_t)st.st_size : 0);
    char *line = NULL, *f[64];
    size_t cap = 0, lineno = 0;
    int col[C_N], mode = 0; /* 0 unknown, 1 CSV, 2 NDJSON */
    while (read_line(gz, &line, &cap)) {
        lineno++;
        if (lineno % 1024 == 0) progress_update(&pr, (uint64_t)gzoffset(gz));
        const char *why = NULL;
        if (mode == 0) {
            if (line[0] == '{') mode = 2;
            else {
                int nf = split_semicolons(line, f, 64);
                for (int c = 0; c < C_N; c++) {
                    col[c] = 999;
                    for (int i = 0; i < nf; i++)
                        if (!strcmp(f[i], csv_names[c][0]) || (csv_names[c][1] && !strcmp(f[i], csv_names[c][1])))
                            col[c] = i;
                    if (col[c] == 999 && c != C_FANTOIR && c != C_REP) {
                        fprintf(stderr, "rbmap import-ban: %s:1: not a BAN CSV header (no column %s) nor NDJSON\n", path, csv_names[c][0]);
                        gzclose(gz), free(line);
                        return -1;
                    }
                }
                mode = 1;
                continue;
            }
        }
        if (!*line) continue;
        if (mode == 2) why = ndjson_row(b, line);
        else {
            int nf = split_semicolons(line, f, 64);
            why = csv_row(b, f, nf, col);
        }
        if (why) {
            fprintf(stderr, "rbmap import-ban: %s:%zu: %s; line skipped\n", path, lineno, why);
            b->bad_lines++;
        }
    }
    int zerr;
    const char *msg = gzerror(gz, &zerr);
    int rc = zerr != Z_OK && zerr != Z_BUF_ERROR ? -1 : 0;
    if (rc) fprintf(stderr, "rbmap import-ban: %s: read error after line %zu: %s\n", path, lineno, msg);
    progress_update(&pr, pr.total);
    progress_finish(&pr);
    gzclose(gz);
    free(line);
    return rc;
}

int cmd_import_ban(int argc, char **argv)
{
    static const struct option options[] = {{"output", required_argument, NULL, 'o'},
                                            {"cog", required_argument, NULL, 'c'},
                                            {"db", required_argument, NULL, 'd'},
                                            {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *output = NULL, *cog = NULL, *db = NULL;
    char cog_buf[4096];
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:c:d:h", options, NULL)) != -1) {
        if (c == 'o') output = optarg;
        else if (c == 'c') cog = optarg;
        else if (c == 'd') db = optarg;
        else {
            fprintf(c == 'h' ? stdout : stderr,
                    "usage: rbmap import-ban --output FILE [--cog DIR] [--db CONNINFO] IN...\n"
                    "Builds the geocoder index from BAN address CSV files (adresses-*.csv, legacy or\n"
                    "current header) and addok NDJSON exports, plain or gzipped. Serve it with\n"
                    "geocoder_index = FILE in the config or RBMAP_GEOCODER_INDEX=FILE.\n"
                    "--cog DIR: departements.json and regions.json (INSEE COG) naming contexts\n"
                    "(\"54, Meurthe-et-Moselle, Grand Est\"); default $RBMAP_DATA/cog or ../shared/data/cog.\n"
                    "--db CONNINFO: also index every commune of the territories tables (rbmap\n"
                    "import-territories) as a municipality, ranked by population.\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (!output || (optind >= argc && !db)) {
        fprintf(stderr, "rbmap import-ban: need --output FILE and at least one input file (or --db)\n");
        return 2;
    }
    struct builder b = {0};
    int rc = 0;
    for (int i = optind; i < argc && !rc; i++)
        rc = import_file(&b, argv[i]);
    for (size_t i = 0; i < b.n_docs && !rc; i++) { /* CSV streets and communes sit at their mean */
        const double *s = &b.sum[i * 5];
        if (s[4] > 0)
            b.docs[i].lon = s[0] / s[4], b.docs[i].lat = s[1] / s[4], b.docs[i].x = s[2] / s[4], b.docs[i].y = s[3] / s[4];
    }
    if (!rc && db) {
        char dberr[512];
        long communes = geocode_add_territories(&b, db, dberr, sizeof dberr);
        if (communes < 0) {
            fprintf(stderr, "rbmap import-ban: --db: %s\n", dberr);
            rc = 1;
        } else {
            fprintf(stderr, "rbmap import-ban: %ld communes from the territories\n", communes);
        }
    }
    if (!rc && cog_apply_contexts(&b, cog ? cog : cog_default_dir(cog_buf, sizeof cog_buf), cog != NULL) < 0)
        rc = 1;
    char err[512];
    if (!rc && builder_write(&b, output, err, sizeof err) < 0) {
        fprintf(stderr, "rbmap import-ban: %s\n", err);
        rc = 1;
    }
    if (!rc)
        fprintf(stderr, "rbmap import-ban: %zu documents, %zu house numbers, %zu malformed lines skipped -> %s\n",
                b.n_docs, b.n_hns, b.bad_lines, output);
    builder_free(&b);
    return rc ? 1 : 0;
}
