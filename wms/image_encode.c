#include "wms/image_encode.h"

#include "wms/png_write.h"

#include <stdio.h> /* jpeglib.h needs FILE */
#include <jpeglib.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1/a scaled so that straight = ((2 * 255 * c + a) * recip[a]) >> 25 equals
 * (255 * c + a / 2) / a for every 0 <= c <= a <= 255, and c itself when a is 255, 0
 * when a is 0 (checked exhaustively by tests/unit/test_png.c): a multiplication
 * instead of three divisions per pixel and no branch, which counts on maps of
 * overlapping translucent markers. */
static void unpremultiply_table(uint32_t recip[256])
{
    recip[0] = 0;
    for (uint32_t a = 1; a < 256; a++)
        recip[a] = (1u << 24) / a + 1;
}

static inline uint8_t straight(uint32_t c, uint32_t a, const uint32_t recip[256])
{
    return (uint8_t)(((uint64_t)(2 * 255 * c + a) * recip[a]) >> 25);
}

/* cairo ARGB32 is premultiplied, native-endian 32-bit words; PNG/JPEG want straight
 * RGB(A) bytes (recip: NULL for RGB of an opaque surface). */
static void unpremultiply_row(const uint32_t *src, int width, uint8_t *dst, const uint32_t *recip)
{
    if (!recip) {
        for (int x = 0; x < width; x++, dst += 3) {
            dst[0] = (uint8_t)(src[x] >> 16);
            dst[1] = (uint8_t)(src[x] >> 8);
            dst[2] = (uint8_t)src[x];
        }
        return;
    }
    uint32_t any = 0; /* most rows of an overlay are empty: one vectorisable pass finds them */
    for (int x = 0; x < width; x++)
        any |= src[x];
    if (!any) {
        memset(dst, 0, (size_t)width * 4);
        return;
    }
    for (int x = 0; x < width; x++, dst += 4) {
        if (x + 8 <= width && !(src[x] | src[x + 1] | src[x + 2] | src[x + 3] | src[x + 4] | src[x + 5] | src[x + 6] |
                                src[x + 7])) { /* the transparent stretches between symbols */
            memset(dst, 0, 32);
            x += 7;
            dst += 28;
            continue;
        }
        uint32_t p = src[x], a = p >> 24;
        dst[0] = straight((p >> 16) & 0xff, a, recip);
        dst[1] = straight((p >> 8) & 0xff, a, recip);
        dst[2] = straight(p & 0xff, a, recip);
        dst[3] = (uint8_t)a;
    }
}

bool image_encode_png(cairo_surface_t *surface, bool alpha, struct buf *out)
{
    cairo_surface_flush(surface);
    int width = cairo_image_surface_get_width(surface), height = cairo_image_surface_get_height(surface);
    int stride = cairo_image_surface_get_stride(surface);
    const unsigned char *data = cairo_image_surface_get_data(surface);
    if (!data || width <= 0 || height <= 0)
        return false;
    size_t row_len = 1 + (size_t)width * (alpha ? 4 : 3);
    uint8_t *scanlines = malloc(row_len * (size_t)height);
    if (!scanlines)
        return false;
    uint32_t recip[256];
    unpremultiply_table(recip);
    for (int y = 0; y < height; y++) {
        uint8_t *row = scanlines + (size_t)y * row_len;
        row[0] = 0; /* filter None (see the header) */
        unpremultiply_row((const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride), width, row + 1,
                          alpha ? recip : NULL);
    }
    bool ok = png_write(scanlines, width, height, alpha, out);
    free(scanlines);
    return ok;
}

struct jpeg_error {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
};

static void jpeg_fail(j_common_ptr cinfo)
{
    struct jpeg_error *e = (struct jpeg_error *)(void *)cinfo->err;
    longjmp(e->jump, 1);
}

bool image_encode_jpeg(cairo_surface_t *surface, struct buf *out)
{
    cairo_surface_flush(surface);
    int width = cairo_image_surface_get_width(surface), height = cairo_image_surface_get_height(surface);
    int stride = cairo_image_surface_get_stride(surface);
    const unsigned char *data = cairo_image_surface_get_data(surface);
    if (!data || width <= 0 || height <= 0)
        return false;
    struct jpeg_compress_struct cinfo;
    struct jpeg_error err;
    unsigned char *volatile mem = NULL;
    unsigned long mem_len = 0;
    uint8_t *volatile row = malloc((size_t)width * 3);
    if (!row)
        return false;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_fail;
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(mem);
        free(row);
        return false;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&mem, &mem_len);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, IMAGE_JPEG_QUALITY, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        unpremultiply_row((const uint32_t *)(const void *)(data + (size_t)cinfo.next_scanline * (size_t)stride), width,
                          row, NULL);
        JSAMPROW rows[1] = {row};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    bool ok = buf_append(out, mem, mem_len);
    free(mem);
    free(row);
    return ok;
}
