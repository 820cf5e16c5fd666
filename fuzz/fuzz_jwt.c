/* JWT verification (server/auth_token.c) with a fixed HS256 secret, and the claims'
 * meaning (server/auth_scope.c, no territory index). Two modes, by the first byte:
 *   'T' + token: the raw compact token, as a client sends it (forgeries, garbage);
 *   otherwise:   header JSON, newline, payload JSON, signed here with the server's
 *                secret, so the fuzzer reaches the header and claims checks behind the
 *                signature. A token that verifies must have passed the promised checks
 *                (exp present and not past, aud "rbmap"). */
#include "fuzz/fuzz_util.h"
#include "server/auth_scope.h"
#include "server/auth_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

static const char SECRET[] = "fuzzing-secret-of-at-least-32-bytes!!";
static const time_t NOW = 1750000000;
static struct jwt_keys *keys;

static char *craft(const char *header, size_t hlen, const char *payload, size_t plen)
{
    char *out = malloc(4 * (hlen + plen) / 3 + 128);
    size_t n = base64url_encode((const unsigned char *)header, hlen, out);
    out[n++] = '.';
    n += base64url_encode((const unsigned char *)payload, plen, out + n);
    unsigned char mac[32];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (unsigned char *)out, n, mac, &mac_len);
    out[n++] = '.';
    n += base64url_encode(mac, mac_len, out + n);
    out[n] = '\0';
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char reason[256];
    if (!keys) {
        keys = jwt_keys_new();
        if (jwt_keys_set_secret(keys, SECRET, strlen(SECRET), reason, sizeof reason))
            abort();
    }
    if (size > 16384)
        return 0;
    struct jwt_policy policy = {.audience = "rbmap", .clock_skew_s = 60};
    char *token;
    size_t len;
    if (size && data[0] == 'T') {
        token = fuzz_cstr(data + 1, size - 1);
        len = size - 1; /* NUL bytes included: the verifier gets a length */
    } else {
        const char *f[2];
        struct fuzz_fields ff;
        fuzz_fields(&ff, data, size, '\n', f, 2);
        token = craft(f[0], strlen(f[0]), f[1], ff.rest_len);
        len = strlen(token);
        fuzz_fields_free(&ff);
    }
    json_t *claims = jwt_verify(keys, &policy, token, len, NOW, reason, sizeof reason);
    if (claims) {
        json_t *exp = json_object_get(claims, "exp");
        if (!json_is_number(exp) || json_number_value(exp) + 60 < (double)NOW) {
            fprintf(stderr, "verified a token without a valid exp\n");
            abort();
        }
        struct scope scope;
        (void)auth_scope_from_claims(claims, NULL, &scope, reason, sizeof reason);
        json_decref(claims);
    } else if (!reason[0] || memchr(reason, '\0', sizeof reason) == NULL) {
        abort();
    }
    free(token);
    return 0;
}
