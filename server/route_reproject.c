/* GET,POST /reproject: coordinate transformation between the CRSs of geo/proj.h.
 *
 *   GET  /reproject?from=EPSG:4326&to=EPSG:2154&coords=2.35,48.85;5.37,43.30
 *   POST /reproject?from=..&to=..  Content-Type: application/json (or none)
 *        body [[x,y],...] or {"coordinates": [[x,y],...]}
 *   both answer {"from":"EPSG:4326","to":"EPSG:2154","coordinates":[[x,y],...]}
 *   POST /reproject?from=..&to..   Content-Type: text/csv  -> CSV back, see below.
 *
 * x is longitude or easting, y latitude or northing, for every CRS (geo/proj.h).
 * from/to in the answer are the canonical codes ("4326" -> "EPSG:4326").
 * Numbers are written with fixed decimals, trailing zeros dropped: 6 for metres (1 µm),
 * 10 for degrees (about 11 µm), e.g. [700000,6600000], [648235.877747,6862268.358286].
 * At most cfg->reproject_max_points points (default 100000) per request, bounded
 * before anything is allocated (';' count, CSV line count, JSON comma count); each
 * number at most NUM_MAX_TEXT characters. Numbers
 * are plain decimals (no hex, inf or nan). Every client mistake is a 400 naming the
 * parameter (from, to, coords, body, Content-Type) and, for a point, which one. */
#include "geo/proj.h"
#include "server/context.h"
#include "server/config.h"
#include "server/handlers.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_MAX_POINTS 100000
#define NUM_MAX_TEXT 64

static size_t max_points(const struct request *req)
{
    if (req->ctx && req->ctx->cfg && req->ctx->cfg->reproject_max_points > 0)
        return (size_t)req->ctx->cfg->reproject_max_points;
    return DEFAULT_MAX_POINTS;
}

/* Parses text[0..len) as one finite decimal number; returns NULL or what is wrong. */
static const char *parse_number(const char *text, size_t len, double *out)
{
    while (len && (*text == ' ' || *text == '\t'))
        text++, len--;
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if (len == 0)
        return "is empty";
    if (len > NUM_MAX_TEXT)
        return "is too long (at most 64 characters)";
    char tmp[NUM_MAX_TEXT + 1];
    for (size_t i = 0; i < len; i++) {
        if (!strchr("0123456789+-.eE", text[i]) || !text[i])
            return "is not a number";
        tmp[i] = text[i];
    }
    tmp[len] = '\0';
    char *end;
    *out = strtod(tmp, &end);
    if (end != tmp + len)
        return "is not a number";
    if (!isfinite(*out))
        return "is not a finite number";
    return NULL;
}

/* v with a fixed number of decimals (at most 15), trailing zeros dropped: "700000",
 * "648235.877747". printf's floating-point path costs about 1 µs per number here and
 * dominated large batches; this costs a few tens of ns. */
static void put_fixed(struct buf *b, double v, int decimals)
{
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    double scaled = v * pow10[decimals];
    if (!(fabs(scaled) < 9007199254740992.0)) { /* beyond 2^53: not exact as an integer */
        buf_printf(b, "%.17g", v);
        return;
    }
    long long q = llround(scaled);
    unsigned long long u = q < 0 ? 0ull - (unsigned long long)q : (unsigned long long)q;
    int d = decimals;
    while (d > 0 && u % 10 == 0)
        u /= 10, d--;
    char tmp[32], *p = tmp + sizeof tmp;
    *--p = '\0';
    for (int i = 0; i < d; i++, u /= 10)
        *--p = (char)('0' + u % 10);
    if (d)
        *--p = '.';
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (q < 0)
        *--p = '-';
    buf_puts(b, p);
}

/* 1 µm in metres, 1e-10 degree (11 µm) in degrees: beyond any use of the numbers
 * (PROJ's datum accuracy here is 1 m) and well within the 1e-4 m we promise. */
static void put_number(struct buf *b, const struct crs_info *crs, double v)
{
    put_fixed(b, v, crs->geographic ? 10 : 6);
}

static void quote_text(char *out, size_t outlen, const char *text, size_t len)
{
    snprintf(out, outlen, "'%.*s%s'", (int)(len > 40 ? 40 : len), text, len > 40 ? "..." : "");
}

/* One "x<sep>y" pair; on error writes "x 'abc' is not a number" or similar into err. */
static int parse_pair(const char *text, size_t len, char sep, double *x, double *y, char *err,
                      size_t errlen)
{
    const char *mid = memchr(text, sep, len);
    char shown[64];
    quote_text(shown, sizeof shown, text, len);
    if (!mid || memchr(mid + 1, sep, len - (size_t)(mid + 1 - text))) {
        snprintf(err, errlen, "%s must be two numbers x%cy", shown, sep);
        return -1;
    }
    size_t xl = (size_t)(mid - text), yl = len - xl - 1;
    const char *why = parse_number(text, xl, x);
    if (why) {
        quote_text(shown, sizeof shown, text, xl);
        snprintf(err, errlen, "x %s %s", shown, why);
        return -1;
    }
    if ((why = parse_number(mid + 1, yl, y))) {
        quote_text(shown, sizeof shown, mid + 1, yl);
        snprintf(err, errlen, "y %s %s", shown, why);
        return -1;
    }
    return 0;
}

struct points {
    double *x, *y;
    size_t n, cap;
};

static bool points_alloc(struct points *p, size_t cap)
{
    p->n = 0;
    p->cap = cap;
    p->x = malloc((cap ? cap : 1) * sizeof *p->x);
    p->y = malloc((cap ? cap : 1) * sizeof *p->y);
    return p->x && p->y;
}

static void points_free(struct points *p)
{
    free(p->x);
    free(p->y);
}

/* coords=x,y;x,y;... The ';' count is exact, so it is checked before allocating. */
static int parse_coords(const char *s, size_t maxp, struct points *p, char *err, size_t errlen)
{
    size_t n = 1;
    for (const char *c = s; *c; c++)
        n += *c == ';';
    if (n > maxp) {
        snprintf(err, errlen, "coords: too many points (%zu, at most %zu; POST larger batches "
                 "up to that limit or split them)", n, maxp);
        return -1;
    }
    if (!points_alloc(p, n)) {
        snprintf(err, errlen, "out of memory");
        return -2;
    }
    for (const char *c = s;; p->n++) {
        const char *end = strchr(c, ';');
        size_t len = end ? (size_t)(end - c) : strlen(c);
        char why[160];
        if (parse_pair(c, len, ',', &p->x[p->n], &p->y[p->n], why, sizeof why)) {
            snprintf(err, errlen, "coords: point %zu: %s (expected x,y;x,y;... e.g. "
                     "coords=2.35,48.85;5.37,43.3)", p->n + 1, why);
            return -1;
        }
        if (!end)
            break;
        c = end + 1;
    }
    p->n++;
    return 0;
}

/* ---- JSON body ---- */

/* Upper bound on the values in a JSON text: commas outside strings, plus one. Lets a
 * body with too many points be refused before jansson allocates a node per number. */
static size_t json_value_bound(const char *s, size_t len)
{
    size_t commas = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        if (in_string) {
            if (s[i] == '\\')
                i++;
            else if (s[i] == '"')
                in_string = false;
        } else if (s[i] == '"') {
            in_string = true;
        } else {
            commas += s[i] == ',';
        }
    }
    return commas + 1;
}

static int parse_json_body(const struct request *req, size_t maxp, struct points *p, char *err,
                           size_t errlen)
{
    /* Two numbers per point, plus a few values for other members of an object. */
    if (json_value_bound(req->body, req->body_len) > 2 * maxp + 16) {
        snprintf(err, errlen, "body: too many points (at most %zu)", maxp);
        return -1;
    }
    json_error_t jerr;
    json_t *root = json_loadb(req->body, req->body_len, 0, &jerr);
    if (!root) {
        snprintf(err, errlen, "body: invalid JSON at line %d column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        return -1;
    }
    json_t *arr = json_is_object(root) ? json_object_get(root, "coordinates") : root;
    int rc = -1;
    if (!json_is_array(arr)) {
        snprintf(err, errlen, "body: expected an array of [x,y] pairs or "
                 "{\"coordinates\": [[x,y],...]}");
    } else if (json_array_size(arr) > maxp) {
        snprintf(err, errlen, "body: too many points (%zu, at most %zu)", json_array_size(arr),
                 maxp);
    } else if (!points_alloc(p, json_array_size(arr))) {
        snprintf(err, errlen, "out of memory");
        rc = -2;
    } else {
        rc = 0;
        for (size_t i = 0; i < p->cap; i++) {
            json_t *pt = json_array_get(arr, i);
            if (!json_is_array(pt) || json_array_size(pt) != 2 ||
                !json_is_number(json_array_get(pt, 0)) || !json_is_number(json_array_get(pt, 1))) {
                snprintf(err, errlen, "body: point %zu must be [x, y], two numbers", i + 1);
                rc = -1;
                break;
            }
            p->x[i] = json_number_value(json_array_get(pt, 0));
            p->y[i] = json_number_value(json_array_get(pt, 1));
            p->n++;
        }
    }
    json_decref(root);
    return rc;
}

static void write_json(struct response *res, const struct crs_info *from,
                       const struct crs_info *to, const struct points *p)
{
    res->status = 200;
    response_set_type(res, "application/json");
    buf_reset(&res->body);
    buf_printf(&res->body, "{\"from\":\"%s\",\"to\":\"%s\",\"coordinates\":[", from->code,
               to->code);
    for (size_t i = 0; i < p->n; i++) {
        buf_puts(&res->body, i ? ",[" : "[");
        put_number(&res->body, to, p->x[i]);
        buf_putc(&res->body, ',');
        put_number(&res->body, to, p->y[i]);
        buf_putc(&res->body, ']');
    }
    buf_puts(&res->body, "]}");
}

/* ---- CSV body ----
 * Records end at LF or CRLF outside quotes; fields are RFC 4180 (quoted fields may hold
 * the separator, "" and line breaks). The separator is ';' if the first record has one
 * outside quotes, else ','. A UTF-8 BOM is dropped; blank lines are skipped.
 * The first record is a header unless its first two fields are numbers. A header
 * must name the pair: x|lon|lng|long|longitude|easting and y|lat|latitude|northing
 * (any case); without a header the pair is the first two fields.
 * The answer keeps every record and every other field byte for byte, with the pair
 * replaced by the transformed numbers (unquoted, '.' decimal point), the header's pair
 * renamed lon,lat (geographic target) or x,y (projected target), and the line ending
 * of the first record. Decimal commas are refused with a hint. */

struct span {
    size_t start, end; /* [start, end) in the body, quotes included */
};

struct csv_row {
    struct span rec, xs, ys;
    size_t line;
};

#define CSV_MAX_PAIR_COL 64 /* the x,y columns must be among the first 64 */

struct csv {
    const char *s;
    size_t len, pos, line;
    char sep;
};

/* Reads one record at c->pos: fields (the first CSV_MAX_PAIR_COL) into f, their total
 * count into *nf, its span into *rec. Returns 0, 1 at the end, -1 on an open quote. */
static int csv_record(struct csv *c, struct span *f, size_t *nf, struct span *rec)
{
    if (c->pos >= c->len)
        return 1;
    rec->start = c->pos;
    *nf = 0;
    for (;;) {
        size_t start = c->pos;
        if (c->pos < c->len && c->s[c->pos] == '"') {
            for (c->pos++;; c->pos++) {
                if (c->pos >= c->len)
                    return -1;
                if (c->s[c->pos] == '\n')
                    c->line++;
                if (c->s[c->pos] == '"') {
                    if (c->pos + 1 < c->len && c->s[c->pos + 1] == '"')
                        c->pos++;
                    else
                        break;
                }
            }
            c->pos++;
        }
        while (c->pos < c->len && c->s[c->pos] != c->sep && c->s[c->pos] != '\n')
            c->pos++;
        size_t end = c->pos;
        if (end > start && (c->pos >= c->len || c->s[c->pos] == '\n') && c->s[end - 1] == '\r')
            end--;
        if (*nf < CSV_MAX_PAIR_COL)
            f[*nf] = (struct span){start, end};
        (*nf)++;
        if (c->pos >= c->len || c->s[c->pos] == '\n') {
            rec->end = end;
            if (c->pos < c->len)
                c->pos++, c->line++;
            return 0;
        }
        c->pos++; /* separator */
    }
}

static bool name_is(const char *s, struct span f, const char *const *names)
{
    while (f.start < f.end && (s[f.start] == ' ' || s[f.start] == '"'))
        f.start++;
    while (f.end > f.start && (s[f.end - 1] == ' ' || s[f.end - 1] == '"'))
        f.end--;
    for (; *names; names++)
        if (strlen(*names) == f.end - f.start && !strncasecmp(s + f.start, *names, f.end - f.start))
            return true;
    return false;
}

/* The number in field f, quotes removed. */
static const char *field_number(const char *s, struct span f, double *out)
{
    if (f.end - f.start >= 2 && s[f.start] == '"' && s[f.end - 1] == '"')
        f.start++, f.end--;
    return parse_number(s + f.start, f.end - f.start, out);
}

static int csv_field_error(char *err, size_t errlen, const struct csv *c, size_t line,
                           const char *axis, struct span f, const char *why)
{
    char shown[64];
    quote_text(shown, sizeof shown, c->s + f.start, f.end - f.start);
    bool comma = c->sep == ';' && memchr(c->s + f.start, ',', f.end - f.start);
    snprintf(err, errlen, "body: line %zu: %s %s %s%s", line, axis, shown, why,
             comma ? " (the decimal separator is '.')" : "");
    return -1;
}

static int parse_csv(const struct request *req, size_t maxp, struct points *p,
                     struct csv_row **rows_out, struct csv_row *header, char *err, size_t errlen)
{
    struct csv c = {req->body, req->body_len, 0, 1, ','};
    if (c.len >= 3 && !memcmp(c.s, "\xEF\xBB\xBF", 3))
        c.pos = 3;
    size_t lines = 1;
    for (size_t i = 0; i < c.len; i++)
        lines += c.s[i] == '\n';
    size_t cap = lines < maxp + 1 ? lines : maxp + 1; /* records are at most lines */
    struct csv_row *rows = malloc(cap * sizeof *rows);
    *rows_out = rows;
    if (!rows || !points_alloc(p, cap)) {
        snprintf(err, errlen, "out of memory");
        return -2;
    }
    struct span f[CSV_MAX_PAIR_COL], rec;
    size_t nf, xi = 0, yi = 1;
    bool first = true;
    header->line = 0;
    for (;;) {
        size_t line = c.line;
        if (first) { /* separator from the first record */
            for (size_t i = c.pos, q = 0; i < c.len && (q || c.s[i] != '\n'); i++) {
                q ^= c.s[i] == '"';
                if (!q && c.s[i] == ';') {
                    c.sep = ';';
                    break;
                }
            }
        }
        int r = csv_record(&c, f, &nf, &rec);
        if (r == 1)
            break;
        if (r < 0) {
            snprintf(err, errlen, "body: line %zu: a quoted field is not closed", line);
            return -1;
        }
        if (rec.end == rec.start && nf == 1)
            continue; /* blank line */
        double x, y;
        if (first) {
            first = false;
            if (nf < 2 || field_number(c.s, f[0], &x) || field_number(c.s, f[1], &y)) {
                static const char *const xn[] = {"x", "lon", "lng", "long", "longitude", "easting", NULL};
                static const char *const yn[] = {"y", "lat", "latitude", "northing", NULL};
                xi = yi = SIZE_MAX;
                for (size_t i = 0; i < nf && i < CSV_MAX_PAIR_COL; i++) {
                    if (xi == SIZE_MAX && name_is(c.s, f[i], xn))
                        xi = i;
                    else if (yi == SIZE_MAX && name_is(c.s, f[i], yn))
                        yi = i;
                }
                if (xi == SIZE_MAX || yi == SIZE_MAX) {
                    snprintf(err, errlen, "body: line %zu: neither two numbers nor a header "
                             "naming the columns (x,y / lon,lat / longitude,latitude / "
                             "easting,northing)", line);
                    return -1;
                }
                *header = (struct csv_row){rec, f[xi], f[yi], line};
                continue;
            }
        }
        size_t need = (xi > yi ? xi : yi) + 1;
        if (nf < need) {
            snprintf(err, errlen, "body: line %zu: %zu field%s, expected at least %zu", line, nf,
                     nf == 1 ? "" : "s", need);
            return -1;
        }
        if (p->n == maxp) {
            snprintf(err, errlen, "body: too many points (more than %zu)", maxp);
            return -1;
        }
        const char *why;
        if ((why = field_number(c.s, f[xi], &x)))
            return csv_field_error(err, errlen, &c, line, "x", f[xi], why);
        if ((why = field_number(c.s, f[yi], &y)))
            return csv_field_error(err, errlen, &c, line, "y", f[yi], why);
        rows[p->n] = (struct csv_row){rec, f[xi], f[yi], line};
        p->x[p->n] = x;
        p->y[p->n] = y;
        p->n++;
    }
    return 0;
}

/* Emits row r with its pair replaced by the texts/numbers given. */
static void csv_emit(struct buf *b, const char *s, const struct csv_row *r, const char *xt,
                     const char *yt, const struct crs_info *crs, double x, double y)
{
    const struct span *sp[2] = {&r->xs, &r->ys};
    bool swap = r->ys.start < r->xs.start;
    size_t at = r->rec.start;
    for (int k = 0; k < 2; k++) {
        int which = swap ? 1 - k : k;
        buf_append(b, s + at, sp[which]->start - at);
        if (xt)
            buf_puts(b, which ? yt : xt);
        else
            put_number(b, crs, which ? y : x);
        at = sp[which]->end;
    }
    buf_append(b, s + at, r->rec.end - at);
}

static void write_csv(struct response *res, const struct request *req, const struct crs_info *to,
                      const struct csv_row *header, const struct csv_row *rows,
                      const struct points *p)
{
    const char *s = req->body;
    const char *nl = memchr(s, '\n', req->body_len);
    const char *eol = nl && nl > s && nl[-1] == '\r' ? "\r\n" : "\n";
    res->status = 200;
    response_set_type(res, "text/csv; charset=utf-8");
    buf_reset(&res->body);
    if (header->line) {
        bool geo = to->geographic;
        csv_emit(&res->body, s, header, geo ? "lon" : "x", geo ? "lat" : "y", to, 0, 0);
        buf_puts(&res->body, eol);
    }
    for (size_t i = 0; i < p->n; i++) {
        csv_emit(&res->body, s, &rows[i], NULL, NULL, to, p->x[i], p->y[i]);
        buf_puts(&res->body, eol);
    }
}

/* ---- the handler ---- */

static const struct crs_info *crs_param(const struct request *req, struct response *res,
                                        const char *name, const char *example)
{
    const char *text = request_param(req, name);
    char err[512];
    if (!text || !*text) {
        response_error(res, 400, "%s: missing; give a CRS, e.g. %s=%s (supported: %s)", name,
                       name, example, crs_supported_list());
        return NULL;
    }
    const struct crs_info *crs = crs_lookup(text, err, sizeof err);
    if (!crs)
        response_error(res, 400, "%s: %s", name, err);
    return crs;
}

void handle_reproject(struct request *req, struct response *res)
{
    const char *method = req->method ? req->method : "GET";
    bool post = !strcmp(method, "POST");
    if (!post && strcmp(method, "GET") && strcmp(method, "HEAD")) {
        response_set_header(res, "Allow", "GET, POST");
        response_error(res, 405, "method %s not allowed on /reproject; use GET or POST", method);
        return;
    }
    const struct crs_info *from = crs_param(req, res, "from", "EPSG:4326");
    if (!from)
        return;
    const struct crs_info *to = crs_param(req, res, "to", "EPSG:2154");
    if (!to)
        return;

    size_t maxp = max_points(req);
    struct points p = {0};
    struct csv_row *rows = NULL, header = {0};
    bool csv = false;
    char err[768] = "";
    int rc;
    if (!post) {
        const char *coords = request_param(req, "coords");
        if (!coords) {
            response_error(res, 400, "coords: missing; give x,y pairs separated by ';', "
                           "e.g. coords=2.35,48.85;5.37,43.3");
            return;
        }
        rc = parse_coords(coords, maxp, &p, err, sizeof err);
    } else {
        char ct[96];
        request_content_type(req, ct, sizeof ct);
        csv = !strcmp(ct, "text/csv");
        if (!csv && *ct && strcmp(ct, "application/json")) {
            response_error(res, 400, "Content-Type: '%s' is not supported; send "
                           "application/json or text/csv", ct);
            return;
        }
        if (!req->body || req->body_len == 0) {
            response_error(res, 400, "body: empty; POST [[x,y],...] as application/json or "
                           "CSV as text/csv (or GET with coords=)");
            return;
        }
        rc = csv ? parse_csv(req, maxp, &p, &rows, &header, err, sizeof err)
                 : parse_json_body(req, maxp, &p, err, sizeof err);
    }
    if (rc == 0) {
        size_t bad;
        char why[512];
        int r = reproject_points(from, to, p.x, p.y, p.n, &bad, why, sizeof why);
        if (r == REPROJECT_BAD_POINT && csv)
            snprintf(err, sizeof err, "body: line %zu: %s", rows[bad].line, why);
        else if (r == REPROJECT_BAD_POINT)
            snprintf(err, sizeof err, "%s: %s", post ? "body" : "coords", why);
        else if (r != REPROJECT_OK)
            snprintf(err, sizeof err, "%s", why);
        rc = r == REPROJECT_OK ? 0 : r == REPROJECT_BAD_POINT ? -1 : -2;
    }
    if (rc == -1)
        response_error(res, 400, "%s", err);
    else if (rc < 0)
        response_error(res, 500, "reprojection failed: %s", err);
    else if (csv)
        write_csv(res, req, to, &header, rows, &p);
    else
        write_json(res, from, to, &p);
    if (rc == 0 && res->body.overflow)
        response_error(res, 500, "the answer is too large");
    points_free(&p);
    free(rows);
}
