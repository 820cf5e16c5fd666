#include "geo/geocode_cog.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cog_default_dir(char *buf, size_t len)
{
    const char *data = getenv("RBMAP_DATA");
    if (data && *data) snprintf(buf, len, "%s/cog", data);
    else snprintf(buf, len, "../shared/data/cog");
    return buf;
}

static json_t *load(const char *dir, const char *name, char *err, size_t errlen)
{
    char path[4096];
    json_error_t je;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_t *a = json_load_file(path, 0, &je);
    /* Messages keep the end of long paths: that is where the file name is. */
    size_t plen = strlen(path);
    const char *shown = plen > 200 ? path + plen - 200 : path;
    if (!a)
        snprintf(err, errlen, "%.200s: %.100s", shown, je.text);
    else if (!json_is_array(a)) {
        snprintf(err, errlen, "%.200s: not a JSON array", shown);
        json_decref(a);
        a = NULL;
    }
    return a;
}

/* The "nom" of the entry of array a whose "code" is code; NULL when absent. */
static const char *name_of(json_t *a, const char *code)
{
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
        const char *c = json_string_value(json_object_get(e, "code"));
        if (c && !strcmp(c, code)) return json_string_value(json_object_get(e, "nom"));
    }
    return NULL;
}

int cog_apply_contexts(struct builder *b, const char *dir, bool required)
{
    char err[4200] = "";
    json_t *deps = load(dir, "departements.json", err, sizeof err), *regs = deps ? load(dir, "regions.json", err, sizeof err) : NULL;
    if (!deps || !regs) {
        json_decref(deps);
        fprintf(stderr, "rbmap import-ban: %s%s\n", required ? "" : "warning: ", err);
        if (!required) fprintf(stderr, "rbmap import-ban: contexts keep bare département codes (see --cog)\n");
        return required ? -1 : 0;
    }
    /* Contexts are interned, so one lookup per distinct code suffices: remember the
     * last one (docs come grouped by commune, hence by département). */
    uint32_t last_from = 0, last_to = 0;
    int rc = 0;
    for (size_t i = 0; i < b->n_docs && !rc; i++) {
        uint32_t off = b->docs[i].context;
        if (off && off == last_from) {
            b->docs[i].context = last_to;
            continue;
        }
        char code[8];
        size_t n = strlen(b->pool.data + off);
        if (n < 2 || n > 3 || strchr(b->pool.data + off, ',')) continue;
        memcpy(code, b->pool.data + off, n + 1); /* pool_str below may move the pool */
        json_t *dep = NULL;
        size_t k;
        json_t *e;
        json_array_foreach(deps, k, e) {
            const char *c = json_string_value(json_object_get(e, "code"));
            if (c && !strcmp(c, code)) dep = e;
        }
        const char *dname = json_string_value(json_object_get(dep, "nom"));
        if (!dname) continue; /* collectivités d'outre-mer (975, 98x) are not départements */
        const char *rcode = json_string_value(json_object_get(dep, "region"));
        const char *rname = rcode ? name_of(regs, rcode) : NULL;
        char ctx[512];
        /* Overseas départements are their own région ("971, Guadeloupe"): named once. */
        if (rname && strcmp(rname, dname)) snprintf(ctx, sizeof ctx, "%s, %s, %s", code, dname, rname);
        else snprintf(ctx, sizeof ctx, "%s, %s", code, dname);
        uint32_t to = pool_str(&b->pool, ctx);
        if (!to) rc = -1;
        b->docs[i].context = to, last_from = off, last_to = to;
    }
    if (rc) fprintf(stderr, "rbmap import-ban: out of memory\n");
    json_decref(deps);
    json_decref(regs);
    return rc;
}
