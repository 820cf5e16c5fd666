#include "wms/wms_exception.h"

#include "wms/image_encode.h"
#include "wms/xml_write.h"

#include <cairo.h>
#include <string.h>

void wms_exception_xml(struct response *res, enum wms_version v, const struct wms_error *e)
{
    struct buf *b = &res->body;
    buf_reset(b);
    if (v == WMS_1_3_0) {
        buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<ServiceExceptionReport version=\"1.3.0\" xmlns=\"http://www.opengis.net/ogc\" "
                    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.opengis.net/ogc "
                    "http://schemas.opengis.net/wms/1.3.0/exceptions_1_3_0.xsd\">\n");
        response_set_type(res, "text/xml; charset=UTF-8");
    } else {
        buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<!DOCTYPE ServiceExceptionReport SYSTEM "
                    "\"http://schemas.opengis.net/wms/1.1.1/exception_1_1_1.dtd\">\n"
                    "<ServiceExceptionReport version=\"1.1.1\">\n");
        response_set_type(res, "application/vnd.ogc.se_xml; charset=UTF-8");
    }
    buf_puts(b, "<ServiceException");
    const char *code = e->code;
    if (code && v == WMS_1_1_1 && !strcmp(code, "InvalidCRS"))
        code = "InvalidSRS";
    if (code) {
        buf_puts(b, " code=\"");
        xml_escape(b, code);
        buf_putc(b, '"');
    }
    if (e->locator && v == WMS_1_3_0) {
        buf_puts(b, " locator=\"");
        xml_escape(b, e->locator);
        buf_putc(b, '"');
    }
    buf_putc(b, '>');
    xml_escape(b, e->message);
    buf_puts(b, "</ServiceException>\n</ServiceExceptionReport>\n");
    res->status = 400;
}

/* Shows the message wrapped by words to the image width (a line of at most 300 bytes). */
static void draw_message(cairo_t *cr, int width, const char *message)
{
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 12);
    cairo_set_source_rgb(cr, 0, 0, 0);
    char line[304];
    size_t used = 0;
    double y = 16;
    const char *p = message;
    while (*p) {
        size_t len = strcspn(p, " ");
        if (len > 150)
            len = 150;
        char candidate[304];
        memcpy(candidate, line, used);
        size_t n = used;
        if (n)
            candidate[n++] = ' ';
        memcpy(candidate + n, p, len);
        candidate[n + len] = 0;
        cairo_text_extents_t ext;
        cairo_text_extents(cr, candidate, &ext);
        if (used && ext.width > width - 8) {
            line[used] = 0;
            cairo_move_to(cr, 4, y);
            cairo_show_text(cr, line);
            y += 15;
            memcpy(line, p, len);
            used = len;
        } else {
            memcpy(line, candidate, n + len);
            used = n + len;
        }
        p += len;
        while (*p == ' ')
            p++;
    }
    line[used] = 0;
    cairo_move_to(cr, 4, y);
    cairo_show_text(cr, line);
}

void wms_exception_send(struct response *res, enum wms_version v, enum wms_exceptions how,
                        const struct wms_exception_image *img, const struct wms_error *e)
{
    if (how == WMS_EXC_XML || !img || img->width <= 0 || img->height <= 0) {
        wms_exception_xml(res, v, e);
        return;
    }
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, img->width, img->height);
    cairo_t *cr = cairo_create(s);
    bool alpha = img->transparent && img->format == WMS_FORMAT_PNG;
    if (!alpha) {
        cairo_set_source_rgb(cr, ((img->bgcolor >> 16) & 0xff) / 255.0, ((img->bgcolor >> 8) & 0xff) / 255.0,
                             (img->bgcolor & 0xff) / 255.0);
        cairo_paint(cr);
    }
    if (how == WMS_EXC_INIMAGE)
        draw_message(cr, img->width, e->message);
    bool ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS;
    cairo_destroy(cr);
    buf_reset(&res->body);
    if (ok)
        ok = img->format == WMS_FORMAT_PNG ? image_encode_png(s, alpha, &res->body)
                                           : image_encode_jpeg(s, &res->body);
    cairo_surface_destroy(s);
    if (!ok) {
        wms_exception_xml(res, v, e);
        return;
    }
    response_set_type(res, img->format == WMS_FORMAT_PNG ? "image/png" : "image/jpeg");
    res->status = 200;
}
