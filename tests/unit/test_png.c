/* The PNG writer (wms/png_write.h, wms/png_deflate.h, wms/image_encode.h) judged by
 * real decoders: zlib's inflate for the deflate stream (runs at every length around
 * the 258-byte limit, stored stretches past 64 KiB, distances 3 and 4) and libpng for
 * whole files (chunk CRCs, Adler-32, every premultiplied colour turned back exactly). */
#include "unit.h"

#include "wms/image_encode.h"
#include "wms/png_deflate.h"

#include <cairo.h>
#include <png.h>
#include <stdint.h>
#include <zlib.h>

static uint32_t rng = 12345;

static uint8_t next_byte(void)
{
    rng = rng * 1103515245u + 12345u;
    return (uint8_t)(rng >> 16);
}

/* Inflates what png_deflate wrote and compares with the input. */
static int roundtrip(const uint8_t *data, size_t len, int pixel_bytes)
{
    struct buf z;
    buf_init(&z, 0);
    int ok = png_deflate(data, len, pixel_bytes, &z);
    uLongf out_len = len + 16;
    uint8_t *out = malloc(out_len);
    ok = ok && uncompress(out, &out_len, (const Bytef *)z.data, z.len) == Z_OK && out_len == len &&
         !memcmp(out, data, len);
    free(out);
    buf_free(&z);
    return ok;
}

static void test_deflate_inflates_back(void)
{
    static const size_t run_lengths[] = {1, 2, 3, 7, 8, 9, 255, 257, 258, 259, 260, 261, 516, 517, 518, 100000};
    size_t cap = 1 << 20;
    uint8_t *data = malloc(cap);
    for (int pixel_bytes = 3; pixel_bytes <= 4; pixel_bytes++) {
        for (size_t r = 0; r < sizeof run_lengths / sizeof run_lengths[0]; r++) {
            /* random pixels, a run of one pixel repeated, random again */
            size_t len = 0;
            for (int i = 0; i < 40; i++)
                data[len++] = next_byte();
            for (size_t i = 0; i < run_lengths[r]; i++, len++)
                data[len] = data[len - (size_t)pixel_bytes];
            for (int i = 0; i < 13; i++)
                data[len++] = next_byte();
            CHECK(roundtrip(data, len, pixel_bytes));
        }
        for (size_t i = 0; i < 200000; i++) /* stored stretches longer than 65535 */
            data[i] = next_byte();
        CHECK(roundtrip(data, 200000, pixel_bytes));
        memset(data, 0, cap); /* one run of a megabyte */
        CHECK(roundtrip(data, cap, pixel_bytes));
        for (size_t i = 0; i < cap; i++) /* runs and literals of every length mixed */
            data[i] = next_byte() < 40 ? next_byte() : i >= 4 ? data[i - (size_t)pixel_bytes] : 0;
        CHECK(roundtrip(data, cap, pixel_bytes));
    }
    CHECK(roundtrip(data, 1, 4)); /* shorter than a pixel */
    free(data);
}

/* Decodes a PNG with libpng into straight RGBA. */
static uint8_t *decode(const struct buf *png, int *w, int *h)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, png->data, png->len))
        return NULL;
    img.format = PNG_FORMAT_RGBA;
    uint8_t *px = malloc(PNG_IMAGE_SIZE(img));
    if (!png_image_finish_read(&img, NULL, px, 0, NULL)) {
        free(px);
        png_image_free(&img);
        return NULL;
    }
    *w = (int)img.width;
    *h = (int)img.height;
    return px;
}

/* Every premultiplied (colour, alpha) pair cairo can hold comes back as the straight
 * colour (255 c + a/2) / a; runs of pixels and a drawing round the image. */
static void test_png_every_colour_exact(void)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 256, 300);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgba(cr, 0.2, 0.4, 0.9, 0.45);
    cairo_arc(cr, 128, 280, 15, 0, 6.3);
    cairo_fill(cr);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    uint8_t *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (uint32_t a = 0; a < 256; a++)
        for (uint32_t c = 0; c <= a; c++)
            ((uint32_t *)(void *)(data + a * (size_t)stride))[c] = a << 24 | c << 16 | (c / 2) << 8 | (a - c);
    cairo_surface_mark_dirty(s);
    struct buf png;
    buf_init(&png, 0);
    CHECK(image_encode_png(s, true, &png));
    int w = 0, h = 0, bad = 0;
    uint8_t *px = decode(&png, &w, &h);
    CHECK(px && w == 256 && h == 300);
    for (int y = 0; px && y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t p = ((const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride))[x], a = p >> 24;
            const uint8_t *q = px + ((size_t)y * 256 + (size_t)x) * 4;
            for (int k = 0; k < 3; k++) {
                uint32_t c = (p >> (16 - 8 * k)) & 0xff, want = a ? (c * 255 + a / 2) / a : 0;
                bad += q[k] != want;
            }
            bad += q[3] != a;
        }
    CHECK(bad == 0);
    free(px);
    buf_free(&png);
    /* Opaque: RGB, the colours as they are. */
    buf_init(&png, 0);
    cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0.8, 0.1, 0.1);
    cairo_rectangle(cr, 10.5, 10.5, 100, 3);
    cairo_fill(cr);
    cairo_destroy(cr);
    CHECK(image_encode_png(s, false, &png));
    CHECK(png.data[25] == 2); /* IHDR colour type RGB */
    px = decode(&png, &w, &h);
    CHECK(px && w == 256 && h == 300);
    bad = 0;
    for (int y = 0; px && y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t p = ((const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride))[x];
            const uint8_t *q = px + ((size_t)y * 256 + (size_t)x) * 4;
            bad += q[0] != ((p >> 16) & 0xff) || q[1] != ((p >> 8) & 0xff) || q[2] != (p & 0xff) || q[3] != 255;
        }
    CHECK(bad == 0 && px && px[0] == 255 && px[(12 * 256 + 50) * 4 + 1] < 40); /* white, and the red bar */
    free(px);
    buf_free(&png);
    cairo_surface_destroy(s);
}

int main(void)
{
    RUN(test_deflate_inflates_back);
    RUN(test_png_every_colour_exact);
    return UNIT_REPORT();
}
