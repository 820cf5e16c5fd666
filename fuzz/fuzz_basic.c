/* The API key's "Authorization: Basic <base64>" credentials (server/auth_keys.c
 * api_key_parse_basic, server/auth_token.c base64_decode): whatever the input, a
 * success gives NUL-terminated id and secret within their bounds, and the decoder's
 * strictness means encoding "id:secret" back gives the same text.
 * Input: the base64 text after "Basic ". */
#include "fuzz/fuzz_util.h"
#include "server/auth_keys.h"
#include "server/auth_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *b64 = fuzz_cstr(data, size);
    char id[API_KEY_ID_MAX + 1], secret[API_KEY_SECRET_MAX + 1];
    memset(id, 'x', sizeof id);
    memset(secret, 'x', sizeof secret);
    if (api_key_parse_basic(b64, id, secret) == 0) {
        if (!memchr(id, '\0', sizeof id) || !memchr(secret, '\0', sizeof secret))
            abort();
    }
    unsigned char out[512];
    size_t outlen;
    if (base64_decode(b64, strlen(b64), false, out, sizeof out, &outlen) == 0 && outlen > sizeof out)
        abort();
    if (base64_decode(b64, strlen(b64), true, out, sizeof out, &outlen) == 0) {
        /* base64url without padding has exactly one spelling per value. */
        char again[1024];
        size_t n = base64url_encode(out, outlen, again);
        if (n != strlen(b64) || memcmp(again, b64, n)) {
            fprintf(stderr, "base64url: '%s' decodes but re-encodes as '%.*s'\n", b64, (int)n, again);
            abort();
        }
    }
    free(b64);
    return 0;
}
