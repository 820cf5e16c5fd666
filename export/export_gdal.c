#include "export/export_gdal.h"

#include "export/export_fields.h"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_KEYS 64

struct export_layer {
    const struct export_format *fmt;
    enum export_collection collection;
    GDALDatasetH ds;
    OGRLayerH layer;
    OGRSpatialReferenceH srs;
    bool in_transaction;
    const struct prop_key *keys;
    int field_index[MAX_KEYS]; /* per key: the layer's field, -1 when not written */
    int coord_first, coord_second; /* spreadsheets: the two coordinate columns */
    bool first_is_y;
    OGRFeatureH feature;
    struct prop_sink sink;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void register_drivers(void) { GDALAllRegister(); }

void export_gdal_init(void) { pthread_once(&init_once, register_drivers); }

static void gdal_message(const char *what, char *err, size_t errlen)
{
    const char *msg = CPLGetLastErrorMsg();
    snprintf(err, errlen, "%s%s%s", what, msg && *msg ? ": " : "", msg ? msg : "");
}

static int key_index(const struct export_layer *l, const char *key)
{
    for (int i = 0; l->keys[i].name && i < MAX_KEYS; i++)
        if (!strcmp(l->keys[i].name, key))
            return l->field_index[i];
    return -1;
}

static void sink_string(void *ctx, const char *key, const char *value)
{
    struct export_layer *l = ctx;
    int i = key_index(l, key);
    if (i < 0)
        return;
    const char *label = l->fmt->spreadsheet ? export_value_label(key, value) : NULL;
    OGR_F_SetFieldString(l->feature, i, label ? label : value);
}

static void sink_int(void *ctx, const char *key, int64_t value)
{
    struct export_layer *l = ctx;
    int i = key_index(l, key);
    if (i >= 0)
        OGR_F_SetFieldInteger64(l->feature, i, (GIntBig)value);
}

static void sink_bool(void *ctx, const char *key, bool value)
{
    struct export_layer *l = ctx;
    int i = key_index(l, key);
    if (i < 0)
        return;
    if (l->fmt->spreadsheet) /* read by people: the platform's own oui/non */
        OGR_F_SetFieldString(l->feature, i, value ? "oui" : "non");
    else
        OGR_F_SetFieldInteger(l->feature, i, value ? 1 : 0);
}

/* The OGR type of a property kind in this format. Spreadsheets keep dates as ISO text in
 * csv (GDAL would write 2024/05/01) and booleans as oui/non. */
static OGRFieldDefnH field_definition(const struct export_format *fmt, const char *name, char kind)
{
    OGRFieldType type = OFTString;
    OGRFieldSubType sub = OFSTNone;
    switch (kind) {
    case 'i': type = OFTInteger; break; /* ids and counts: dBase has no 64-bit integers */
    case 'b': if (!fmt->spreadsheet) { type = OFTInteger; sub = OFSTBoolean; } break;
    case 'd': type = strcmp(fmt->driver, "CSV") ? OFTDate : OFTString; break;
    case 'f': type = OFTReal; break;
    default: break;
    }
    OGRFieldDefnH fd = OGR_Fld_Create(name, type);
    OGR_Fld_SetSubType(fd, sub);
    if (type == OFTString && !strcmp(fmt->driver, "ESRI Shapefile"))
        OGR_Fld_SetWidth(fd, 254);
    return fd;
}

static int add_field(struct export_layer *l, const char *name, char kind, char *err, size_t errlen)
{
    OGRFieldDefnH fd = field_definition(l->fmt, name, kind);
    OGRErr e = OGR_L_CreateField(l->layer, fd, TRUE);
    OGR_Fld_Destroy(fd);
    if (e != OGRERR_NONE) {
        char what[160];
        snprintf(what, sizeof what, "creating field '%s'", name);
        gdal_message(what, err, errlen);
        return -1;
    }
    return OGR_FD_GetFieldCount(OGR_L_GetLayerDefn(l->layer)) - 1;
}

static int create_fields(struct export_layer *l, const struct crs_info *crs, bool with_sensitive, unsigned flags,
                         char *err, size_t errlen)
{
    for (int i = 0; l->keys[i].name && i < MAX_KEYS; i++) {
        l->field_index[i] = -1;
        if ((l->keys[i].sensitive && !with_sensitive) || (l->keys[i].flag & ~flags))
            continue;
        const char *name = export_column_name(l->collection, l->keys[i].name, l->fmt->naming);
        if ((l->field_index[i] = add_field(l, name, l->keys[i].kind, err, errlen)) < 0)
            return -1;
    }
    l->coord_first = l->coord_second = -1;
    if (l->fmt->spreadsheet) {
        char first[64], second[64];
        export_coordinate_columns(crs->code, crs->geographic, first, second, sizeof first, &l->first_is_y);
        if ((l->coord_first = add_field(l, first, 'f', err, errlen)) < 0 ||
            (l->coord_second = add_field(l, second, 'f', err, errlen)) < 0)
            return -1;
    }
    return 0;
}

static OGRSpatialReferenceH make_srs(const struct crs_info *crs)
{
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    /* CRS84 has no EPSG code: EPSG:4326 with x = longitude is the same coordinates. */
    if (srs && OSRImportFromEPSG(srs, crs->epsg ? crs->epsg : 4326) != OGRERR_NONE) {
        OSRDestroySpatialReference(srs);
        return NULL;
    }
    if (srs)
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

struct export_layer *export_layer_create(const struct export_format *fmt, enum export_collection collection,
                                         const char *dir, const char *layer_name, const struct crs_info *crs,
                                         enum export_geometry geometry, bool with_sensitive, unsigned flags,
                                         char *err, size_t errlen)
{
    export_gdal_init();
    GDALDriverH drv = GDALGetDriverByName(fmt->driver);
    if (!drv) {
        snprintf(err, errlen, "GDAL has no %s driver", fmt->driver);
        return NULL;
    }
    struct export_layer *l = calloc(1, sizeof(*l));
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->fmt = fmt;
    l->collection = collection;
    l->keys = export_collection_keys(collection);
    l->sink = (struct prop_sink){l, sink_string, sink_int, sink_bool};
    char path[512];
    snprintf(path, sizeof path, "%s/%s%s", dir, layer_name, fmt->extension);
    char **ds_opts = NULL, **layer_opts = NULL;
    if (!strcmp(fmt->driver, "KML"))
        ds_opts = CSLSetNameValue(ds_opts, "NameField", "name");
    if (!strcmp(fmt->driver, "ESRI Shapefile"))
        layer_opts = CSLSetNameValue(layer_opts, "ENCODING", "UTF-8"); /* writes the .cpg */
    if (!strcmp(fmt->driver, "CSV")) {
        layer_opts = CSLSetNameValue(layer_opts, "WRITE_BOM", "YES"); /* Excel then reads UTF-8 */
        /* GDAL's default quotes every integer ("13"), which reads as text. */
        layer_opts = CSLSetNameValue(layer_opts, "STRING_QUOTING", "IF_NEEDED");
    }
    if (!strcmp(fmt->driver, "GeoJSON"))
        layer_opts = CSLSetNameValue(layer_opts, "WRITE_BBOX", "YES");
    CPLErrorReset();
    VSIMkdir(dir, 0700); /* the CSV driver wants its folder to exist */
    l->ds = GDALCreate(drv, path, 0, 0, 0, GDT_Unknown, ds_opts);
    if (!l->ds) {
        gdal_message("creating the file", err, errlen);
        goto fail;
    }
    OGRwkbGeometryType gtype = fmt->spreadsheet ? wkbNone : geometry == EXPORT_POINTS ? wkbPoint : wkbMultiPolygon;
    if (!fmt->spreadsheet && !(l->srs = make_srs(crs))) {
        snprintf(err, errlen, "GDAL does not know %s", crs->code);
        goto fail;
    }
    l->layer = GDALDatasetCreateLayer(l->ds, layer_name, l->srs, gtype, layer_opts);
    if (!l->layer) {
        gdal_message("creating the layer", err, errlen);
        goto fail;
    }
    if (create_fields(l, crs, with_sensitive, flags, err, errlen) < 0)
        goto fail;
    /* GeoPackage: one transaction instead of one per feature (a hundred times faster). */
    l->in_transaction = GDALDatasetTestCapability(l->ds, ODsCTransactions) &&
                        GDALDatasetStartTransaction(l->ds, FALSE) == OGRERR_NONE;
    CSLDestroy(ds_opts);
    CSLDestroy(layer_opts);
    return l;
fail:
    CSLDestroy(ds_opts);
    CSLDestroy(layer_opts);
    if (l->ds)
        GDALClose(l->ds);
    if (l->srs)
        OSRDestroySpatialReference(l->srs);
    free(l);
    return NULL;
}

const struct prop_sink *export_layer_begin(struct export_layer *l, long long fid)
{
    l->feature = OGR_F_Create(OGR_L_GetLayerDefn(l->layer));
    if (fid > 0)
        OGR_F_SetFID(l->feature, (GIntBig)fid);
    return &l->sink;
}

void export_layer_set_point(struct export_layer *l, double x, double y)
{
    if (l->fmt->spreadsheet) {
        OGR_F_SetFieldDouble(l->feature, l->coord_first, l->first_is_y ? y : x);
        OGR_F_SetFieldDouble(l->feature, l->coord_second, l->first_is_y ? x : y);
        return;
    }
    OGRGeometryH g = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(g, 0, x, y);
    OGR_F_SetGeometryDirectly(l->feature, g);
}

void export_layer_set_polygons(struct export_layer *l, const double *xy, const size_t *ring_start, size_t nrings,
                               const size_t *polys, size_t npolys)
{
    OGRGeometryH multi = OGR_G_CreateGeometry(wkbMultiPolygon);
    for (size_t j = 0; j < npolys; j++) {
        OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
        for (size_t r = polys[j]; r < polys[j + 1] && r < nrings; r++) {
            OGRGeometryH ring = OGR_G_CreateGeometry(wkbLinearRing);
            size_t n = ring_start[r + 1] - ring_start[r];
            OGR_G_SetPointCount(ring, (int)n);
            for (size_t k = 0; k < n; k++) {
                const double *p = xy + 2 * (ring_start[r] + k);
                OGR_G_SetPoint_2D(ring, (int)k, p[0], p[1]);
            }
            OGR_G_CloseRings(ring);
            OGR_G_AddGeometryDirectly(poly, ring);
        }
        OGR_G_AddGeometryDirectly(multi, poly);
    }
    OGR_F_SetGeometryDirectly(l->feature, multi);
}

int export_layer_end(struct export_layer *l, char *err, size_t errlen)
{
    OGRErr e = OGR_L_CreateFeature(l->layer, l->feature);
    OGR_F_Destroy(l->feature);
    l->feature = NULL;
    if (e != OGRERR_NONE) {
        gdal_message("writing a feature", err, errlen);
        return -1;
    }
    return 0;
}

int export_layer_close(struct export_layer *l, char *err, size_t errlen)
{
    int rc = 0;
    if (l->in_transaction && GDALDatasetCommitTransaction(l->ds) != OGRERR_NONE) {
        gdal_message("committing", err, errlen);
        rc = -1;
    }
    CPLErrorReset();
    GDALClose(l->ds);
    if (rc == 0 && CPLGetLastErrorType() >= CE_Failure) {
        gdal_message("finishing the file", err, errlen);
        rc = -1;
    }
    if (l->srs)
        OSRDestroySpatialReference(l->srs);
    free(l);
    return rc;
}

/* Adds every file of dir to a zip, in name order (a stable archive for the same data). */
static int zip_folder(const char *dir, const char *zip_path, char *err, size_t errlen)
{
    char **names = VSIReadDir(dir);
    int n = CSLCount(names);
    if (n > 1)
        qsort(names, (size_t)n, sizeof(char *), (int (*)(const void *, const void *))strcmp);
    void *zip = CPLCreateZip(zip_path, NULL);
    int rc = zip ? 0 : -1;
    for (int i = 0; rc == 0 && i < n; i++) {
        char path[768];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        vsi_l_offset size = 0;
        GByte *data = VSIGetMemFileBuffer(path, &size, FALSE);
        if (!data || CPLCreateFileInZip(zip, names[i], NULL) != CE_None) {
            rc = -1;
            break;
        }
        for (vsi_l_offset off = 0; rc == 0 && off < size;) {
            int chunk = size - off > (1 << 20) ? (1 << 20) : (int)(size - off);
            if (CPLWriteFileInZip(zip, data + off, chunk) != CE_None)
                rc = -1;
            off += (vsi_l_offset)chunk;
        }
        if (CPLCloseFileInZip(zip) != CE_None)
            rc = -1;
    }
    if (zip && CPLCloseZip(zip) != CE_None)
        rc = -1;
    CSLDestroy(names);
    if (rc < 0)
        gdal_message("zipping the shapefile", err, errlen);
    return rc;
}

int export_collect_bytes(const struct export_format *fmt, const char *dir, const char *layer_name,
                         unsigned char **data, size_t *len, char *err, size_t errlen)
{
    char path[512];
    if (fmt->zipped) {
        /* The shapefile's files are in dir; the zip goes next to it. */
        snprintf(path, sizeof path, "%s.zip", dir);
        if (zip_folder(dir, path, err, errlen) < 0) {
            VSIUnlink(path);
            return -1;
        }
    } else {
        snprintf(path, sizeof path, "%s/%s%s", dir, layer_name, fmt->extension);
    }
    vsi_l_offset size = 0;
    GByte *bytes = VSIGetMemFileBuffer(path, &size, TRUE); /* takes ownership, unlinks */
    if (!bytes) {
        snprintf(err, errlen, "the %s file was not written", fmt->name);
        return -1;
    }
    *data = bytes;
    *len = (size_t)size;
    return 0;
}

void export_bytes_free(void *data) { CPLFree(data); }

void export_vsimem_dir(char *out, size_t len)
{
    static atomic_ullong counter;
    unsigned long long n = atomic_fetch_add(&counter, 1) + 1;
    snprintf(out, len, "/vsimem/rbmap-export-%ld-%llu", (long)getpid(), n);
}

void export_vsimem_remove(const char *dir)
{
    char zip[512];
    snprintf(zip, sizeof zip, "%s.zip", dir);
    VSIUnlink(zip);
    VSIRmdirRecursive(dir);
}
