#include "wms/png_write.h"

#include "wms/png_deflate.h"

#include <libdeflate.h>

static void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Closes the chunk whose 8-byte head (length, type) starts at out->data + head:
 * fills in the length and appends the CRC of type + data. */
static bool end_chunk(struct buf *out, size_t head)
{
    if (out->overflow || out->len - head - 8 > 0x7fffffffu)
        return false;
    uint8_t *p = (uint8_t *)out->data + head;
    put_u32(p, (uint32_t)(out->len - head - 8));
    uint8_t crc[4];
    put_u32(crc, libdeflate_crc32(0, p + 4, out->len - head - 4));
    return buf_append(out, crc, 4);
}

static bool begin_chunk(struct buf *out, const char type[4], size_t *head)
{
    *head = out->len;
    return buf_append(out, "\0\0\0\0", 4) && buf_append(out, type, 4);
}

bool png_write(const uint8_t *scanlines, int width, int height, bool alpha, struct buf *out)
{
    if (width <= 0 || height <= 0)
        return false;
    size_t len = (size_t)height * (1 + (size_t)width * (alpha ? 4 : 3)), head;
    uint8_t ihdr[13];
    put_u32(ihdr, (uint32_t)width);
    put_u32(ihdr + 4, (uint32_t)height);
    ihdr[8] = 8;                        /* bits per channel */
    ihdr[9] = alpha ? 6 : 2;            /* colour type: RGBA or RGB */
    ihdr[10] = ihdr[11] = ihdr[12] = 0; /* deflate, adaptive filtering, no interlace */
    return buf_append(out, "\x89PNG\r\n\x1a\n", 8) && begin_chunk(out, "IHDR", &head) &&
           buf_append(out, ihdr, sizeof ihdr) && end_chunk(out, head) && begin_chunk(out, "IDAT", &head) &&
           png_deflate(scanlines, len, alpha ? 4 : 3, out) && end_chunk(out, head) &&
           begin_chunk(out, "IEND", &head) && end_chunk(out, head);
}
