/* A growable byte buffer: the one way rbmap builds text and binary output.
 * Every append is bounded by a caller-chosen limit so that no client input can make
 * the server allocate without bound; once the limit is hit the buffer is marked
 * `overflow` and further appends are ignored. */
#ifndef RBMAP_UTIL_BUF_H
#define RBMAP_UTIL_BUF_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
    char *data;    /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t limit;  /* 0 = BUF_DEFAULT_LIMIT */
    bool overflow; /* an append was refused (limit) or allocation failed */
};

#define BUF_DEFAULT_LIMIT ((size_t)512 * 1024 * 1024)

void buf_init(struct buf *b, size_t limit);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
bool buf_append(struct buf *b, const void *data, size_t len);
bool buf_puts(struct buf *b, const char *s);
bool buf_putc(struct buf *b, char c);
bool buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Hands the data to the caller (who frees it) and resets the buffer. */
char *buf_detach(struct buf *b, size_t *len);

#endif
