/* COG JSON -> staging tables (see the header).
 *
 * Which territories are kept: a région whose code fits the platform's regions.code
 * (varchar(2)), the départements of kept régions, the communes of kept départements.
 * The collectivités d'outre-mer (975, 977, 978, 984, 986-989) are listed in
 * regions.json as 3-character "régions", so they, their départements and their 94
 * communes are left out: storing them would need a schema change (or a made-up
 * région), and they have no boundary polygons in the 2018 data anyway. */
#include "db/territories_cog.h"

#include "db/territories_stage.h"
#include "util/progress.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

/* The biggest file (communes) is 8.6 MB; anything far beyond is not a COG list. */
#define COG_MAX_BYTES ((size_t)512 * 1024 * 1024)

/* Finds DIR/BASE.json or DIR/BASE.json.gz. */
static int cog_path(const char *dir, const char *base, char *out, size_t outlen, char *err, size_t errlen)
{
    static const char *const suffixes[] = {".json", ".json.gz"};
    struct stat st;
    for (size_t i = 0; i < 2; i++) {
        snprintf(out, outlen, "%s/%s%s", dir, base, suffixes[i]);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
            return 0;
    }
    snprintf(err, errlen, "missing COG file: %s/%s.json (or .json.gz)", dir, base);
    return -1;
}

/* gzread also reads uncompressed files, so one path serves .json and .json.gz. */
static json_t *load_json_array(const char *path, char *err, size_t errlen)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        snprintf(err, errlen, "cannot open %s: %s", path, errno ? strerror(errno) : "out of memory");
        return NULL;
    }
    size_t len = 0, cap = 1 << 20;
    char *data = malloc(cap);
    int n = 0;
    while (data && (n = gzread(gz, data + len, (unsigned)(cap - len))) > 0) {
        len += (size_t)n;
        if (len == cap) {
            char *p = cap < COG_MAX_BYTES ? realloc(data, cap * 2) : NULL;
            if (!p) {
                free(data);
                data = NULL;
                break;
            }
            data = p;
            cap *= 2;
        }
    }
    if (!data) {
        snprintf(err, errlen, "%s: too large or out of memory", path);
        gzclose(gz);
        return NULL;
    }
    if (n < 0) {
        int zerr;
        snprintf(err, errlen, "%s: cannot read: %s", path, gzerror(gz, &zerr));
        free(data);
        gzclose(gz);
        return NULL;
    }
    gzclose(gz);
    json_error_t jerr;
    json_t *root = json_loadb(data, len, 0, &jerr);
    free(data);
    if (!root) {
        snprintf(err, errlen, "%s: invalid JSON at line %d column %d: %s", path, jerr.line, jerr.column,
                 jerr.text);
        return NULL;
    }
    if (!json_is_array(root)) {
        snprintf(err, errlen, "%s: expected a JSON array of objects", path);
        json_decref(root);
        return NULL;
    }
    return root;
}

static const char *str_field(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A required string field, with an error naming the file, the entry and the key. */
static const char *need(json_t *obj, const char *key, const char *path, size_t i, char *err, size_t errlen)
{
    if (!json_is_object(obj)) {
        snprintf(err, errlen, "%s: entry %zu: not an object", path, i);
        return NULL;
    }
    const char *s = str_field(obj, key);
    if (!s)
        snprintf(err, errlen, "%s: entry %zu: missing or non-string field \"%s\"", path, i, key);
    return s;
}

static int code_len_ok(const char *code, size_t min, size_t max)
{
    size_t n = strlen(code);
    return n >= min && n <= max;
}

struct code_set {
    const char **codes;
    size_t n;
};

static int code_set_has(const struct code_set *s, const char *code)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->codes[i], code))
            return 1;
    return 0;
}

static int stage_regions(PGconn *conn, json_t *arr, const char *path, struct code_set *kept,
                         struct cog_counts *counts, char *err, size_t errlen)
{
    struct copy_stream cs;
    if (copy_begin(&cs, conn, "COPY stage_region (code, name, chef) FROM STDIN", err, errlen) < 0)
        return -1;
    size_t i;
    json_t *r;
    json_array_foreach(arr, i, r) {
        const char *code = need(r, "code", path, i, err, errlen);
        const char *name = code ? need(r, "nom", path, i, err, errlen) : NULL;
        if (!name) {
            copy_abort(&cs);
            return -1;
        }
        if (strlen(code) != 2) {
            counts->skipped_regions++;
            continue;
        }
        kept->codes[kept->n++] = code;
        copy_text(&cs, code);
        copy_text(&cs, name);
        copy_text(&cs, str_field(r, "chefLieu"));
        copy_end_row(&cs);
        counts->regions++;
    }
    return copy_finish(&cs, err, errlen);
}

static int stage_departements(PGconn *conn, json_t *arr, const char *path, const struct code_set *regions,
                              struct code_set *kept, struct cog_counts *counts, char *err, size_t errlen)
{
    struct copy_stream cs;
    if (copy_begin(&cs, conn, "COPY stage_dep (code, name, region, chef) FROM STDIN", err, errlen) < 0)
        return -1;
    size_t i;
    json_t *d;
    json_array_foreach(arr, i, d) {
        const char *code = need(d, "code", path, i, err, errlen);
        const char *name = code ? need(d, "nom", path, i, err, errlen) : NULL;
        const char *region = name ? need(d, "region", path, i, err, errlen) : NULL;
        if (region && !code_len_ok(code, 2, 3)) {
            snprintf(err, errlen, "%s: entry %zu: département code \"%s\" is not 2 or 3 characters", path, i, code);
            region = NULL;
        }
        if (!region) {
            copy_abort(&cs);
            return -1;
        }
        if (!code_set_has(regions, region)) {
            counts->skipped_departements++;
            continue;
        }
        kept->codes[kept->n++] = code;
        copy_text(&cs, code);
        copy_text(&cs, name);
        copy_text(&cs, region);
        copy_text(&cs, str_field(d, "chefLieu"));
        copy_end_row(&cs);
        counts->departements++;
    }
    return copy_finish(&cs, err, errlen);
}

/* Pass 1: the rows of `cities` (communes-actuelles and municipal arrondissements). */
static int stage_cities(PGconn *conn, json_t *arr, const char *path, const struct code_set *deps,
                        struct cog_counts *counts, struct progress *p, char *err, size_t errlen)
{
    struct copy_stream cs;
    if (copy_begin(&cs, conn, "COPY stage_city (code, name, dep, main, population) FROM STDIN", err, errlen) < 0)
        return -1;
    size_t i;
    json_t *c;
    json_array_foreach(arr, i, c) {
        progress_add(p, 1);
        const char *type = need(c, "type", path, i, err, errlen);
        if (!type) {
            copy_abort(&cs);
            return -1;
        }
        int arrondissement = !strcmp(type, "arrondissement-municipal");
        if (!arrondissement && strcmp(type, "commune-actuelle"))
            continue;
        const char *code = need(c, "code", path, i, err, errlen);
        const char *name = code ? need(c, "nom", path, i, err, errlen) : NULL;
        const char *dep = name ? need(c, "departement", path, i, err, errlen) : NULL;
        const char *main = dep && arrondissement ? need(c, "commune", path, i, err, errlen) : NULL;
        int ok = dep && (!arrondissement || main);
        if (ok && (!code_len_ok(code, 5, 5) || (main && !code_len_ok(main, 5, 5)))) {
            snprintf(err, errlen, "%s: entry %zu: commune code \"%s\" is not 5 characters", path, i,
                     code_len_ok(code, 5, 5) ? main : code);
            ok = 0;
        }
        if (!ok) {
            copy_abort(&cs);
            return -1;
        }
        if (!code_set_has(deps, dep)) {
            counts->skipped_communes++;
            continue;
        }
        json_t *pop = json_object_get(c, "population");
        copy_text(&cs, code);
        copy_text(&cs, name);
        copy_text(&cs, dep);
        copy_text(&cs, main);
        if (json_is_integer(pop) && json_integer_value(pop) >= 0 && json_integer_value(pop) <= 2147483647)
            copy_long(&cs, (long long)json_integer_value(pop));
        else
            copy_text(&cs, NULL);
        copy_end_row(&cs);
        if (arrondissement)
            counts->arrondissements++;
        else
            counts->communes++;
    }
    return copy_finish(&cs, err, errlen);
}

static void code_link(struct copy_stream *cs, const char *old_code, const char *new_code, int prio)
{
    copy_text(cs, old_code);
    copy_text(cs, new_code);
    copy_long(cs, prio);
    copy_end_row(cs);
}

/* Pass 2: which 2026 commune each code found in boundary files belongs to. A code that
 * is itself a commune (or arrondissement) keeps its polygon; a déléguée/associée code
 * goes to its chef-lieu; a code merged away goes to the commune listing it in
 * anciensCodes. */
static int stage_code_map(PGconn *conn, json_t *arr, struct cog_counts *counts, char *err, size_t errlen)
{
    struct copy_stream cs;
    if (copy_begin(&cs, conn, "COPY stage_code_map (old_code, new_code, prio) FROM STDIN", err, errlen) < 0)
        return -1;
    size_t i;
    json_t *c;
    json_array_foreach(arr, i, c) {
        /* Pass 1 checked the fields of the rows used as targets; others are optional. */
        const char *type = str_field(c, "type"), *code = str_field(c, "code");
        if (!type || !code)
            continue;
        if (!strcmp(type, "commune-actuelle") || !strcmp(type, "arrondissement-municipal")) {
            code_link(&cs, code, code, 0);
            json_t *old = json_object_get(c, "anciensCodes");
            size_t j;
            json_t *o;
            json_array_foreach(old, j, o) {
                if (json_is_string(o)) {
                    code_link(&cs, json_string_value(o), code, 2);
                    counts->code_links++;
                }
            }
        } else if (str_field(c, "chefLieu")) {
            code_link(&cs, code, str_field(c, "chefLieu"), 1);
            counts->code_links++;
        }
    }
    return copy_finish(&cs, err, errlen);
}

static int stage_epci(PGconn *conn, json_t *arr, const char *path, struct cog_counts *counts, char *err,
                      size_t errlen)
{
    struct copy_stream cs;
    if (copy_begin(&cs, conn, "COPY stage_epci (code, name) FROM STDIN", err, errlen) < 0)
        return -1;
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        const char *code = need(e, "code", path, i, err, errlen);
        const char *name = code ? need(e, "nom", path, i, err, errlen) : NULL;
        if (name && !code_len_ok(code, 1, 9)) {
            snprintf(err, errlen, "%s: entry %zu: EPCI code \"%s\" is longer than 9 characters", path, i, code);
            name = NULL;
        }
        if (name && !json_is_array(json_object_get(e, "membres"))) {
            snprintf(err, errlen, "%s: entry %zu: missing or non-array field \"membres\"", path, i);
            name = NULL;
        }
        if (!name) {
            copy_abort(&cs);
            return -1;
        }
        copy_text(&cs, code);
        copy_text(&cs, name);
        copy_end_row(&cs);
        counts->epci++;
    }
    if (copy_finish(&cs, err, errlen) < 0)
        return -1;

    if (copy_begin(&cs, conn, "COPY stage_epci_member (epci, city) FROM STDIN", err, errlen) < 0)
        return -1;
    json_array_foreach(arr, i, e) {
        size_t j;
        json_t *m;
        json_array_foreach(json_object_get(e, "membres"), j, m) {
            const char *city = str_field(m, "code");
            if (!city) {
                snprintf(err, errlen, "%s: entry %zu: member %zu has no string \"code\"", path, i, j);
                copy_abort(&cs);
                return -1;
            }
            copy_text(&cs, str_field(e, "code"));
            copy_text(&cs, city);
            copy_end_row(&cs);
            counts->epci_members++;
        }
    }
    return copy_finish(&cs, err, errlen);
}

int cog_stage(PGconn *conn, const char *cog_dir, struct cog_counts *counts, char *err, size_t errlen)
{
    memset(counts, 0, sizeof *counts);
    char paths[4][4096];
    static const char *const bases[] = {"regions", "departements", "communes", "epci"};
    json_t *docs[4] = {NULL, NULL, NULL, NULL};
    struct code_set regions = {NULL, 0}, deps = {NULL, 0};
    int rc = -1;
    /* Every file is checked before anything is staged, so a missing or broken file
     * fails fast with its own name. */
    for (int k = 0; k < 4; k++)
        if (cog_path(cog_dir, bases[k], paths[k], sizeof paths[k], err, errlen) < 0 ||
            !(docs[k] = load_json_array(paths[k], err, errlen)))
            goto out;
    regions.codes = calloc(json_array_size(docs[0]) + 1, sizeof *regions.codes);
    deps.codes = calloc(json_array_size(docs[1]) + 1, sizeof *deps.codes);
    if (!regions.codes || !deps.codes) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (stage_regions(conn, docs[0], paths[0], &regions, counts, err, errlen) < 0 ||
        stage_departements(conn, docs[1], paths[1], &regions, &deps, counts, err, errlen) < 0)
        goto out;
    struct progress p;
    progress_start(&p, "COG communes", (uint64_t)json_array_size(docs[2]));
    int cities_ok = stage_cities(conn, docs[2], paths[2], &deps, counts, &p, err, errlen) == 0;
    progress_finish(&p);
    if (!cities_ok || stage_code_map(conn, docs[2], counts, err, errlen) < 0 ||
        stage_epci(conn, docs[3], paths[3], counts, err, errlen) < 0)
        goto out;
    rc = 0;
out:
    free(regions.codes);
    free(deps.codes);
    for (int k = 0; k < 4; k++)
        json_decref(docs[k]);
    return rc;
}
