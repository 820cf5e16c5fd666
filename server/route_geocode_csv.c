/* POST /geocode/search/csv/ and /geocode/reverse/csv/: addok-csv's batch geocoding
 * (addok/addok-csv@e87ea3f) over the same index as server/route_geocode.c.
 *
 * The body is multipart/form-data (server/multipart.h) with a `data` file part holding
 * a CSV (RFC 4180, delimiter ',' ';' or tab, guessed from the header line unless a
 * `delimiter` part gives it). Other parts name columns of that CSV:
 *   search:  columns (repeated; their values joined by spaces make q), citycode,
 *            postcode (filters), lat + lon (bias)
 *   reverse: none: the CSV needs lat/lon (or latitude/longitude) columns
 *   both:    result_columns (repeated): only these result columns are added
 * The answer is the input CSV, same delimiter, each row followed by its best result's
 * columns; a search result counts only above CSV_MIN_SCORE (0.5, addok-csv's), since a
 * weak guess in a batch nobody reviews row by row is worse than an empty cell. */
#include "geo/geocode_search.h"
#include "server/context.h"
#include "server/csv.h"
#include "server/handlers.h"
#include "server/multipart.h"
#include "util/text.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_ROWS 100000
#define CSV_MIN_SCORE 0.5
#define Q_MAX_CHARS 200
#define VALUE_MAX 256

enum rc { RC_LAT, RC_LON, RC_LABEL, RC_SCORE, RC_SCORE_NEXT, RC_TYPE, RC_ID, RC_HN, RC_NAME, RC_STREET,
          RC_POSTCODE, RC_CITY, RC_CONTEXT, RC_CITYCODE, RC_DISTANCE, RC_COUNT };
static const char *const rc_names[RC_COUNT] = {
    "latitude", "longitude", "result_label", "result_score", "result_score_next", "result_type", "result_id",
    "result_housenumber", "result_name", "result_street", "result_postcode", "result_city", "result_context",
    "result_citycode", "result_distance"};
static const char *const type_names[] = {"housenumber", "street", "locality", "municipality"};

struct batch {
    bool reverse;
    int n_hdr;                   /* fields of the header line: every row is written with this many */
    int q_cols[CSV_MAX_FIELDS], n_q;
    int citycode, postcode, lat, lon; /* column indexes, -1 when not given */
    bool want[RC_COUNT];         /* result columns written */
    int at[RC_COUNT];            /* input column a result column replaces (same name), or -1 */
};

/* A part's value as a C string; -1 when too long or holding a NUL. */
static int part_str(const struct mp_part *p, char *out, size_t outlen)
{
    if (p->len >= outlen || memchr(p->data, '\0', p->len)) return -1;
    memcpy(out, p->data, p->len);
    out[p->len] = '\0';
    return 0;
}

static int column_index(const char *const *hdr, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(hdr[i], name)) return i;
    return -1;
}

/* A form field naming a header column: -1 when the field is absent, -2 (400 sent) when bad. */
static int column_part(const struct mp_part *p, const char *field, const char *const *hdr, int n,
                       struct response *res)
{
    char v[VALUE_MAX];
    if (!p) return -1;
    if (part_str(p, v, sizeof v) < 0) {
        response_error(res, 400, "%s: a column name of at most %d bytes is expected", field, VALUE_MAX - 1);
        return -2;
    }
    int i = column_index(hdr, n, v);
    if (i < 0) response_error(res, 400, "%s: no column '%.60s' in the CSV header", field, v);
    return i < 0 ? -2 : i;
}

/* Reads the form fields against the header line; -1 once a 400 is sent. */
static int configure(struct batch *b, const struct mp_part *parts, int np, const char *const *hdr,
                     struct response *res)
{
    b->n_q = 0;
    for (int i = 0; i < np; i++) {
        if (strcmp(parts[i].name, "columns")) continue;
        int c = column_part(&parts[i], "columns", hdr, b->n_hdr, res);
        if (c == -2) return -1;
        if (b->n_q < CSV_MAX_FIELDS) b->q_cols[b->n_q++] = c;
    }
    if ((b->citycode = column_part(multipart_get(parts, np, "citycode"), "citycode", hdr, b->n_hdr, res)) == -2 ||
        (b->postcode = column_part(multipart_get(parts, np, "postcode"), "postcode", hdr, b->n_hdr, res)) == -2 ||
        (b->lat = column_part(multipart_get(parts, np, "lat"), "lat", hdr, b->n_hdr, res)) == -2 ||
        (b->lon = column_part(multipart_get(parts, np, "lon"), "lon", hdr, b->n_hdr, res)) == -2)
        return -1;
    if (b->reverse && b->lat < 0 && b->lon < 0) {
        b->lat = column_index(hdr, b->n_hdr, "lat") >= 0 ? column_index(hdr, b->n_hdr, "lat")
                                                          : column_index(hdr, b->n_hdr, "latitude");
        b->lon = column_index(hdr, b->n_hdr, "lon") >= 0 ? column_index(hdr, b->n_hdr, "lon")
                                                          : column_index(hdr, b->n_hdr, "longitude");
    }
    if ((b->lat < 0) != (b->lon < 0) || (b->reverse && b->lat < 0)) {
        response_error(res, 400, "data: %s", b->reverse ? "reverse needs lat and lon (or latitude and longitude) columns"
                                                       : "lat and lon name columns together or not at all");
        return -1;
    }
    bool any = false;
    for (int i = 0; i < np; i++) {
        if (strcmp(parts[i].name, "result_columns")) continue;
        char v[VALUE_MAX] = "";
        int k = RC_COUNT;
        if (!part_str(&parts[i], v, sizeof v))
            for (k = 0; k < RC_COUNT && strcmp(rc_names[k], v); k++) {}
        if (k == RC_COUNT || (k == RC_DISTANCE && !b->reverse)) {
            response_error(res, 400, "result_columns: unknown result column '%.60s'", v);
            return -1;
        }
        b->want[k] = any = true;
    }
    for (int k = 0; k < RC_COUNT; k++) {
        if (!any) b->want[k] = k != RC_DISTANCE || b->reverse;
        /* A result column named like an input one (reverse's latitude) replaces it, as
         * addok-csv's dict update does, rather than making a duplicate header. */
        b->at[k] = column_index(hdr, b->n_hdr, rc_names[k]);
    }
    return 0;
}

static bool parse_coord(const char *s, double lo, double hi, double *v)
{
    char *end;
    *v = strtod(s, &end);
    return *s && !*end && isfinite(*v) && *v >= lo && *v <= hi;
}

/* Searches one row: the result count (0 when q is unusable: nothing to guess from). */
static int search_row(const struct gidx *ix, const struct batch *b, const char *const *f, struct gresult *r)
{
    char q[4 * Q_MAX_CHARS + 8];
    size_t len = 0;
    for (int i = 0; i < b->n_q; i++) {
        const char *v = f[b->q_cols[i]];
        int w = snprintf(q + len, sizeof q - len, "%s%s", len ? " " : "", v);
        if (w < 0 || (size_t)w >= sizeof q - len) return 0;
        len += (size_t)w;
    }
    size_t chars = 0;
    for (const char *s = q; *s; s++) chars += ((unsigned char)*s & 0xC0) != 0x80;
    if (!b->n_q || chars < 3 || chars > Q_MAX_CHARS || !utf8_valid(q, len)) return 0;
    struct gsearch_params p = {.q = q, .limit = 3, .autocomplete = false};
    if (b->citycode >= 0 && *f[b->citycode]) p.citycode[p.n_citycode++] = f[b->citycode];
    if (b->postcode >= 0 && *f[b->postcode]) p.postcode[p.n_postcode++] = f[b->postcode];
    if (b->lat >= 0)
        p.has_point = parse_coord(f[b->lat], -90, 90, &p.lat) && parse_coord(f[b->lon], -180, 180, &p.lon);
    int n = gsearch(ix, &p, r);
    return n > 0 && r[0].score > CSV_MIN_SCORE ? n : 0;
}

static int reverse_row(const struct gidx *ix, const struct batch *b, const char *const *f, struct gresult *r)
{
    double lat, lon;
    if (!parse_coord(f[b->lat], -90, 90, &lat) || !parse_coord(f[b->lon], -180, 180, &lon)) return 0;
    return greverse(ix, lon, lat, 0, 1, r);
}

/* The result columns' text for r[0] (and r[1]'s score), like route_geocode.c's feature(). */
static void result_values(const struct gidx *ix, const struct gresult *r, int n, char v[RC_COUNT][640])
{
    for (int k = 0; k < RC_COUNT; k++) v[k][0] = '\0';
    if (n <= 0) return;
    const struct gidx_doc *d = &ix->docs[r->doc];
    const struct gidx_hn *h = r->hn >= 0 ? &ix->hns[r->hn] : NULL;
    const char *name = gidx_str(ix, d->name), *city = gidx_str(ix, d->city), *pc = gidx_str(ix, d->postcode);
    snprintf(v[RC_LAT], 640, "%.7f", h ? h->lat : d->lat);
    snprintf(v[RC_LON], 640, "%.7f", h ? h->lon : d->lon);
    snprintf(v[RC_NAME], 640, "%.256s%s%.300s", h ? gidx_str(ix, h->number) : "", h ? " " : "", name);
    if (d->type == GT_MUNICIPALITY) snprintf(v[RC_LABEL], 640, "%.300s", name);
    else snprintf(v[RC_LABEL], 640, "%.400s%s%.20s%s%.200s", v[RC_NAME], *pc ? " " : "", pc, *city ? " " : "", city);
    snprintf(v[RC_SCORE], 640, "%g", round(r[0].score * 1e4) / 1e4);
    if (n > 1) snprintf(v[RC_SCORE_NEXT], 640, "%g", round(r[1].score * 1e4) / 1e4);
    snprintf(v[RC_TYPE], 640, "%s", type_names[h ? GT_HOUSENUMBER : d->type]);
    snprintf(v[RC_ID], 640, "%.600s", h ? gidx_str(ix, h->id) : gidx_str(ix, d->id));
    if (h) snprintf(v[RC_HN], 640, "%.600s", gidx_str(ix, h->number));
    if (d->type != GT_MUNICIPALITY) snprintf(v[RC_STREET], 640, "%.600s", name);
    snprintf(v[RC_POSTCODE], 640, "%.600s", pc);
    snprintf(v[RC_CITY], 640, "%.600s", city);
    snprintf(v[RC_CONTEXT], 640, "%.600s", gidx_str(ix, d->context));
    snprintf(v[RC_CITYCODE], 640, "%.600s", gidx_str(ix, d->citycode));
    snprintf(v[RC_DISTANCE], 640, "%lld", (long long)llround(r->distance));
}

static void write_row(struct buf *out, const struct batch *b, char delim, const char *const *f, int nf,
                      char v[RC_COUNT][640], bool header)
{
    for (int i = 0; i < b->n_hdr; i++) {
        const char *s = i < nf ? f[i] : ""; /* short rows padded; extra fields dropped (no header for them) */
        for (int k = 0; k < RC_COUNT && !header; k++)
            if (b->at[k] == i && b->want[k] && v[k][0]) s = v[k];
        csv_put_field(out, s, delim, i == 0);
    }
    for (int k = 0; k < RC_COUNT; k++)
        if (b->want[k] && b->at[k] < 0) csv_put_field(out, header ? rc_names[k] : v[k], delim, 0);
    buf_puts(out, "\r\n");
}

static void batch(struct request *req, struct response *res, bool reverse)
{
    const struct gidx *ix = req->ctx ? req->ctx->geocoder : NULL;
    if (!ix) {
        response_error(res, 503, "no geocoder index; run rbmap import-ban");
        return;
    }
    struct mp_part parts[MULTIPART_MAX_PARTS];
    char err[256], delim = 0;
    int np = multipart_parse(request_header(req, "Content-Type"), req->body, req->body_len, parts,
                             MULTIPART_MAX_PARTS, err, sizeof err);
    if (np < 0) {
        response_error(res, 400, "%s", err);
        return;
    }
    const struct mp_part *data = multipart_get(parts, np, "data"), *dp = multipart_get(parts, np, "delimiter");
    if (!data) {
        response_error(res, 400, "data: a CSV file part named data is required");
        return;
    }
    if (dp) {
        char v[8];
        if (part_str(dp, v, sizeof v) < 0 || !(!strcmp(v, ",") || !strcmp(v, ";") || !strcmp(v, "\t"))) {
            response_error(res, 400, "delimiter must be ',', ';' or a tab");
            return;
        }
        delim = v[0];
    }
    struct csv_reader rd;
    csv_reader_init(&rd, data->data, data->len, delim);
    struct batch *b = calloc(1, sizeof *b);
    char (*vals)[640] = calloc(RC_COUNT, 640);
    const char *f[CSV_MAX_FIELDS];
    struct buf out;
    buf_init(&out, 0);
    if (!b || !vals) {
        response_error(res, 500, "out of memory");
        goto done;
    }
    b->reverse = reverse;
    int nf = csv_next(&rd, f, err, sizeof err);
    if (nf <= 0) {
        response_error(res, 400, "data: %s", nf < 0 ? err : "empty CSV (a header line is required)");
        goto done;
    }
    b->n_hdr = nf;
    if (configure(b, parts, np, f, res) < 0) goto done;
    write_row(&out, b, rd.delim, f, nf, vals, true);
    for (long rows = 0; (nf = csv_next(&rd, f, err, sizeof err)) != 0; rows++) {
        if (nf < 0 || rows == CSV_MAX_ROWS) {
            response_error(res, 400, "data: %s", nf < 0 ? err : "more than 100000 rows; split the file");
            goto done;
        }
        for (int i = nf; i < b->n_hdr; i++) f[i] = ""; /* short rows: missing cells are empty */
        struct gresult r[3];
        int n = reverse ? reverse_row(ix, b, f, r) : search_row(ix, b, f, r);
        result_values(ix, r, n, vals);
        write_row(&out, b, rd.delim, f, nf, vals, false);
    }
    if (out.overflow) {
        response_error(res, 500, "out of memory");
        goto done;
    }
    response_set_type(res, "text/csv; charset=utf-8");
    response_set_header(res, "Content-Disposition", "attachment; filename=\"geocoded.csv\"");
    buf_free(&res->body);
    res->body = out;
    res->status = 200;
    buf_init(&out, 0);
done:
    buf_free(&out);
    free(vals);
    free(b);
    csv_reader_free(&rd);
}

void handle_geocode_search_csv(struct request *req, struct response *res) { batch(req, res, false); }
void handle_geocode_reverse_csv(struct request *req, struct response *res) { batch(req, res, true); }
