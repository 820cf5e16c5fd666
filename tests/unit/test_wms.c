/* WMS building blocks without a server: request parsing (axis order per version and CRS,
 * bounds checked before any allocation, exception codes and locators), XML escaping,
 * the pixel frame (BBOX = outer pixel edges), marker sprites placed like direct drawing,
 * the PNG/JPEG encoders. */
#include "unit.h"

#include "wms/image_encode.h"
#include "wms/marker_sprites.h"
#include "wms/wms_frame.h"
#include "wms/wms_request.h"
#include "wms/xml_write.h"

#include <cairo.h>
#include <stdarg.h>
#include <stdint.h>

/* "key", "value", ..., NULL */
static void set_params(struct request *req, ...)
{
    memset(req, 0, sizeof *req);
    va_list ap;
    va_start(ap, req);
    for (const char *k; (k = va_arg(ap, const char *)) && req->n_params < REQUEST_MAX_PARAMS;) {
        req->params[req->n_params].key = (char *)k;
        req->params[req->n_params++].value = va_arg(ap, char *);
    }
    va_end(ap);
}

#define GETMAP(version, crs_key, crs, bbox)                                                                 \
    "service", "WMS", "version", version, "request", "GetMap", "layers", "sites,boundaries", "styles", "", \
        crs_key, crs, "bbox", bbox, "width", "256", "height", "128", "format", "image/png"

static void test_axis_order(void)
{
    struct request req;
    struct wms_map_request m;
    struct wms_error e;
    set_params(&req, GETMAP("1.3.0", "CRS", "EPSG:4326", "48.8,2.2,48.9,2.4"), NULL);
    CHECK(wms_parse_map(&req, 4096, 4096, &m, &e) == 0);
    CHECK_NEAR(m.bbox[0], 2.2, 1e-12);
    CHECK_NEAR(m.bbox[1], 48.8, 1e-12);
    CHECK_NEAR(m.bbox[2], 2.4, 1e-12);
    CHECK_NEAR(m.bbox[3], 48.9, 1e-12);
    CHECK(m.n_layers == 2 && !strcmp(m.layers[1]->name, "boundaries"));
    set_params(&req, GETMAP("1.3.0", "CRS", "CRS:84", "2.2,48.8,2.4,48.9"), NULL);
    CHECK(wms_parse_map(&req, 4096, 4096, &m, &e) == 0);
    CHECK_NEAR(m.bbox[0], 2.2, 1e-12);
    set_params(&req, GETMAP("1.1.1", "SRS", "EPSG:4326", "2.2,48.8,2.4,48.9"), NULL);
    CHECK(wms_parse_map(&req, 4096, 4096, &m, &e) == 0);
    CHECK_NEAR(m.bbox[0], 2.2, 1e-12);
    CHECK(m.version == WMS_1_1_1);
    set_params(&req, GETMAP("1.3.0", "CRS", "EPSG:2154", "6.4e5,6.85e6,6.65e5,6.875e6"), NULL);
    CHECK(wms_parse_map(&req, 4096, 4096, &m, &e) == 0);
    CHECK_NEAR(m.bbox[3], 6875000, 1e-6);
}

static void test_errors(void)
{
    struct request req;
    struct wms_map_request m;
    struct wms_error e;
    set_params(&req, GETMAP("1.3.0", "CRS", "EPSG:9999", "0,0,1,1"), NULL);
    CHECK(wms_parse_map(&req, 4096, 4096, &m, &e) < 0);
    CHECK_STR(e.code, "InvalidCRS");
    CHECK_STR(e.locator, "CRS");
    set_params(&req, GETMAP("1.3.0", "CRS", "EPSG:2154", "0,0,1"), NULL);
    CHECK(wms_parse_map(&req, 4096, 4096, &m, &e) < 0 && !strcmp(e.locator, "BBOX"));
    set_params(&req, GETMAP("1.3.0", "CRS", "EPSG:2154", "1,0,1,1"), NULL);
    CHECK(wms_parse_map(&req, 4096, 4096, &m, &e) < 0 && !strcmp(e.locator, "BBOX"));
    set_params(&req, GETMAP("1.3.0", "CRS", "EPSG:2154", "0,0,inf,1"), NULL);
    CHECK(wms_parse_map(&req, 4096, 4096, &m, &e) < 0);
    set_params(&req, GETMAP("1.3.0", "CRS", "EPSG:2154", "0,0,1,1"), NULL);
    CHECK(wms_parse_map(&req, 100, 4096, &m, &e) < 0 && !strcmp(e.locator, "WIDTH")); /* 256 > 100 */
    set_params(&req, "VERSION", "1.3.0", "REQUEST", "GetMap", "LAYERS", "sites", "STYLES", "light,light", "CRS",
               "EPSG:2154", "BBOX", "0,0,1,1", "WIDTH", "1", "HEIGHT", "1", "FORMAT", "image/png", NULL);
    CHECK(wms_parse_map(&req, 4096, 4096, &m, &e) < 0);
    CHECK_STR(e.code, "StyleNotDefined");
    set_params(&req, "VERSION", "1.3.0", "REQUEST", "GetMap", "LAYERS", "sites,nope", "CRS", "EPSG:2154", "BBOX",
               "0,0,1,1", "WIDTH", "1", "HEIGHT", "1", "FORMAT", "image/png", NULL);
    CHECK(wms_parse_map(&req, 4096, 4096, &m, &e) < 0);
    CHECK_STR(e.code, "LayerNotDefined");
    set_params(&req, "REQUEST", "DescribeEverything", NULL);
    enum wms_operation op;
    CHECK(wms_parse_operation(&req, &op, &e) < 0);
    CHECK_STR(e.code, "OperationNotSupported");
}

static void test_feature_info_point(void)
{
    struct request req;
    struct wms_info_request q;
    struct wms_error e;
    set_params(&req, GETMAP("1.3.0", "CRS", "EPSG:2154", "0,0,256,128"), "query_layers", "sites", "i", "255", "j",
               "127", "info_format", "text/plain", "feature_count", "1000", NULL);
    CHECK(wms_parse_info(&req, 4096, 4096, &q, &e) == 0);
    CHECK(q.i == 255 && q.j == 127 && q.feature_count == WMS_MAX_FEATURE_COUNT && q.info_format == WMS_INFO_TEXT);
    set_params(&req, GETMAP("1.3.0", "CRS", "EPSG:2154", "0,0,256,128"), "query_layers", "sites", "i", "256", "j",
               "0", NULL);
    CHECK(wms_parse_info(&req, 4096, 4096, &q, &e) < 0);
    CHECK_STR(e.code, "InvalidPoint");
    set_params(&req, GETMAP("1.1.1", "SRS", "EPSG:2154", "0,0,256,128"), "query_layers", "sites", "x", "3", "y",
               "4", NULL);
    CHECK(wms_parse_info(&req, 4096, 4096, &q, &e) == 0 && q.i == 3 && q.j == 4);
}

static void test_xml_escape(void)
{
    struct buf b;
    buf_init(&b, 0);
    xml_escape(&b, "<a href=\"x\">'&'</a>\x01");
    CHECK_STR(b.data, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    buf_reset(&b);
    xml_escape(&b, "caf\xc3\xa9 \xff");
    CHECK_STR(b.data, "caf?? ?"); /* invalid UTF-8: every high byte replaced */
    buf_free(&b);
}

static void test_frame_pixel_edges(void)
{
    const double bbox[4] = {2.0, 48.0, 3.0, 49.0};
    struct wms_frame f;
    wms_frame_init(&f, crs_lookup("CRS:84", NULL, 0), bbox, 100, 50);
    double x[2] = {2.0, 2.005}, y[2] = {49.0, 48.99};
    wms_frame_to_pixels(&f, x, y, 2);
    CHECK_NEAR(x[0], 0, 1e-9);    /* the BBOX corner is the image's outer corner */
    CHECK_NEAR(y[0], 0, 1e-9);
    CHECK_NEAR(x[1], 0.5, 1e-9);  /* centre of the first pixel column */
    CHECK_NEAR(y[1], 0.5, 1e-9);
    double lon, lat;
    CHECK(wms_frame_pixel_to_lonlat(&f, 50, 25, &lon, &lat));
    CHECK_NEAR(lon, 2.5, 1e-9);
    CHECK_NEAR(lat, 48.5, 1e-9);
    CHECK(f.has_lonlat && f.west <= 2.0 && f.east >= 3.0);
    /* Lambert-93 round trip through PROJ. */
    const double l93[4] = {640000, 6850000, 665000, 6875000};
    wms_frame_init(&f, crs_lookup("EPSG:2154", NULL, 0), l93, 250, 250);
    CHECK(wms_frame_pixel_to_lonlat(&f, 125, 125, &lon, &lat));
    double px = lon, py = lat;
    wms_frame_to_pixels(&f, &px, &py, 1);
    CHECK_NEAR(px, 125, 1e-6);
    CHECK_NEAR(py, 125, 1e-6);
    CHECK(f.zoom > 8.5 && f.zoom < 9.5); /* 100 m per pixel at 48.9 N: 152 Mercator m, MapLibre z9 */
}

/* Centroid of a surface's alpha. */
static void alpha_centroid(cairo_surface_t *s, double *cx, double *cy)
{
    cairo_surface_flush(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    double sum = 0, sx = 0, sy = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double a = ((const uint32_t *)(const void *)(d + y * stride))[x] >> 24;
            sum += a;
            sx += a * (x + 0.5);
            sy += a * (y + 0.5);
        }
    *cx = sx / sum;
    *cy = sy / sum;
}

static void test_sprites_match_direct_drawing(void)
{
    struct style_color fill = {0xef, 0x8c, 0x00, 1}, ring = {0x2e, 0x7d, 0x32, 1};
    const double points[][2] = {{20.0, 20.0}, {20.3, 19.7}, {31.9, 8.05}, {10.5, 30.5}};
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        cairo_surface_t *a = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 48, 48);
        cairo_surface_t *b = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 48, 48);
        cairo_t *ca = cairo_create(a), *cb = cairo_create(b);
        marker_draw(ca, points[i][0], points[i][1], 6, 2.5, fill, ring, 1);
        marker_paint(cb, points[i][0], points[i][1], 6, 2.5, fill, ring, 1);
        double ax, ay, bx, by;
        alpha_centroid(a, &ax, &ay);
        alpha_centroid(b, &bx, &by);
        CHECK_NEAR(ax, points[i][0], 0.02);
        CHECK_NEAR(bx, points[i][0], 1.0 / (2 * SPRITE_PHASES) + 0.02);
        CHECK_NEAR(by, points[i][1], 1.0 / (2 * SPRITE_PHASES) + 0.02);
        cairo_destroy(ca);
        cairo_destroy(cb);
        cairo_surface_destroy(a);
        cairo_surface_destroy(b);
    }
    marker_sprites_free();
}

static void test_encoders(void)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 8, 5);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgba(cr, 1, 0, 0, 0.5);
    cairo_paint(cr);
    cairo_destroy(cr);
    struct buf png, jpg, tiny;
    buf_init(&png, 0);
    buf_init(&jpg, 0);
    buf_init(&tiny, 16);
    CHECK(image_encode_png(s, true, &png));
    CHECK(png.len > 8 && !memcmp(png.data, "\x89PNG\r\n\x1a\n", 8));
    /* IHDR: width 8, height 5, RGBA */
    CHECK(png.data[19] == 8 && png.data[23] == 5 && png.data[25] == 6);
    CHECK(image_encode_jpeg(s, &jpg));
    CHECK(jpg.len > 2 && (unsigned char)jpg.data[0] == 0xff && (unsigned char)jpg.data[1] == 0xd8);
    CHECK(!image_encode_png(s, false, &tiny)); /* the output limit is honoured */
    buf_free(&png);
    buf_free(&jpg);
    buf_free(&tiny);
    cairo_surface_destroy(s);
}

int main(void)
{
    RUN(test_axis_order);
    RUN(test_errors);
    RUN(test_feature_info_point);
    RUN(test_xml_escape);
    RUN(test_frame_pixel_edges);
    RUN(test_sprites_match_direct_drawing);
    RUN(test_encoders);
    proj_thread_release();
    cairo_debug_reset_static_data();
    return UNIT_REPORT();
}
