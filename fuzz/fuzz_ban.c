/* BAN import lines (geo/geocode_build.c, static: included): the header line decides
 * the format like import_file does ('{' = addok NDJSON, else a ';' CSV header whose
 * columns are looked up), then every further line goes through split_semicolons +
 * csv_row or ndjson_row into a builder, which is freed at the end.
 * Input: a small file, lines separated by '\n'. */
#include "geo/geocode_build.c"

#include "fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    char *text = fuzz_cstr(data, size);
    struct builder b = {0};
    char *f[64];
    int col[C_N], mode = 0;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[len - 1] = '\0';
        if (mode == 0) {
            if (line[0] == '{') {
                mode = 2;
            } else {
                int nf = split_semicolons(line, f, 64);
                if (nf < 1 || nf > 64)
                    abort();
                for (int c = 0; c < C_N; c++) {
                    col[c] = 999;
                    for (int i = 0; i < nf; i++)
                        if (!strcmp(f[i], csv_names[c][0]) || (csv_names[c][1] && !strcmp(f[i], csv_names[c][1])))
                            col[c] = i;
                    if (col[c] == 999 && c != C_FANTOIR && c != C_REP)
                        goto done; /* not a BAN header: import_file stops here */
                }
                mode = 1;
                continue;
            }
        }
        if (!*line)
            continue;
        if (mode == 2) {
            (void)ndjson_row(&b, line);
        } else {
            int nf = split_semicolons(line, f, 64);
            (void)csv_row(&b, f, nf, col);
        }
    }
done:
    builder_free(&b);
    free(text);
    return 0;
}
