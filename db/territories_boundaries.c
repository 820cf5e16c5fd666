/* Boundary files -> stage_poly, through OGR (see the header). */
#include "db/territories_boundaries.h"

#include "db/territories_stage.h"
#include "util/progress.h"

#include <ctype.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const level_names[LEVEL_COUNT] = {"region", "departement", "commune"};

const char *terr_level_name(enum terr_level level) { return level_names[level]; }

/* Field names of the shared GeoJSON (code, nom) and of IGN Admin Express (INSEE_*,
 * NOM*); OGR matches field names case-insensitively. */
static const char *const code_fields[LEVEL_COUNT][6] = {
    {"code", "INSEE_REG", "CODE_REG", "REG", NULL},
    {"code", "INSEE_DEP", "CODE_DEPT", "CODE_DEP", "DEP", NULL},
    {"code", "INSEE_COM", "INSEE_ARM", "CODE_INSEE", "COM", NULL},
};
static const char *const name_fields[] = {"nom", "NOM_M", "NOM_COM", "NOM_ARM", "NOM_DEP", "NOM_REG", "name", NULL};
/* Width of an INSEE code, to restore leading zeros when a file stores it as a number. */
static const int code_width[LEVEL_COUNT] = {2, 2, 5};

void boundaries_free(struct boundary_sources *src)
{
    for (int l = 0; l < LEVEL_COUNT; l++)
        for (int i = 0; i < src->n[l]; i++)
            free(src->files[l][i]);
    memset(src, 0, sizeof *src);
}

int boundaries_add_file(struct boundary_sources *src, enum terr_level level, const char *path, char *err,
                        size_t errlen)
{
    struct stat st;
    if (strncmp(path, "/vsi", 4) != 0 && stat(path, &st) != 0) {
        snprintf(err, errlen, "boundary file not found: %s", path);
        return -1;
    }
    if (src->n[level] == BOUNDARY_MAX_FILES) {
        snprintf(err, errlen, "too many %s boundary files (at most %d)", level_names[level], BOUNDARY_MAX_FILES);
        return -1;
    }
    char *copy = strdup(path);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    src->files[level][src->n[level]++] = copy;
    return 0;
}

/* Admin Express's ARRONDISSEMENT.shp holds arrondissements départementaux, which are
 * not communes: only the "_municipal" ones are. */
static int level_from_name(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char lower[256];
    size_t i;
    for (i = 0; base[i] && i + 1 < sizeof lower; i++)
        lower[i] = (char)tolower((unsigned char)base[i]);
    lower[i] = '\0';
    if (strstr(lower, "arrondissement_municipal") || strstr(lower, "commune"))
        return LEVEL_COMMUNE;
    if (strstr(lower, "departement"))
        return LEVEL_DEPARTEMENT;
    if (strstr(lower, "region"))
        return LEVEL_REGION;
    return -1;
}

int boundaries_add_path(struct boundary_sources *src, const struct boundary_sources *explicit_src,
                        const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "boundaries not found: %s", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        int level = level_from_name(path);
        if (level < 0) {
            snprintf(err, errlen,
                     "cannot tell which level %s holds from its name; use --regions-boundaries, "
                     "--departements-boundaries or --communes-boundaries",
                     path);
            return -1;
        }
        if (explicit_src->n[level])
            return 0;
        return boundaries_add_file(src, (enum terr_level)level, path, err, errlen);
    }
    static const char *const candidates[LEVEL_COUNT][4] = {
        {"regions.geojson", "regions.geojson.gz", "REGION.shp", NULL},
        {"departements.geojson", "departements.geojson.gz", "DEPARTEMENT.shp", NULL},
        {"communes.geojson", "communes.geojson.gz", "COMMUNE.shp", "ARRONDISSEMENT_MUNICIPAL.shp"},
    };
    int found = 0;
    for (int l = 0; l < LEVEL_COUNT; l++) {
        if (explicit_src->n[l])
            continue;
        for (int k = 0; k < 4 && candidates[l][k]; k++) {
            char file[4096];
            snprintf(file, sizeof file, "%s/%s", path, candidates[l][k]);
            if (stat(file, &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            /* communes.geojson and communes.geojson.gz are the same data twice. */
            if (k == 1 && src->n[l])
                continue;
            if (boundaries_add_file(src, (enum terr_level)l, file, err, errlen) < 0)
                return -1;
            found++;
        }
    }
    if (!found && !(explicit_src->n[0] && explicit_src->n[1] && explicit_src->n[2])) {
        snprintf(err, errlen, "no boundary file in %s (expected regions.geojson, departements.geojson, "
                 "communes.geojson[.gz] or Admin Express REGION.shp, DEPARTEMENT.shp, COMMUNE.shp)", path);
        return -1;
    }
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcasecmp(s + n - m, suffix);
}

/* Names only serve diagnostics, and a shapefile without its .cpg may hand over
 * Latin-1: such a name is dropped rather than failing the whole COPY. */
static int utf8_valid(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0 || (n == 1 && *p < 0xC2))
            return 0;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

static int find_field(OGRFeatureDefnH defn, const char *const *names)
{
    for (int i = 0; names[i]; i++) {
        int idx = OGR_FD_GetFieldIndex(defn, names[i]);
        if (idx >= 0)
            return idx;
    }
    return -1;
}

static void list_fields(OGRFeatureDefnH defn, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < OGR_FD_GetFieldCount(defn) && used + 1 < outlen; i++) {
        int n = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "",
                         OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (!out[0])
        snprintf(out, outlen, "none");
}

/* The transformation to lon/lat EPSG:4326, or NULL (in *ct) when the layer is
 * already there. Without a CRS the layer must at least look like degrees. */
static int layer_transform(OGRLayerH layer, const char *path, OGRCoordinateTransformationH *ct, char *err,
                           size_t errlen)
{
    *ct = NULL;
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
    if (!srs) {
        OGREnvelope env;
        if (OGR_L_GetExtent(layer, &env, 1) == OGRERR_NONE &&
            (env.MinX < -180.5 || env.MaxX > 180.5 || env.MinY < -90.5 || env.MaxY > 90.5)) {
            snprintf(err, errlen, "%s has no coordinate reference system (a shapefile without its .prj?) "
                     "and its coordinates are not longitude/latitude degrees", path);
            return -1;
        }
        return 0;
    }
    OGRSpatialReferenceH wgs84 = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(wgs84, 4326);
    /* Geometries are stored lon/lat whatever the EPSG axis order says. */
    OSRSetAxisMappingStrategy(wgs84, OAMS_TRADITIONAL_GIS_ORDER);
    int rc = 0;
    if (!OSRIsSame(srs, wgs84)) {
        *ct = OCTNewCoordinateTransformation(srs, wgs84);
        if (!*ct) {
            snprintf(err, errlen, "%s: cannot transform its coordinate system to EPSG:4326: %s", path,
                     CPLGetLastErrorMsg());
            rc = -1;
        }
    }
    OSRDestroySpatialReference(wgs84);
    return rc;
}

struct wkb_buf {
    unsigned char *data;
    size_t cap;
};

/* Turns the feature's geometry into a MultiPolygon EWKB (SRID 4326) in wb; returns its
 * size, or 0 when the feature has no usable polygon. Takes ownership of g. */
static size_t ewkb_multipolygon(OGRGeometryH g, OGRCoordinateTransformationH ct, struct wkb_buf *wb)
{
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if ((t != wkbPolygon && t != wkbMultiPolygon && t != wkbCurvePolygon && t != wkbMultiSurface) ||
        (ct && OGR_G_Transform(g, ct) != OGRERR_NONE)) {
        OGR_G_DestroyGeometry(g);
        return 0;
    }
    g = OGR_G_ForceToMultiPolygon(g);
    OGR_G_FlattenTo2D(g);
    int size = g ? OGR_G_WkbSize(g) : 0;
    size_t need = (size_t)(size > 0 ? size : 0) + 4;
    if (size < 9 || need > wb->cap) {
        unsigned char *p = size >= 9 ? realloc(wb->data, need) : NULL;
        if (!p) {
            OGR_G_DestroyGeometry(g);
            return 0;
        }
        wb->data = p;
        wb->cap = need;
    }
    /* ISO WKB (NDR) with room for the SRID that turns it into EWKB: byte order, then
     * the type with the SRID flag, then the SRID, then the body unchanged. */
    unsigned char *wkb = wb->data + 4;
    int ok = OGR_G_ExportToIsoWkb(g, wkbNDR, wkb) == OGRERR_NONE && wkb[0] == 1 && wkb[1] == 6 &&
             wkb[2] == 0 && wkb[3] == 0 && wkb[4] == 0;
    OGR_G_DestroyGeometry(g);
    if (!ok)
        return 0;
    static const unsigned char header[9] = {1, 6, 0, 0, 0x20, 0xE6, 0x10, 0, 0}; /* 0x20000006, 4326 */
    memcpy(wb->data, header, sizeof header);
    return (size_t)size + 4;
}

static int stage_file(struct copy_stream *cs, enum terr_level level, const char *path,
                      struct boundary_counts *counts, struct wkb_buf *wb, char *err, size_t errlen)
{
    char name[4200];
    if (strncmp(path, "/vsi", 4) != 0 && ends_with(path, ".gz") && !ends_with(path, ".tar.gz"))
        snprintf(name, sizeof name, "/vsigzip/%s", path);
    else if (strncmp(path, "/vsi", 4) != 0 && ends_with(path, ".zip"))
        snprintf(name, sizeof name, "/vsizip/%s", path);
    else
        snprintf(name, sizeof name, "%s", path);

    CPLErrorReset();
    GDALDatasetH ds = GDALOpenEx(name, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (!ds) {
        snprintf(err, errlen, "cannot read %s as vector data: %s", path,
                 *CPLGetLastErrorMsg() ? CPLGetLastErrorMsg() : "unknown format");
        return -1;
    }
    int rc = -1;
    OGRCoordinateTransformationH ct = NULL;
    OGRLayerH layer = GDALDatasetGetLayerCount(ds) > 0 ? GDALDatasetGetLayer(ds, 0) : NULL;
    if (!layer) {
        snprintf(err, errlen, "%s has no layer", path);
        goto out;
    }
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    int code_idx = find_field(defn, code_fields[level]);
    int name_idx = find_field(defn, name_fields);
    if (code_idx < 0) {
        char fields[1024];
        list_fields(defn, fields, sizeof fields);
        snprintf(err, errlen, "%s: no INSEE code field for %s boundaries (looked for %s, %s, %s...); its fields are: %s",
                 path, level_names[level], code_fields[level][0], code_fields[level][1], code_fields[level][2], fields);
        goto out;
    }
    OGRFieldType code_type = OGR_Fld_GetType(OGR_FD_GetFieldDefn(defn, code_idx));
    if (layer_transform(layer, path, &ct, err, errlen) < 0)
        goto out;
    if (ct)
        counts->reprojected[level]++;

    char label[64];
    snprintf(label, sizeof label, "%s boundaries", level_names[level]);
    GIntBig total = OGR_L_GetFeatureCount(layer, 0);
    struct progress p;
    progress_start(&p, label, total > 0 ? (uint64_t)total : 0);
    OGR_L_ResetReading(layer);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(layer)) != NULL) {
        progress_add(&p, 1);
        char code[32];
        if (code_type == OFTInteger || code_type == OFTInteger64)
            snprintf(code, sizeof code, "%0*lld", code_width[level], (long long)OGR_F_GetFieldAsInteger64(f, code_idx));
        else
            snprintf(code, sizeof code, "%s", OGR_F_GetFieldAsString(f, code_idx));
        OGRGeometryH g = OGR_F_StealGeometry(f);
        if (!code[0] || !OGR_F_IsFieldSetAndNotNull(f, code_idx) || !g) {
            if (g)
                OGR_G_DestroyGeometry(g);
            counts->skipped[level]++;
            OGR_F_Destroy(f);
            continue;
        }
        size_t n = ewkb_multipolygon(g, ct, wb);
        if (n) {
            copy_text(cs, level_names[level]);
            copy_text(cs, code);
            const char *fname = name_idx >= 0 ? OGR_F_GetFieldAsString(f, name_idx) : NULL;
            copy_text(cs, fname && utf8_valid(fname) ? fname : NULL);
            copy_hex(cs, wb->data, n);
            copy_end_row(cs);
            counts->features[level]++;
        } else {
            counts->skipped[level]++;
        }
        OGR_F_Destroy(f);
    }
    progress_finish(&p);
    rc = 0;
out:
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    GDALClose(ds);
    return rc;
}

int boundaries_stage(PGconn *conn, const struct boundary_sources *src, struct boundary_counts *counts,
                     char *err, size_t errlen)
{
    memset(counts, 0, sizeof *counts);
    GDALAllRegister();
    struct copy_stream cs;
    if (copy_begin(&cs, conn, "COPY stage_poly (level, code, name, geom) FROM STDIN", err, errlen) < 0)
        return -1;
    struct wkb_buf wb = {NULL, 0};
    /* GDAL's own messages would be printed twice: ours name the file and say the same. */
    CPLPushErrorHandler(CPLQuietErrorHandler);
    int rc = 0;
    for (int l = 0; l < LEVEL_COUNT && rc == 0; l++)
        for (int i = 0; i < src->n[l] && rc == 0; i++)
            rc = stage_file(&cs, (enum terr_level)l, src->files[l][i], counts, &wb, err, errlen);
    CPLPopErrorHandler();
    free(wb.data);
    if (rc < 0) {
        copy_abort(&cs);
        return -1;
    }
    return copy_finish(&cs, err, errlen);
}
