/* GET /geocode/search/ and /geocode/reverse/: the api-adresse (addok) API over the
 * index built by `rbmap import-ban` (geo/geocode_search.h), answering the same
 * GeoCodeJSON FeatureCollection so that a front end's ADRESSE_API_URL can point here.
 *
 *   search:  q (3-200 characters), limit (1-50, default 5), autocomplete (0|1, default 1),
 *            type (housenumber|street|locality|municipality; repeated or '+'-joined: ORed),
 *            postcode, citycode (repeatable: ORed), lat+lon (bias; both or neither)
 *   reverse: lon+lat (required), type, limit (default 1)
 * Every client mistake is a 400 naming the parameter; no index loaded is a 503. */
#include "geo/geocode_search.h"
#include "server/context.h"
#include "server/handlers.h"
#include "util/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define Q_MAX_CHARS 200

int geocode_load(struct server_ctx *ctx)
{
    const char *path = ctx->cfg->geocoder_index;
    if (!path[0]) {
        fprintf(stderr, "rbmap serve: no geocoder index configured (geocoder_index); /geocode answers 503\n");
        return 0;
    }
    char err[1024];
    ctx->geocoder = gidx_open(path, err, sizeof err);
    if (ctx->geocoder) {
        fprintf(stderr, "rbmap serve: geocoder index %s: %zu documents, %zu house numbers\n", path,
                ctx->geocoder->n_docs, ctx->geocoder->n_hns);
        return 0;
    }
    FILE *probe = fopen(path, "rb");
    if (!probe) { /* not built yet: serve the rest, /geocode says how to build it */
        fprintf(stderr, "rbmap serve: warning: %s; /geocode answers 503\n", err);
        return 0;
    }
    fclose(probe);
    fprintf(stderr, "rbmap serve: %s\n", err);
    return -1;
}

void geocode_unload(struct server_ctx *ctx)
{
    gidx_close(ctx->geocoder);
    ctx->geocoder = NULL;
}

static const char *const type_names[] = {"housenumber", "street", "locality", "municipality"};

/* type values, repeated or joined by '+' or ' ' (a decoded '+'). */
static int parse_types(const struct request *req, unsigned *mask, struct response *res)
{
    *mask = 0;
    for (size_t i = 0; i < req->n_params; i++) {
        if (strcmp(req->params[i].key, "type")) continue;
        const char *v = req->params[i].value;
        while (*v) {
            size_t n = strcspn(v, "+ ,");
            int t = -1;
            for (int k = 0; k < 4; k++)
                if (n == strlen(type_names[k]) && !strncmp(v, type_names[k], n)) t = k;
            if (t < 0 && n) {
                response_error(res, 400, "type must be housenumber, street, locality or municipality, not '%.*s'",
                               (int)(n > 40 ? 40 : n), v);
                return -1;
            }
            if (t >= 0) *mask |= 1u << t;
            v += n + (v[n] != '\0');
        }
    }
    return 0;
}

static int parse_codes(const struct request *req, const char *name, const char **out, int *n, struct response *res)
{
    *n = 0;
    for (size_t i = 0; i < req->n_params; i++) {
        if (strcmp(req->params[i].key, name)) continue;
        const char *v = req->params[i].value;
        size_t len = strlen(v);
        bool ok = len == 5;
        for (size_t k = 0; k < len && ok; k++) ok = (v[k] >= '0' && v[k] <= '9') || v[k] == 'A' || v[k] == 'B';
        if (!ok) {
            response_error(res, 400, "%s must be a 5-character code (e.g. 54084, 2A004), not '%.20s'", name, v);
            return -1;
        }
        if (*n == GSEARCH_MAX_FILTER) {
            response_error(res, 400, "%s: at most %d values", name, GSEARCH_MAX_FILTER);
            return -1;
        }
        out[(*n)++] = v;
    }
    return 0;
}

static int parse_num(const struct request *req, const char *name, double lo, double hi, bool *present, double *v,
                     struct response *res)
{
    const char *s = request_param(req, name);
    *present = s && *s;
    if (!*present) return 0;
    char *end;
    *v = strtod(s, &end);
    if (*end || !isfinite(*v) || *v < lo || *v > hi || strlen(s) > 40) {
        response_error(res, 400, "%s must be a number between %g and %g, not '%.40s'", name, lo, hi, s);
        return -1;
    }
    return 0;
}

static int parse_point(const struct request *req, bool required, bool *has, double *lon, double *lat, struct response *res)
{
    bool has_lon, has_lat;
    if (parse_num(req, "lon", -180, 180, &has_lon, lon, res) < 0 || parse_num(req, "lat", -90, 90, &has_lat, lat, res) < 0)
        return -1;
    if (required && !has_lon && !has_lat) {
        response_error(res, 400, "lon and lat are required");
        return -1;
    }
    if (has_lon != has_lat) {
        response_error(res, 400, "%s", !has_lat ? "lat is required with lon" : "lon is required with lat");
        return -1;
    }
    *has = has_lon;
    return 0;
}

static int parse_limit(const struct request *req, int def, int *limit, struct response *res)
{
    const char *s = request_param(req, "limit");
    *limit = def;
    if (!s) return 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > 50) {
        response_error(res, 400, "limit must be an integer between 1 and 50, not '%.20s'", s);
        return -1;
    }
    *limit = (int)v;
    return 0;
}

static json_t *feature(const struct gidx *ix, const struct gresult *r, bool reverse)
{
    const struct gidx_doc *d = &ix->docs[r->doc];
    const struct gidx_hn *h = r->hn >= 0 ? &ix->hns[r->hn] : NULL;
    const char *name = gidx_str(ix, d->name), *city = gidx_str(ix, d->city), *pc = gidx_str(ix, d->postcode);
    char full[512], label[640];
    snprintf(full, sizeof full, "%s%s%s", h ? gidx_str(ix, h->number) : "", h ? " " : "", name);
    if (d->type == GT_MUNICIPALITY) snprintf(label, sizeof label, "%s", name);
    else snprintf(label, sizeof label, "%s%s%s%s%s", full, *pc ? " " : "", pc, *city ? " " : "", city);
    json_t *props = json_pack("{s:o,s:f,s:s,s:s,s:o,s:s,s:s,s:f,s:f,s:s,s:s,s:f}", "label", json_string_lossy(label),
                              "score", round(r->score * 1e4) / 1e4, "id", h ? gidx_str(ix, h->id) : gidx_str(ix, d->id),
                              "type", type_names[h ? GT_HOUSENUMBER : d->type], "name", json_string_lossy(full),
                              "postcode", pc, "citycode", gidx_str(ix, d->citycode), "x", h ? h->x : d->x,
                              "y", h ? h->y : d->y, "city", city, "context", gidx_str(ix, d->context),
                              "importance", round(d->importance * 1e5) / 1e5);
    if (!props) return NULL;
    if (h) json_object_set_new(props, "housenumber", json_string_lossy(gidx_str(ix, h->number)));
    if (d->type != GT_MUNICIPALITY) json_object_set_new(props, "street", json_string_lossy(name));
    if (reverse) json_object_set_new(props, "distance", json_integer((json_int_t)llround(r->distance)));
    return json_pack("{s:s,s:{s:s,s:[f,f]},s:o}", "type", "Feature", "geometry", "type", "Point", "coordinates",
                     h ? h->lon : d->lon, h ? h->lat : d->lat, "properties", props);
}

static void answer(struct response *res, const struct gidx *ix, const struct gresult *r, int n, const char *q,
                   int limit, bool reverse)
{
    json_t *features = json_array();
    for (int i = 0; i < n; i++) json_array_append_new(features, feature(ix, &r[i], reverse));
    json_t *doc = json_pack("{s:s,s:s,s:o,s:s,s:s,s:i}", "type", "FeatureCollection", "version", "draft", "features",
                            features, "attribution", "BAN", "licence", "ETALAB-2.0", "limit", limit);
    if (doc && q) json_object_set_new(doc, "query", json_string_lossy(q));
    if (doc) response_json(res, 200, doc);
    else response_error(res, 500, "out of memory");
    json_decref(doc);
}

static const struct gidx *index_or_503(struct request *req, struct response *res)
{
    const struct gidx *ix = req->ctx ? req->ctx->geocoder : NULL;
    if (!ix) response_error(res, 503, "no geocoder index; run rbmap import-ban");
    return ix;
}

void handle_geocode_search(struct request *req, struct response *res)
{
    const struct gidx *ix = index_or_503(req, res);
    if (!ix) return;
    struct gsearch_params p = {.autocomplete = true};
    p.q = request_param(req, "q");
    size_t chars = 0;
    for (const char *s = p.q; s && *s; s++) chars += ((unsigned char)*s & 0xC0) != 0x80;
    if (!p.q || !utf8_valid(p.q, strlen(p.q)) || chars < 3 || chars > Q_MAX_CHARS) {
        response_error(res, 400, "q must be 3 to %d characters of UTF-8 text (got %zu)", Q_MAX_CHARS, chars);
        return;
    }
    const char *ac = request_param(req, "autocomplete");
    if (ac && strcmp(ac, "0") && strcmp(ac, "1") && strcmp(ac, "true") && strcmp(ac, "false")) {
        response_error(res, 400, "autocomplete must be 0 or 1, not '%.20s'", ac);
        return;
    }
    p.autocomplete = !ac || !strcmp(ac, "1") || !strcmp(ac, "true");
    if (parse_limit(req, 5, &p.limit, res) < 0 || parse_types(req, &p.type_mask, res) < 0 ||
        parse_codes(req, "postcode", p.postcode, &p.n_postcode, res) < 0 ||
        parse_codes(req, "citycode", p.citycode, &p.n_citycode, res) < 0 ||
        parse_point(req, false, &p.has_point, &p.lon, &p.lat, res) < 0)
        return;
    struct gresult r[50];
    int n = gsearch(ix, &p, r);
    if (n < 0) response_error(res, 500, "out of memory");
    else answer(res, ix, r, n, p.q, p.limit, false);
}

void handle_geocode_reverse(struct request *req, struct response *res)
{
    const struct gidx *ix = index_or_503(req, res);
    if (!ix) return;
    bool has;
    double lon = 0, lat = 0;
    unsigned mask;
    int limit;
    if (parse_point(req, true, &has, &lon, &lat, res) < 0 || parse_types(req, &mask, res) < 0 ||
        parse_limit(req, 1, &limit, res) < 0)
        return;
    struct gresult r[50];
    int n = greverse(ix, lon, lat, mask, limit, r);
    answer(res, ix, r, n, NULL, limit, true);
}
