#include "ogc/ogc_geojson.h"

#include "util/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ogc_writer_init(struct ogc_writer *w, struct buf *out, const struct crs_info *crs)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->crs = crs;
    w->project = crs && !crs->geographic;
    w->lat_first = crs && crs->geographic && crs->epsg != 0;
}

static void fail(struct ogc_writer *w, const char *msg)
{
    if (!w->failed)
        snprintf(w->error, sizeof w->error, "%s", msg);
    w->failed = true;
}

static void put(struct ogc_writer *w, const char *s)
{
    if (!buf_puts(w->out, s))
        fail(w, "response too large: lower limit");
}

bool ogc_json_string(struct buf *out, const char *s)
{
    if (!utf8_valid(s, strlen(s))) {
        json_t *j = json_string_lossy(s);
        char *text = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
        bool ok = text && buf_puts(out, text);
        free(text);
        json_decref(j);
        return ok;
    }
    static const char hex[] = "0123456789abcdef";
    bool ok = buf_putc(out, '"');
    const char *run = s;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        ok = ok && buf_append(out, run, (size_t)(p - run));
        char esc[7] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        ok = ok && buf_append(out, esc, n);
        run = p + 1;
    }
    ok = ok && buf_puts(out, run) && buf_putc(out, '"');
    return ok;
}

void ogc_feature_begin_int(struct ogc_writer *w, int64_t id)
{
    if (!buf_printf(w->out, "{\"type\":\"Feature\",\"id\":%lld,", (long long)id))
        fail(w, "response too large: lower limit");
}

void ogc_feature_begin_str(struct ogc_writer *w, const char *id)
{
    put(w, "{\"type\":\"Feature\",\"id\":");
    if (!ogc_json_string(w->out, id))
        fail(w, "response too large: lower limit");
    put(w, ",");
}

/* v with `decimals` digits after the point, trailing zeros dropped ("2.3554835", "-61.5",
 * "652709.696"): integer arithmetic, since printf's %g costs microseconds per number
 * and a page of polygons holds millions. Degrees get 7 decimals (about 1 cm, the
 * precision the platform stores), metres 3 (1 mm). */
static size_t format_coord(char *out, double v, int decimals)
{
    static const double scale[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
    if (!isfinite(v) || fabs(v) > 9e9)
        return (size_t)snprintf(out, 32, "%.*f", decimals, isfinite(v) ? v : 0.0);
    char *p = out;
    double scaled = fabs(v) * scale[decimals];
    uint64_t n = (uint64_t)llround(scaled);
    uint64_t unit = (uint64_t)scale[decimals];
    uint64_t whole = n / unit, frac = n % unit;
    if (v < 0 && n)
        *p++ = '-';
    char digits[24];
    int k = 0;
    do {
        digits[k++] = (char)('0' + whole % 10);
        whole /= 10;
    } while (whole);
    while (k)
        *p++ = digits[--k];
    if (frac) {
        *p++ = '.';
        for (int i = decimals - 1; i >= 0; i--) {
            digits[i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        int len = decimals;
        while (len > 0 && digits[len - 1] == '0')
            len--;
        memcpy(p, digits, (size_t)len);
        p += len;
    }
    return (size_t)(p - out);
}

/* One position in the output CRS and axis order. */
static void position(struct ogc_writer *w, double x, double y)
{
    if (w->project) {
        char err[160];
        if (reproject_points_flags(crs_lookup("OGC:CRS84", NULL, 0), w->crs, &x, &y, 1, REPROJECT_NO_AREA_CHECK, NULL, err, sizeof err)) {
            fail(w, err);
            return;
        }
    }
    if (w->lat_first) {
        double t = x;
        x = y;
        y = t;
    }
    char text[80];
    int decimals = w->project ? 3 : 7;
    size_t n = 0;
    text[n++] = '[';
    n += format_coord(text + n, x, decimals);
    text[n++] = ',';
    n += format_coord(text + n, y, decimals);
    text[n++] = ']';
    if (!buf_append(w->out, text, n))
        fail(w, "response too large: lower limit");
}

void ogc_geometry_point(struct ogc_writer *w, double lon, double lat)
{
    put(w, "\"geometry\":{\"type\":\"Point\",\"coordinates\":");
    position(w, lon, lat);
    put(w, "},");
}

void ogc_multipolygon_begin(struct ogc_writer *w)
{
    put(w, "\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":[");
}

void ogc_polygon_begin(struct ogc_writer *w, bool first) { put(w, first ? "[" : ",["); }

void ogc_ring(struct ogc_writer *w, double *xy, size_t n, bool first)
{
    put(w, first ? "[" : ",[");
    for (size_t i = 0; i < n && !w->failed; i++) {
        if (i)
            put(w, ",");
        position(w, xy[2 * i], xy[2 * i + 1]);
    }
    put(w, "]");
}

void ogc_polygon_end(struct ogc_writer *w) { put(w, "]"); }
void ogc_multipolygon_end(struct ogc_writer *w) { put(w, "]},"); }

void ogc_properties_begin(struct ogc_writer *w)
{
    put(w, "\"properties\":{");
    w->first_prop = true;
}

void ogc_properties_end(struct ogc_writer *w) { put(w, "}"); }
void ogc_feature_end(struct ogc_writer *w) { put(w, "}"); }

static bool wanted(const struct ogc_writer *w, const char *key)
{
    if (!w->n_selected)
        return true;
    for (size_t i = 0; i < w->n_selected; i++)
        if (!strcmp(w->selected[i], key))
            return true;
    return false;
}

/* `"key":` after a comma when needed; false when the key is not selected. */
static bool key(struct ogc_writer *w, const char *k)
{
    if (!wanted(w, k))
        return false;
    if (!w->first_prop)
        put(w, ",");
    w->first_prop = false;
    if (!ogc_json_string(w->out, k))
        fail(w, "response too large: lower limit");
    put(w, ":");
    return true;
}

static void sink_string(void *ctx, const char *k, const char *value)
{
    struct ogc_writer *w = ctx;
    if (key(w, k) && !ogc_json_string(w->out, value))
        fail(w, "response too large: lower limit");
}

static void sink_int(void *ctx, const char *k, int64_t value)
{
    struct ogc_writer *w = ctx;
    if (key(w, k) && !buf_printf(w->out, "%lld", (long long)value))
        fail(w, "response too large: lower limit");
}

static void sink_bool(void *ctx, const char *k, bool value)
{
    struct ogc_writer *w = ctx;
    if (key(w, k))
        put(w, value ? "true" : "false");
}

struct prop_sink ogc_prop_sink(struct ogc_writer *w)
{
    return (struct prop_sink){.ctx = w, .add_string = sink_string, .add_int = sink_int, .add_bool = sink_bool};
}
