/* RFC 4180 CSV reading for the batch geocoder (server/csv.c), then writing each record
 * back with csv_put_field and reading it again: the same fields must come out.
 * Input: first byte picks the delimiter (',' ';' tab, or guess), the rest is the file. */
#include "fuzz/fuzz_util.h"
#include "server/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    static const char delims[4] = {0, ',', ';', '\t'};
    char delim = delims[data[0] & 3];
    size_t len = size - 1;
    char *text = malloc(len ? len : 1); /* exact size: ASan catches overreads */
    memcpy(text, data + 1, len);
    struct csv_reader r;
    csv_reader_init(&r, text, len, delim);
    const char *fields[CSV_MAX_FIELDS];
    char err[256];
    int n;
    while ((n = csv_next(&r, fields, err, sizeof err)) > 0) {
        if (n > CSV_MAX_FIELDS)
            abort();
        char d = r.delim;
        struct buf out;
        buf_init(&out, 0);
        for (int i = 0; i < n; i++)
            csv_put_field(&out, fields[i], d, i == 0);
        buf_putc(&out, '\n');
        /* Reading our own output back must give the same record, unless it is blank
         * (a record of one empty field is skipped as a blank line) or starts with a BOM. */
        bool blank = n == 1 && !fields[0][0];
        bool bom = !strncmp(fields[0], "\xEF\xBB\xBF", 3);
        if (!blank && !bom && out.data) {
            struct csv_reader again;
            csv_reader_init(&again, out.data, out.len, d);
            const char *f2[CSV_MAX_FIELDS];
            int n2 = csv_next(&again, f2, err, sizeof err);
            if (n2 != n) {
                fprintf(stderr, "csv round trip: %d fields became %d: %s\n", n, n2, out.data);
                abort();
            }
            for (int i = 0; i < n; i++)
                if (strcmp(f2[i], fields[i])) {
                    fprintf(stderr, "csv round trip: field %d '%s' became '%s'\n", i, fields[i], f2[i]);
                    abort();
                }
            csv_reader_free(&again);
        }
        buf_free(&out);
    }
    csv_reader_free(&r);
    free(text);
    return 0;
}
