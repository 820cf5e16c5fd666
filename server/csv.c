#include "server/csv.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* The delimiter the header line uses most among ',' ';' and tab (quoted text ignored):
 * French exports (BAN, INSEE) use ';', most others ','. */
static char guess_delim(const char *p, const char *end)
{
    size_t count[3] = {0, 0, 0};
    bool quoted = false;
    for (; p < end && (quoted || (*p != '\n' && *p != '\r')); p++) {
        if (*p == '"') quoted = !quoted;
        else if (!quoted) count[0] += *p == ',', count[1] += *p == ';', count[2] += *p == '\t';
    }
    if (count[1] > count[0] && count[1] >= count[2]) return ';';
    if (count[2] > count[0] && count[2] > count[1]) return '\t';
    return ',';
}

void csv_reader_init(struct csv_reader *r, const char *data, size_t len, char delim)
{
    r->p = data ? data : "";
    r->end = r->p + (data ? len : 0);
    if (r->end - r->p >= 3 && !memcmp(r->p, "\xEF\xBB\xBF", 3)) r->p += 3;
    r->delim = delim ? delim : guess_delim(r->p, r->end);
    r->line = 0;
    buf_init(&r->scratch, CSV_MAX_RECORD + CSV_MAX_FIELDS + 1);
}

void csv_reader_free(struct csv_reader *r) { buf_free(&r->scratch); }

int csv_next(struct csv_reader *r, const char **fields, char *err, size_t errlen)
{
    for (;;) {
        if (r->p >= r->end) return 0;
        buf_reset(&r->scratch);
        r->line++;
        long start_line = r->line;
        const char *rec_start = r->p;
        size_t offs[CSV_MAX_FIELDS];
        int n = 0;
        offs[n++] = 0;
        bool quoted = false, was_quoted = false;
        const char *p = r->p;
        for (; p < r->end; p++) {
            char c = *p;
            if ((size_t)(p - rec_start) > CSV_MAX_RECORD) {
                snprintf(err, errlen, "line %ld: record longer than %d bytes", start_line, CSV_MAX_RECORD);
                return -1;
            }
            if (quoted) {
                if (c == '"' && p + 1 < r->end && p[1] == '"') buf_putc(&r->scratch, '"'), p++;
                else if (c == '"') quoted = false;
                else {
                    if (c == '\n') r->line++;
                    buf_putc(&r->scratch, c);
                }
                continue;
            }
            if (c == '\n' || c == '\r') break;
            if (c == r->delim) {
                if (n == CSV_MAX_FIELDS) {
                    snprintf(err, errlen, "line %ld: more than %d fields", start_line, CSV_MAX_FIELDS);
                    return -1;
                }
                buf_putc(&r->scratch, '\0');
                offs[n++] = r->scratch.len;
                was_quoted = false;
            } else if (c == '"' && !was_quoted && r->scratch.len == offs[n - 1]) {
                quoted = was_quoted = true; /* a quote opens a field only at its start */
            } else {
                buf_putc(&r->scratch, c); /* a stray quote mid-field is kept, as Python's csv does */
            }
        }
        if (quoted) {
            snprintf(err, errlen, "line %ld: unterminated quoted field", start_line);
            return -1;
        }
        if (p < r->end && *p == '\r') p++;
        if (p < r->end && *p == '\n') p++;
        r->p = p;
        buf_putc(&r->scratch, '\0');
        if (r->scratch.overflow) {
            snprintf(err, errlen, "line %ld: out of memory", start_line);
            return -1;
        }
        if (n == 1 && !r->scratch.data[0] && !was_quoted) continue; /* blank line, as csv.DictReader skips */
        for (int i = 0; i < n; i++) fields[i] = r->scratch.data + offs[i];
        return n;
    }
}

void csv_put_field(struct buf *out, const char *s, char delim, int first)
{
    if (!first) buf_putc(out, delim);
    if (!s[strcspn(s, (char[]){delim, '"', '\r', '\n', '\0'})]) {
        buf_puts(out, s);
        return;
    }
    buf_putc(out, '"');
    for (; *s; s++) {
        if (*s == '"') buf_putc(out, '"');
        buf_putc(out, *s);
    }
    buf_putc(out, '"');
}
