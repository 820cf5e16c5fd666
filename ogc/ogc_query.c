#include "ogc/ogc_query.h"

#include "ogc/ogc_datetime.h"

#include "db/site_store.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool ogc_param_allowed(const char *name, const char *const *allowed)
{
    if (!strcmp(name, "access_token"))
        return true;
    for (size_t i = 0; allowed[i]; i++)
        if (!strcmp(allowed[i], name))
            return true;
    return false;
}

int ogc_check_params(const struct request *req, const char *const *allowed, struct response *res)
{
    for (size_t i = 0; i < req->n_params; i++) {
        const char *name = req->params[i].key;
        if (!ogc_param_allowed(name, allowed)) {
            char list[512] = "";
            size_t len = 0;
            for (size_t k = 0; allowed[k] && len < sizeof list - 64; k++)
                len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", k ? ", " : "", allowed[k]);
            response_error(res, 400, "unknown parameter '%.60s'; this endpoint accepts: %s", name, list);
            return -1;
        }
        for (size_t k = 0; k < i; k++)
            if (!strcmp(req->params[k].key, name)) {
                response_error(res, 400, "parameter '%.60s' given more than once", name);
                return -1;
            }
    }
    return 0;
}

void ogc_crs_uri(const struct crs_info *crs, char *out, size_t outlen)
{
    if (!crs || !crs->epsg)
        snprintf(out, outlen, "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
    else
        snprintf(out, outlen, "http://www.opengis.net/def/crs/EPSG/0/%d", crs->epsg);
}

int ogc_parse_crs(const struct request *req, const char *name, const struct crs_info **out, struct response *res)
{
    const char *text = request_param(req, name);
    *out = crs_lookup("OGC:CRS84", NULL, 0);
    if (!text)
        return 0;
    char err[400];
    const struct crs_info *crs = crs_lookup(text, err, sizeof err);
    if (!crs) {
        response_error(res, 400, "%s: %s (as URIs: http://www.opengis.net/def/crs/EPSG/0/<code> or "
                                 "http://www.opengis.net/def/crs/OGC/1.3/CRS84)", name, err);
        return -1;
    }
    *out = crs;
    return 0;
}

static int parse_long(const char *text, long min, long *out)
{
    char *end;
    errno = 0;
    if (!text || !isdigit((unsigned char)*text))
        return -1;
    long v = strtol(text, &end, 10);
    if (*end || (errno && errno != ERANGE) || v < min)
        return -1;
    *out = errno == ERANGE ? LONG_MAX : v;
    return 0;
}

/* Densified box edges through PROJ: the lon/lat box covering a projected one. */
static int box_to_lonlat(const struct crs_info *from, const double b[4], struct ogc_lonlat_box *out, char *err,
                         size_t errlen)
{
    enum { STEPS = 16 };
    double x[4 * STEPS], y[4 * STEPS];
    for (int i = 0; i < STEPS; i++) {
        double t = (double)i / STEPS;
        x[i] = b[0] + t * (b[2] - b[0]), y[i] = b[1];
        x[STEPS + i] = b[2], y[STEPS + i] = b[1] + t * (b[3] - b[1]);
        x[2 * STEPS + i] = b[2] - t * (b[2] - b[0]), y[2 * STEPS + i] = b[3];
        x[3 * STEPS + i] = b[0], y[3 * STEPS + i] = b[3] - t * (b[3] - b[1]);
    }
    if (reproject_points_flags(from, crs_lookup("OGC:CRS84", NULL, 0), x, y, 4 * STEPS, REPROJECT_NO_AREA_CHECK,
                               NULL, err, errlen))
        return -1;
    out->minlon = out->minlat = INFINITY;
    out->maxlon = out->maxlat = -INFINITY;
    for (int i = 0; i < 4 * STEPS; i++) {
        out->minlon = fmin(out->minlon, x[i]), out->maxlon = fmax(out->maxlon, x[i]);
        out->minlat = fmin(out->minlat, y[i]), out->maxlat = fmax(out->maxlat, y[i]);
    }
    return 0;
}

static int parse_bbox(const char *text, struct ogc_query *q, struct response *res)
{
    double v[6];
    int n = 0;
    const char *p = text;
    while (n < 7) {
        char *end;
        errno = 0;
        double d = strtod(p, &end);
        if (end == p || errno == ERANGE || !isfinite(d))
            break;
        if (n < 6)
            v[n] = d;
        n++;
        if (*end == 0) {
            p = end;
            break;
        }
        if (*end != ',')
            break;
        p = end + 1;
    }
    if (*p || (p > text && p[-1] == ',') || (n != 4 && n != 6)) {
        response_error(res, 400, "bbox: expected 4 or 6 comma-separated finite numbers (minx,miny,maxx,maxy in "
                                 "bbox-crs, CRS84 lon,lat by default)");
        return -1;
    }
    double b[4] = {v[0], v[1], v[2], v[3]};
    if (n == 6)
        b[2] = v[3], b[3] = v[4];
    bool lat_first = q->bbox_crs->geographic && q->bbox_crs->epsg != 0;
    if (lat_first) {
        double t = b[0];
        b[0] = b[1], b[1] = t;
        t = b[2], b[2] = b[3], b[3] = t;
    }
    q->has_bbox = true;
    if (q->bbox_crs->geographic) {
        if (b[1] > b[3] || b[1] < -90 || b[3] > 90 || b[0] < -180 || b[0] > 180 || b[2] < -180 || b[2] > 180) {
            response_error(res, 400, "bbox: latitudes must be within -90..90 with min <= max, longitudes within "
                                     "-180..180 (%s order)", lat_first ? "lat,lon" : "lon,lat");
            return -1;
        }
        if (b[0] > b[2]) { /* across the antimeridian */
            q->boxes[0] = (struct ogc_lonlat_box){b[0], b[1], 180, b[3]};
            q->boxes[1] = (struct ogc_lonlat_box){-180, b[1], b[2], b[3]};
            q->n_boxes = 2;
        } else {
            q->boxes[0] = (struct ogc_lonlat_box){b[0], b[1], b[2], b[3]};
            q->n_boxes = 1;
        }
        return 0;
    }
    if (b[0] > b[2] || b[1] > b[3]) {
        response_error(res, 400, "bbox: min must not exceed max (easting,northing in %s)", q->bbox_crs->code);
        return -1;
    }
    char err[300];
    if (box_to_lonlat(q->bbox_crs, b, &q->boxes[0], err, sizeof err) < 0) {
        response_error(res, 400, "bbox: %s", err);
        return -1;
    }
    q->n_boxes = 1;
    return 0;
}

static int parse_list(const char *text, const char *what, char (*out)[64], size_t max, size_t *n,
                      struct response *res)
{
    *n = 0;
    const char *p = text;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (!len || len >= 64 || *n == max) {
            response_error(res, 400, "%s: expected a comma list of at most %zu property names", what, max);
            return -1;
        }
        memcpy(out[*n], p, len);
        out[*n][len] = 0;
        (*n)++;
        if (!p[len])
            return 0;
        p += len + 1;
    }
}

int ogc_parse_query(const struct request *req, long limit_default, long limit_max, int max_zoom,
                    struct ogc_query *q, struct response *res)
{
    memset(q, 0, sizeof(*q));
    q->limit = limit_default;
    q->zoom = -1;
    const char *text;
    if ((text = request_param(req, "limit"))) {
        if (parse_long(text, 1, &q->limit) < 0) {
            response_error(res, 400, "limit: expected an integer from 1 to %ld (larger values are clamped)",
                           limit_max);
            return -1;
        }
        if (q->limit > limit_max)
            q->limit = limit_max;
    }
    if ((text = request_param(req, "offset")) && (parse_long(text, 0, &q->offset) < 0 || q->offset > OGC_MAX_OFFSET)) {
        response_error(res, 400, "offset: expected an integer from 0 to %ld", OGC_MAX_OFFSET);
        return -1;
    }
    if (ogc_parse_crs(req, "crs", &q->crs, res) < 0 || ogc_parse_crs(req, "bbox-crs", &q->bbox_crs, res) < 0)
        return -1;
    if ((text = request_param(req, "bbox")) && parse_bbox(text, q, res) < 0)
        return -1;
    if ((text = request_param(req, "datetime")) && ogc_datetime_parse(text, &q->has_datetime, &q->datetime_is_instant,
                                                                         &q->dt_start, &q->dt_end) < 0) {
        response_error(res, 400, "datetime: expected an RFC 3339 date or date-time (2024-05-01, "
                                 "2024-05-01T12:00:00Z) or an interval start/end with '..' for an open end");
        return -1;
    }
    char props[64][64];
    if ((text = request_param(req, "properties"))) {
        if (parse_list(text, "properties", props, 64, &q->n_props, res) < 0)
            return -1;
        memcpy(q->props, props, sizeof props);
    }
    if ((text = request_param(req, "sortby"))) {
        size_t n;
        if (parse_list(text, "sortby", props, OGC_MAX_SORT_KEYS, &n, res) < 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            const char *name = props[i];
            q->sort[i].descending = *name == '-';
            if (*name == '-' || *name == '+' || *name == ' ') /* '+' arrives as ' ' when not encoded */
                name++;
            if (!*name) {
                response_error(res, 400, "sortby: expected [+|-]property,...");
                return -1;
            }
            snprintf(q->sort[i].name, sizeof q->sort[i].name, "%.63s", name);
        }
        q->n_sort = n;
    }
    if ((text = request_param(req, "zoom"))) {
        long z;
        if (parse_long(text, 0, &z) < 0 || z > max_zoom) {
            response_error(res, 400, "zoom: expected an integer from 0 to %d", max_zoom);
            return -1;
        }
        q->zoom = (int)z;
    }
    return 0;
}

bool ogc_bbox_has_point(const struct ogc_query *q, double lon, double lat)
{
    return ogc_bbox_meets_box(q, lon, lat, lon, lat);
}

bool ogc_bbox_meets_box(const struct ogc_query *q, double minlon, double minlat, double maxlon, double maxlat)
{
    if (!q->has_bbox)
        return true;
    for (size_t i = 0; i < q->n_boxes; i++) {
        const struct ogc_lonlat_box *b = &q->boxes[i];
        if (minlon <= b->maxlon && maxlon >= b->minlon && minlat <= b->maxlat && maxlat >= b->minlat)
            return true;
    }
    return false;
}
