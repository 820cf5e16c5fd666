#include "wms/image_encode.h"

#include <stdio.h> /* jpeglib.h needs FILE */
#include <jpeglib.h>
#include <png.h>
#include <setjmp.h>
#include <zlib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cairo ARGB32 is premultiplied, native-endian 32-bit words; PNG/JPEG want straight
 * RGB(A) bytes. */
static void unpremultiply_row(const uint32_t *src, int width, uint8_t *dst, bool alpha)
{
    if (alpha) { /* most rows of an overlay are empty: one vectorisable pass finds them */
        uint32_t any = 0;
        for (int x = 0; x < width; x++)
            any |= src[x];
        if (!any) {
            memset(dst, 0, (size_t)width * 4);
            return;
        }
    }
    for (int x = 0; x < width; x++) {
        uint32_t p = src[x];
        uint8_t a = (uint8_t)(p >> 24), r = (uint8_t)(p >> 16), g = (uint8_t)(p >> 8), b = (uint8_t)p;
        if (alpha && a != 0 && a != 255) {
            r = (uint8_t)((r * 255u + a / 2) / a);
            g = (uint8_t)((g * 255u + a / 2) / a);
            b = (uint8_t)((b * 255u + a / 2) / a);
        }
        *dst++ = r;
        *dst++ = g;
        *dst++ = b;
        if (alpha)
            *dst++ = a;
    }
}

static void png_write_buf(png_structp png, png_bytep data, png_size_t len)
{
    struct buf *out = png_get_io_ptr(png);
    if (!buf_append(out, data, len))
        png_error(png, "output buffer full");
}

static void png_flush_noop(png_structp png) { (void)png; }

/* Failures are reported by the return value, not on stderr. */
static void png_fail_quietly(png_structp png, png_const_charp message)
{
    (void)message;
    png_longjmp(png, 1);
}

static void png_warn_quietly(png_structp png, png_const_charp message)
{
    (void)png;
    (void)message;
}

bool image_encode_png(cairo_surface_t *surface, bool alpha, struct buf *out)
{
    cairo_surface_flush(surface);
    int width = cairo_image_surface_get_width(surface), height = cairo_image_surface_get_height(surface);
    int stride = cairo_image_surface_get_stride(surface);
    const unsigned char *data = cairo_image_surface_get_data(surface);
    if (!data || width <= 0 || height <= 0)
        return false;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_fail_quietly, png_warn_quietly);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *volatile row = malloc((size_t)width * 4);
    if (!png || !info || !row) {
        png_destroy_write_struct(&png, &info);
        free(row);
        return false;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(row);
        return false;
    }
    png_set_write_fn(png, out, png_write_buf, png_flush_noop);
    png_set_compression_level(png, IMAGE_PNG_COMPRESSION);
    png_set_compression_strategy(png, Z_RLE);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
                 alpha ? PNG_COLOR_TYPE_RGBA : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE,
                 PNG_FILTER_TYPE_BASE);
    png_write_info(png, info);
    for (int y = 0; y < height; y++) {
        unpremultiply_row((const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride), width, row, alpha);
        png_write_row(png, row);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(row);
    return !out->overflow;
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
                          row, false);
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
