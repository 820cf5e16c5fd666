/* multipart/form-data decoding (server/multipart.c): any Content-Type and body; parts
 * returned must lie inside the body and have NUL-terminated names.
 * Input: the Content-Type line, '\n', then the body (any bytes). */
#include "fuzz/fuzz_util.h"
#include "server/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *f[2];
    struct fuzz_fields ff;
    fuzz_fields(&ff, data, size, '\n', f, 2);
    /* The body in its own allocation of exactly its size, so ASan sees any overread. */
    char *body = malloc(ff.rest_len ? ff.rest_len : 1);
    memcpy(body, f[1], ff.rest_len);
    struct mp_part parts[MULTIPART_MAX_PARTS];
    char err[256];
    int n = multipart_parse(f[0], body, ff.rest_len, parts, MULTIPART_MAX_PARTS, err, sizeof err);
    if (n > MULTIPART_MAX_PARTS)
        abort();
    for (int i = 0; i < n; i++) {
        if (parts[i].data < body || parts[i].data + parts[i].len > body + ff.rest_len)
            abort();
        if (!memchr(parts[i].name, '\0', sizeof parts[i].name) || !memchr(parts[i].filename, '\0', sizeof parts[i].filename))
            abort();
        if (multipart_get(parts, n, parts[i].name) == NULL)
            abort();
    }
    free(body);
    fuzz_fields_free(&ff);
    return 0;
}
