#include "wms/png_deflate.h"

#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

/* Deflate writes bits least significant first and Huffman codes most significant bit
 * first, so codes are stored bit-reversed. */
struct bit_writer {
    struct buf *out;
    uint64_t bits;
    int n;
    size_t pending;        /* bytes waiting in chunk */
    uint8_t chunk[16384];  /* written to out in one append when full */
    bool in_fixed_block;
    uint16_t literal[288]; /* reversed fixed code of each literal/length symbol */
    uint8_t literal_len[288];
};

static uint32_t reverse(uint32_t code, int count)
{
    uint32_t r = 0;
    for (int i = 0; i < count; i++)
        r |= ((code >> i) & 1u) << (count - 1 - i);
    return r;
}

/* RFC 1951 3.2.6. */
static void fixed_codes(struct bit_writer *w)
{
    for (unsigned s = 0; s < 288; s++) {
        uint32_t code = s < 144 ? 0x30 + s : s < 256 ? 0x190 + s - 144 : s < 280 ? s - 256 : 0xc0 + s - 280;
        int len = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8;
        w->literal[s] = (uint16_t)reverse(code, len);
        w->literal_len[s] = (uint8_t)len;
    }
}

static void flush_chunk(struct bit_writer *w)
{
    buf_append(w->out, w->chunk, w->pending);
    w->pending = 0;
}

static void put_byte(struct bit_writer *w, uint8_t b)
{
    w->chunk[w->pending++] = b;
    if (w->pending == sizeof w->chunk)
        flush_chunk(w);
}

static inline void put_bits(struct bit_writer *w, uint32_t value, int count)
{
    w->bits |= (uint64_t)value << w->n;
    w->n += count;
    if (w->n >= 32) {
        if (w->pending + 4 > sizeof w->chunk)
            flush_chunk(w);
        uint8_t *p = w->chunk + w->pending;
        p[0] = (uint8_t)w->bits;
        p[1] = (uint8_t)(w->bits >> 8);
        p[2] = (uint8_t)(w->bits >> 16);
        p[3] = (uint8_t)(w->bits >> 24);
        w->pending += 4;
        w->bits >>= 32;
        w->n -= 32;
    }
}

/* Writes out the whole bytes held and pads the last one with zeros. */
static void align(struct bit_writer *w)
{
    while (w->n > 0) {
        put_byte(w, (uint8_t)(w->bits & 0xff));
        w->bits >>= 8;
        w->n = w->n > 8 ? w->n - 8 : 0;
    }
    w->bits = 0;
}

static inline void put_symbol(struct bit_writer *w, unsigned sym) { put_bits(w, w->literal[sym], w->literal_len[sym]); }

static void open_fixed(struct bit_writer *w)
{
    if (!w->in_fixed_block) {
        put_bits(w, 0x2, 3); /* not final, fixed Huffman codes */
        w->in_fixed_block = true;
    }
}

static void close_fixed(struct bit_writer *w)
{
    if (w->in_fixed_block) {
        put_symbol(w, 256);
        w->in_fixed_block = false;
    }
}

static void put_literals(struct bit_writer *w, const uint8_t *p, size_t n)
{
    if (n < PNG_DEFLATE_MIN_STORED) {
        open_fixed(w);
        for (size_t i = 0; i < n; i++)
            put_symbol(w, p[i]);
        return;
    }
    close_fixed(w);
    while (n > 0) {
        uint16_t chunk = n > 65535 ? 65535 : (uint16_t)n;
        put_bits(w, 0, 3); /* not final, stored */
        align(w);
        put_byte(w, (uint8_t)chunk);
        put_byte(w, (uint8_t)(chunk >> 8));
        put_byte(w, (uint8_t)~chunk);
        put_byte(w, (uint8_t)(~chunk >> 8));
        flush_chunk(w);
        buf_append(w->out, p, chunk);
        p += chunk;
        n -= chunk;
    }
}

/* A back-reference of `len` bytes (any length >= 3) at `distance` (3 or 4: distance
 * codes 2 and 3, five bits, no extra bits). */
static void put_run(struct bit_writer *w, size_t len, int distance)
{
    static const uint16_t base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const uint8_t extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    uint32_t dist_code = reverse((uint32_t)distance - 1, 5);
    open_fixed(w);
    while (len > 0) {
        size_t n = len > 258 ? 258 : len;
        if (len > 258 && len - 258 < 3)
            n = len - 3; /* leave at least 3 for the last piece */
        int code = 28;
        while (base[code] > n)
            code--;
        put_symbol(w, 257u + (unsigned)code);
        if (extra[code])
            put_bits(w, (uint32_t)(n - base[code]), extra[code]);
        put_bits(w, dist_code, 5);
        len -= n;
    }
}

/* The first position >= i where a byte equals the one `distance` before (len when
 * none): eight bytes at a time, the lowest equal byte found with the zero-byte trick
 * on their XOR (little-endian order). */
static size_t next_repeat(const uint8_t *data, size_t len, size_t i, int distance)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (i + 8 <= len) {
        uint64_t a, b;
        memcpy(&a, data + i, 8);
        memcpy(&b, data + i - (size_t)distance, 8);
        uint64_t x = a ^ b, zero = (x - 0x0101010101010101u) & ~x & 0x8080808080808080u;
        if (zero)
            return i + (size_t)__builtin_ctzll(zero) / 8;
        i += 8;
    }
#endif
    while (i < len && data[i] != data[i - (size_t)distance])
        i++;
    return i;
}

/* Length of the run starting at i: bytes equal to the one `distance` before. */
static size_t run_length(const uint8_t *data, size_t len, size_t i, int distance)
{
    size_t j = i;
    while (j + 8 <= len) {
        uint64_t a, b;
        memcpy(&a, data + j, 8);
        memcpy(&b, data + j - (size_t)distance, 8);
        if (a != b)
            break;
        j += 8;
    }
    while (j < len && data[j] == data[j - (size_t)distance])
        j++;
    return j - i;
}

bool png_deflate(const uint8_t *data, size_t len, int pixel_bytes, struct buf *out)
{
    struct bit_writer *w = malloc(sizeof *w); /* 17 KiB: not on a worker's stack */
    if (!w)
        return false;
    *w = (struct bit_writer){.out = out};
    fixed_codes(w);
    buf_append(out, "\x78\x01", 2); /* deflate, 32 KiB window, no dictionary */
    size_t literal_start = 0, i = (size_t)pixel_bytes;
    while (i < len) {
        i = next_repeat(data, len, i, pixel_bytes);
        if (i >= len)
            break;
        size_t n = run_length(data, len, i, pixel_bytes);
        if (n >= PNG_DEFLATE_MIN_RUN) {
            put_literals(w, data + literal_start, i - literal_start);
            put_run(w, n, pixel_bytes);
            literal_start = i + n;
        }
        i += n;
    }
    put_literals(w, data + literal_start, len - literal_start);
    close_fixed(w);
    put_bits(w, 0x3, 3); /* final, fixed, empty */
    put_symbol(w, 256);
    align(w);
    flush_chunk(w);
    free(w);
    uint32_t adler = libdeflate_adler32(1, data, len);
    uint8_t tail[4] = {(uint8_t)(adler >> 24), (uint8_t)(adler >> 16), (uint8_t)(adler >> 8), (uint8_t)adler};
    buf_append(out, tail, 4);
    return !out->overflow;
}
