/* The CRS registry: what rbmap supports, how users may write it, where it is valid. */
#include "geo/proj.h"

#include <ctype.h>
#include <pthread.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bounds (W, S, E, N) are EPSG's, as projinfo 9.1.1 prints them (notes §3.2), with one
 * exception: EPSG's box for RGFG95 / UTM 22N (east of 54°W, north of 2.17°N) leaves
 * out parts of Guyane, which French law (decree 2006-272) maps in that CRS as a
 * whole: Saint-Laurent-du-Maroni (54.03°W) and the southern tip (2.11°N). The box is
 * widened to the territory (54.62°W, 2.10°N); transverse Mercator is still exact to
 * well below a millimetre of its formulas there. */
/* EPSG:4326 comes first: geo/proj.c reaches lon,lat through crs_at(0). */
static const struct crs_info registry[] = {
    {"EPSG:4326", 4326, "WGS 84", "World", "EPSG order is lat,lon; rbmap uses lon,lat",
     true, -180, -90, 180, 90},
    {"OGC:CRS84", 0, "WGS 84 (CRS84)", "World", "lon,lat (same as EPSG:4326 in rbmap)",
     true, -180, -90, 180, 90},
    {"EPSG:3857", 3857, "WGS 84 / Pseudo-Mercator", "World between 85.06°S and 85.06°N",
     "easting,northing", false, -180, -85.06, 180, 85.06},
    {"EPSG:2154", 2154, "RGF93 v1 / Lambert-93", "Metropolitan France including Corsica",
     "easting,northing", false, -9.86, 41.15, 10.38, 51.56},
    {"EPSG:2975", 2975, "RGR92 / UTM zone 40S", "La Réunion", "easting,northing", false,
     54, -24.72, 58.24, -18.28},
    {"EPSG:5490", 5490, "RGAF09 / UTM zone 20N",
     "Guadeloupe, Martinique, Saint-Barthélemy, Saint-Martin", "easting,northing", false,
     -63.66, 14.08, -60, 18.31},
    {"EPSG:2972", 2972, "RGFG95 / UTM zone 22N", "Guyane", "easting,northing", false,
     -54.62, 2.10, -49.45, 8.88},
    {"EPSG:4471", 4471, "RGM04 / UTM zone 38S", "Mayotte", "easting,northing", false,
     43.68, -14.49, 46.7, -11.33},
};

#define CRS_REGISTRY_SIZE (sizeof registry / sizeof registry[0])

/* Read from PROJ once per process; immutable afterwards, so readers need no lock. */
static double areas[CRS_REGISTRY_SIZE][4];
static pthread_once_t areas_once = PTHREAD_ONCE_INIT;
static char supported[256];
static pthread_once_t supported_once = PTHREAD_ONCE_INIT;

size_t crs_count(void) { return CRS_REGISTRY_SIZE; }

const struct crs_info *crs_at(size_t i) { return i < CRS_REGISTRY_SIZE ? &registry[i] : NULL; }

size_t crs_index(const struct crs_info *crs) { return (size_t)(crs - registry); }

static void build_supported(void)
{
    size_t len = 0;
    for (size_t i = 0; i < CRS_REGISTRY_SIZE && len < sizeof supported; i++)
        len += (size_t)snprintf(supported + len, sizeof supported - len, "%s%s",
                                i ? ", " : "", registry[i].code);
}

const char *crs_supported_list(void)
{
    pthread_once(&supported_once, build_supported);
    return supported;
}

static bool starts_with_ci(const char *s, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncasecmp(s, prefix, n))
        return false;
    *rest = s + n;
    return true;
}

/* All digits, 1..6 of them, no sign or space: "2154". */
static int parse_code(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 6)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return -1;
    return atoi(s);
}

static const struct crs_info *by_epsg(int code)
{
    for (size_t i = 0; i < CRS_REGISTRY_SIZE; i++)
        if (registry[i].epsg == code && code > 0)
            return &registry[i];
    return NULL;
}

static const struct crs_info *lookup(const char *s)
{
    const char *rest;
    /* The OGC URI prefixes (OGC API Features "crs=", WMS 1.3.0 "CRS="). */
    if (starts_with_ci(s, "http://www.opengis.net/def/crs/", &rest) ||
        starts_with_ci(s, "https://www.opengis.net/def/crs/", &rest)) {
        if (starts_with_ci(rest, "EPSG/0/", &rest))
            return by_epsg(parse_code(rest));
        if (!strcasecmp(rest, "OGC/1.3/CRS84") || !strcasecmp(rest, "OGC/0/CRS84"))
            return &registry[1];
        return NULL;
    }
    if (starts_with_ci(s, "urn:ogc:def:crs:EPSG:", &rest)) {
        const char *colon = strrchr(rest, ':'); /* after the version: "EPSG::2154", "EPSG:9.1:2154" */
        return colon ? by_epsg(parse_code(colon + 1)) : NULL;
    }
    if (!strcasecmp(s, "urn:ogc:def:crs:OGC:1.3:CRS84") || !strcasecmp(s, "urn:ogc:def:crs:OGC::CRS84"))
        return &registry[1];
    if (!strcasecmp(s, "CRS:84") || !strcasecmp(s, "OGC:CRS84") || !strcasecmp(s, "CRS84"))
        return &registry[1];
    if (starts_with_ci(s, "EPSG:", &rest))
        return by_epsg(parse_code(rest));
    return by_epsg(parse_code(s));
}

const struct crs_info *crs_lookup(const char *text, char *err, size_t errlen)
{
    const struct crs_info *crs = text ? lookup(text) : NULL;
    if (!crs && err && errlen) {
        if (!text || !*text)
            snprintf(err, errlen, "empty CRS; supported: %s", crs_supported_list());
        else
            snprintf(err, errlen, "unsupported CRS '%.80s%s'; supported: %s", text,
                     strlen(text) > 80 ? "..." : "", crs_supported_list());
    }
    return crs;
}

static void load_areas(void)
{
    PJ_CONTEXT *ctx = proj_context_create();
    if (ctx) {
        proj_context_set_enable_network(ctx, 0);
        proj_log_level(ctx, PJ_LOG_NONE);
    }
    for (size_t i = 0; i < CRS_REGISTRY_SIZE; i++) {
        const struct crs_info *c = &registry[i];
        double w = c->west, s = c->south, e = c->east, n = c->north;
        PJ *pj = ctx ? proj_create(ctx, c->code) : NULL;
        if (pj && proj_get_area_of_use(ctx, pj, &w, &s, &e, &n, NULL)) {
            /* The table may only widen PROJ's area (see the Guyane note above). */
            if (c->west < w) w = c->west;
            if (c->south < s) s = c->south;
            if (c->east > e) e = c->east;
            if (c->north > n) n = c->north;
        }
        areas[i][0] = w, areas[i][1] = s, areas[i][2] = e, areas[i][3] = n;
        if (pj)
            proj_destroy(pj);
    }
    if (ctx)
        proj_context_destroy(ctx);
}

void crs_area_of_use(const struct crs_info *crs, double *west, double *south,
                     double *east, double *north)
{
    pthread_once(&areas_once, load_areas);
    const double *a = areas[crs_index(crs)];
    *west = a[0], *south = a[1], *east = a[2], *north = a[3];
}
