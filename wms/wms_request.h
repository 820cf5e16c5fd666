/* A WMS key-value request read into one struct: version, operation, and the GetMap
 * parameters shared by GetMap and GetFeatureInfo. Keys are case-insensitive, unknown
 * ones ignored; every bad value becomes a wms_error with the OGC exception code and the
 * parameter it is about (the locator). Nothing here touches data or allocates. */
#ifndef RBMAP_WMS_REQUEST_H
#define RBMAP_WMS_REQUEST_H
#include "geo/proj.h"
#include "server/http.h"
#include "styles/style.h"
#include "wms/wms_layers.h"

#include <stdbool.h>
#include <stdint.h>

enum wms_version { WMS_1_1_1, WMS_1_3_0 };
enum wms_operation { WMS_GET_CAPABILITIES, WMS_GET_MAP, WMS_GET_FEATURE_INFO, WMS_GET_LEGEND_GRAPHIC };
enum wms_exceptions { WMS_EXC_XML, WMS_EXC_INIMAGE, WMS_EXC_BLANK };
enum wms_image_format { WMS_FORMAT_PNG, WMS_FORMAT_JPEG };
enum wms_info_format { WMS_INFO_HTML, WMS_INFO_JSON, WMS_INFO_GML, WMS_INFO_TEXT };

#define WMS_MAX_LAYERS 16 /* LayerLimit */
#define WMS_MAX_FEATURE_COUNT 50

struct wms_error {
    const char *code;     /* "InvalidCRS", ...; NULL: no code attribute */
    const char *locator;  /* the parameter; NULL when none */
    char message[300];
};

struct wms_map_request {
    enum wms_version version;
    size_t n_layers;
    const struct wms_layer *layers[WMS_MAX_LAYERS]; /* drawn in this order, first at the bottom */
    const struct style_def *styles[WMS_MAX_LAYERS];
    const struct crs_info *crs;
    double bbox[4];    /* minx, miny, maxx, maxy with x = easting/longitude (axes already swapped) */
    int width, height;
    enum wms_image_format format;
    bool transparent;
    uint32_t bgcolor;  /* 0xRRGGBB */
    enum wms_exceptions exceptions;
};

struct wms_info_request {
    struct wms_map_request map;
    size_t n_query_layers;
    const struct wms_layer *query_layers[WMS_MAX_LAYERS];
    enum wms_info_format info_format;
    int i, j;          /* pixel column and row, 0-based from the top left */
    int feature_count; /* 1..WMS_MAX_FEATURE_COUNT */
};

/* REQUEST=; -1 with an error (OperationNotSupported or MissingParameterValue). */
int wms_parse_operation(const struct request *req, enum wms_operation *op, struct wms_error *e);
/* VERSION= (or WMTVER=) of a GetCapabilities, negotiated: none or above -> 1.3.0, below
 * 1.3.0 -> 1.1.1. */
enum wms_version wms_negotiate_version(const struct request *req);
/* The version of any other operation, which must be given: 1.1.0/1.1.1 or 1.3.0. */
int wms_parse_version(const struct request *req, enum wms_version *v, struct wms_error *e);
/* EXCEPTIONS= alone, so that errors in other parameters can already honour it. */
enum wms_exceptions wms_parse_exceptions(const struct request *req);

/* Every GetMap parameter. max_width/height bound WIDTH and HEIGHT (checked before any
 * allocation); the caller's image is then at most max_width * max_height * 4 bytes. */
int wms_parse_map(const struct request *req, int max_width, int max_height, struct wms_map_request *m,
                  struct wms_error *e);
/* GetFeatureInfo: the GetMap parameters (FORMAT optional) plus the query ones. */
int wms_parse_info(const struct request *req, int max_width, int max_height, struct wms_info_request *q,
                   struct wms_error *e);

/* TRANSPARENT and BGCOLOR alone (for exception images when the rest is bad). */
void wms_parse_background(const struct request *req, bool *transparent, uint32_t *bgcolor);

/* The advertised MIME types. */
extern const char *const wms_map_formats[2];
extern const char *const wms_info_formats[4];

#endif
