#include "wms/wms_request.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const wms_map_formats[2] = {"image/png", "image/jpeg"};
const char *const wms_info_formats[4] = {"text/html", "application/json", "application/vnd.ogc.gml", "text/plain"};

__attribute__((format(printf, 4, 5))) static int fail(struct wms_error *e, const char *code, const char *locator,
                                                      const char *fmt, ...)
{
    e->code = code;
    e->locator = locator;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *param(const struct request *req, const char *name)
{
    return request_param_ci(req, name);
}

/* Client text echoed in a message: cut short (the XML writer escapes it). */
static const char *shorten(const char *s, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s", s);
    if (strlen(s) >= outlen && outlen > 4)
        memcpy(out + outlen - 4, "...", 4);
    return out;
}

int wms_parse_operation(const struct request *req, enum wms_operation *op, struct wms_error *e)
{
    static const struct {
        const char *name;
        enum wms_operation op;
    } ops[] = {{"GetCapabilities", WMS_GET_CAPABILITIES}, {"capabilities", WMS_GET_CAPABILITIES},
               {"GetMap", WMS_GET_MAP}, {"map", WMS_GET_MAP}, {"GetFeatureInfo", WMS_GET_FEATURE_INFO},
               {"feature_info", WMS_GET_FEATURE_INFO}, {"GetLegendGraphic", WMS_GET_LEGEND_GRAPHIC}};
    const char *value = param(req, "REQUEST");
    if (!value || !*value)
        return fail(e, "MissingParameterValue", "REQUEST", "REQUEST is required (GetCapabilities, GetMap, "
                                                          "GetFeatureInfo or GetLegendGraphic)");
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (!strcasecmp(value, ops[i].name)) {
            *op = ops[i].op;
            return 0;
        }
    char shown[64];
    return fail(e, "OperationNotSupported", "REQUEST", "REQUEST '%s' is not supported", shorten(value, shown, sizeof shown));
}

/* "1.3.0" -> 10300; -1 when not three dot-separated numbers. */
static long version_number(const char *v)
{
    long parts[3];
    for (int i = 0; i < 3; i++) {
        if (!isdigit((unsigned char)*v))
            return -1;
        char *end;
        errno = 0;
        parts[i] = strtol(v, &end, 10);
        if (errno || parts[i] > 99)
            return -1;
        v = end;
        if (i < 2 && *v++ != '.')
            return -1;
    }
    return *v ? -1 : parts[0] * 10000 + parts[1] * 100 + parts[2];
}

enum wms_version wms_negotiate_version(const struct request *req)
{
    const char *v = param(req, "VERSION");
    if (!v)
        v = param(req, "WMTVER");
    long n = v ? version_number(v) : -1;
    return n >= 0 && n < 10300 ? WMS_1_1_1 : WMS_1_3_0;
}

int wms_parse_version(const struct request *req, enum wms_version *out, struct wms_error *e)
{
    const char *v = param(req, "VERSION");
    if (!v)
        v = param(req, "WMTVER");
    if (!v || !*v)
        return fail(e, "MissingParameterValue", "VERSION", "VERSION is required (1.1.1 or 1.3.0)");
    if (!strcmp(v, "1.3.0"))
        *out = WMS_1_3_0;
    else if (!strcmp(v, "1.1.1") || !strcmp(v, "1.1.0"))
        *out = WMS_1_1_1;
    else {
        char shown[32];
        return fail(e, NULL, "VERSION", "VERSION '%s' is not supported (1.1.1 or 1.3.0)", shorten(v, shown, sizeof shown));
    }
    return 0;
}

enum wms_exceptions wms_parse_exceptions(const struct request *req)
{
    const char *v = param(req, "EXCEPTIONS");
    if (!v)
        return WMS_EXC_XML;
    if (!strcasecmp(v, "INIMAGE") || !strcasecmp(v, "application/vnd.ogc.se_inimage"))
        return WMS_EXC_INIMAGE;
    if (!strcasecmp(v, "BLANK") || !strcasecmp(v, "application/vnd.ogc.se_blank"))
        return WMS_EXC_BLANK;
    return WMS_EXC_XML;
}

static bool parse_color(const char *v, uint32_t *out)
{
    if (!strncasecmp(v, "0x", 2))
        v += 2;
    else if (*v == '#')
        v++;
    if (strlen(v) != 6)
        return false;
    for (int i = 0; i < 6; i++)
        if (!isxdigit((unsigned char)v[i]))
            return false;
    *out = (uint32_t)strtoul(v, NULL, 16);
    return true;
}

void wms_parse_background(const struct request *req, bool *transparent, uint32_t *bgcolor)
{
    const char *t = param(req, "TRANSPARENT"), *bg = param(req, "BGCOLOR");
    *transparent = t && !strcasecmp(t, "TRUE");
    if (!bg || !parse_color(bg, bgcolor))
        *bgcolor = 0xFFFFFF;
}

static bool parse_double(const char *s, size_t len, double *out)
{
    char tmp[64];
    if (len == 0 || len >= sizeof tmp)
        return false;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (end == tmp || *end || errno == ERANGE || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static int parse_int_param(const struct request *req, const char *name, long lo, long hi, int *out,
                           struct wms_error *e, bool required)
{
    const char *v = param(req, name);
    if (!v || !*v) {
        if (!required)
            return 1;
        return fail(e, "MissingParameterValue", name, "%s is required", name);
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    char shown[32];
    if (end == v || *end || errno)
        return fail(e, NULL, name, "%s must be an integer, not '%s'", name, shorten(v, shown, sizeof shown));
    if (n < lo || n > hi)
        return fail(e, NULL, name, "%s must be between %ld and %ld", name, lo, hi);
    *out = (int)n;
    return 0;
}

/* A comma list of layer names into out; LayerNotDefined for an unknown one. */
static int parse_layer_list(const char *value, const char *name, const struct wms_layer **out, size_t *n,
                            struct wms_error *e)
{
    *n = 0;
    if (!value || !*value)
        return fail(e, "MissingParameterValue", name, "%s is required", name);
    const char *p = value;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const struct wms_layer *l = wms_layer_lookup(p, len);
        if (!l) {
            char shown[64];
            snprintf(shown, sizeof shown, "%.*s", (int)(len < 60 ? len : 60), p);
            return fail(e, "LayerNotDefined", name, "layer '%s' is not defined", shown);
        }
        if (*n == WMS_MAX_LAYERS)
            return fail(e, NULL, name, "at most %d layers per request", WMS_MAX_LAYERS);
        out[(*n)++] = l;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

static int parse_styles(const struct request *req, struct wms_map_request *m, struct wms_error *e)
{
    const char *v = param(req, "STYLES");
    for (size_t i = 0; i < m->n_layers; i++)
        m->styles[i] = style_default();
    if (!v || !*v)
        return 0;
    size_t k = 0;
    const char *p = v;
    for (;; k++) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), p);
            const struct style_def *st = strcmp(name, "default") ? style_lookup(name) : style_default();
            if (!st || len >= 63)
                return fail(e, "StyleNotDefined", "STYLES", "style '%s' is not defined (light, high-contrast)", name);
            if (k >= m->n_layers)
                return fail(e, "StyleNotDefined", "STYLES", "STYLES has more entries than LAYERS");
            m->styles[k] = st;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    if (k + 1 != m->n_layers && k + 1 > 1)
        return fail(e, "StyleNotDefined", "STYLES", "STYLES must be empty or have one entry per layer");
    return 0;
}

static int parse_bbox(const char *v, bool swap, double bbox[4], struct wms_error *e)
{
    if (!v || !*v)
        return fail(e, "MissingParameterValue", "BBOX", "BBOX is required");
    const char *p = v;
    for (int i = 0; i < 4; i++) {
        const char *comma = strchr(p, ',');
        if ((i < 3) != (comma != NULL) || !parse_double(p, comma ? (size_t)(comma - p) : strlen(p), &bbox[i]))
            return fail(e, NULL, "BBOX", "BBOX must be four finite numbers minx,miny,maxx,maxy");
        p = comma ? comma + 1 : p;
    }
    if (bbox[0] >= bbox[2] || bbox[1] >= bbox[3])
        return fail(e, NULL, "BBOX", "BBOX minimum must be below maximum on both axes");
    if (swap) { /* EPSG:4326 in 1.3.0: minlat,minlon,maxlat,maxlon */
        double t = bbox[0];
        bbox[0] = bbox[1];
        bbox[1] = t;
        t = bbox[2];
        bbox[2] = bbox[3];
        bbox[3] = t;
    }
    return 0;
}

static int parse_common(const struct request *req, int max_width, int max_height, bool format_required,
                        struct wms_map_request *m, struct wms_error *e)
{
    memset(m, 0, sizeof *m);
    m->exceptions = wms_parse_exceptions(req);
    wms_parse_background(req, &m->transparent, &m->bgcolor);
    if (wms_parse_version(req, &m->version, e) < 0)
        return -1;
    const char *bg = param(req, "BGCOLOR");
    uint32_t ignored;
    if (bg && !parse_color(bg, &ignored))
        return fail(e, NULL, "BGCOLOR", "BGCOLOR must be 0xRRGGBB");
    if (parse_layer_list(param(req, "LAYERS"), "LAYERS", m->layers, &m->n_layers, e) < 0 ||
        parse_styles(req, m, e) < 0)
        return -1;
    bool v13 = m->version == WMS_1_3_0;
    const char *crs_key = v13 ? "CRS" : "SRS", *crs_code = v13 ? "InvalidCRS" : "InvalidSRS";
    const char *crs_text = param(req, crs_key);
    if (!crs_text)
        crs_text = param(req, v13 ? "SRS" : "CRS");
    if (!crs_text || !*crs_text)
        return fail(e, "MissingParameterValue", crs_key, "%s is required", crs_key);
    char err[300];
    m->crs = crs_lookup(crs_text, err, sizeof err);
    if (!m->crs)
        return fail(e, crs_code, crs_key, "%s", err);
    bool swap = v13 && m->crs->geographic && m->crs->epsg == 4326;
    if (parse_bbox(param(req, "BBOX"), swap, m->bbox, e) < 0 ||
        parse_int_param(req, "WIDTH", 1, max_width, &m->width, e, true) < 0 ||
        parse_int_param(req, "HEIGHT", 1, max_height, &m->height, e, true) < 0)
        return -1;
    const char *f = param(req, "FORMAT");
    if (!f || !*f) {
        if (format_required)
            return fail(e, "MissingParameterValue", "FORMAT", "FORMAT is required (image/png or image/jpeg)");
        m->format = WMS_FORMAT_PNG;
    } else if (!strncasecmp(f, "image/png", 9) && (f[9] == 0 || f[9] == ';'))
        m->format = WMS_FORMAT_PNG;
    else if (!strcasecmp(f, "image/jpeg") || !strcasecmp(f, "image/jpg"))
        m->format = WMS_FORMAT_JPEG;
    else if (format_required) {
        char shown[64];
        return fail(e, "InvalidFormat", "FORMAT", "FORMAT '%s' is not offered (image/png, image/jpeg)",
                    shorten(f, shown, sizeof shown));
    }
    return 0;
}

int wms_parse_map(const struct request *req, int max_width, int max_height, struct wms_map_request *m,
                  struct wms_error *e)
{
    return parse_common(req, max_width, max_height, true, m, e);
}

int wms_parse_info(const struct request *req, int max_width, int max_height, struct wms_info_request *q,
                   struct wms_error *e)
{
    memset(q, 0, sizeof *q);
    if (parse_common(req, max_width, max_height, false, &q->map, e) < 0)
        return -1;
    q->map.exceptions = WMS_EXC_XML; /* an info answer is never an image */
    if (parse_layer_list(param(req, "QUERY_LAYERS"), "QUERY_LAYERS", q->query_layers, &q->n_query_layers, e) < 0)
        return -1;
    for (size_t i = 0; i < q->n_query_layers; i++) {
        bool listed = false;
        for (size_t k = 0; k < q->map.n_layers; k++)
            listed |= q->map.layers[k] == q->query_layers[i];
        if (!listed)
            return fail(e, "LayerNotDefined", "QUERY_LAYERS", "QUERY_LAYERS '%s' is not in LAYERS",
                        q->query_layers[i]->name);
    }
    const char *f = param(req, "INFO_FORMAT");
    q->info_format = WMS_INFO_HTML;
    if (f && *f) {
        size_t k = 0;
        while (k < 4 && strcasecmp(f, wms_info_formats[k]))
            k++;
        if (k == 4 && !strcasecmp(f, "application/geo+json"))
            k = WMS_INFO_JSON;
        if (k == 4 && (!strcasecmp(f, "gml") || !strcasecmp(f, "text/xml")))
            k = WMS_INFO_GML;
        if (k == 4) {
            char shown[64];
            return fail(e, "InvalidFormat", "INFO_FORMAT", "INFO_FORMAT '%s' is not offered (%s, %s, %s, %s)",
                        shorten(f, shown, sizeof shown), wms_info_formats[0], wms_info_formats[1],
                        wms_info_formats[2], wms_info_formats[3]);
        }
        q->info_format = (enum wms_info_format)k;
    }
    bool v13 = q->map.version == WMS_1_3_0;
    const char *ki = v13 ? "I" : "X", *kj = v13 ? "J" : "Y";
    if (!param(req, ki))
        ki = v13 ? "X" : "I";
    if (!param(req, kj))
        kj = v13 ? "Y" : "J";
    int rc;
    if ((rc = parse_int_param(req, ki, -1000000, 1000000, &q->i, e, true)) < 0 ||
        (rc = parse_int_param(req, kj, -1000000, 1000000, &q->j, e, true)) < 0) {
        if (e->code && !strcmp(e->code, "MissingParameterValue"))
            return -1;
        e->code = "InvalidPoint";
        return -1;
    }
    if (q->i < 0 || q->i >= q->map.width || q->j < 0 || q->j >= q->map.height)
        return fail(e, "InvalidPoint", v13 ? "I" : "X", "the point (%d, %d) is outside the %dx%d image", q->i,
                    q->j, q->map.width, q->map.height);
    q->feature_count = 1;
    if (parse_int_param(req, "FEATURE_COUNT", 1, 1000000, &q->feature_count, e, false) < 0)
        return -1;
    if (q->feature_count > WMS_MAX_FEATURE_COUNT)
        q->feature_count = WMS_MAX_FEATURE_COUNT;
    return 0;
}
