/* JWT verification and signing (see server/auth_token.h for what is promised). */
#include "server/auth_token_internal.h"

#include <math.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int b64_digit(char c, bool url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

int base64_decode(const char *in, size_t len, bool url, unsigned char *out, size_t cap, size_t *outlen)
{
    if (!url) {
        size_t pad = 0;
        while (pad < 2 && len > pad && in[len - 1 - pad] == '=')
            pad++;
        if (len % 4)
            return -1;
        len -= pad;
        if ((pad == 1 && len % 4 != 3) || (pad == 2 && len % 4 != 2))
            return -1;
    }
    if (len % 4 == 1)
        return -1;
    size_t need = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    if (need > cap)
        return -1;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int d = b64_digit(in[i], url);
        if (d < 0)
            return -1;
        acc = ((acc << 6) | (uint32_t)d) & 0xffffu;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    if (acc & ((1u << bits) - 1)) /* non-canonical: leftover bits must be zero */
        return -1;
    *outlen = o;
    return 0;
}

size_t base64url_encode(const unsigned char *in, size_t len, char *out)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        if (i + 1 < len)
            out[o++] = alphabet[(v >> 6) & 63];
        if (i + 2 < len)
            out[o++] = alphabet[v & 63];
    }
    out[o] = '\0';
    return o;
}

/* A value from a token, reduced to characters that are safe in logs and headers. */
static void sanitize(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    for (; in && *in && o + 1 < outlen && o < 20; in++)
        out[o++] = (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-._", *in)) ? *in : '?';
    out[o] = '\0';
}

/* ES256 signatures are r||s, 32 bytes each (RFC 7518 §3.4); libcrypto wants DER. */
static int es256_raw_to_der(const unsigned char *sig, unsigned char **der, int *der_len)
{
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *ss = BN_bin2bn(sig + 32, 32, NULL);
    if (!s || !r || !ss || !ECDSA_SIG_set0(s, r, ss)) {
        BN_free(r);
        BN_free(ss);
        ECDSA_SIG_free(s);
        return -1;
    }
    *der = NULL;
    *der_len = i2d_ECDSA_SIG(s, der);
    ECDSA_SIG_free(s);
    return *der_len > 0 ? 0 : -1;
}

static bool verify_signature(const struct jwt_keys *keys, enum jwt_alg alg, const char *msg, size_t msg_len,
                             const unsigned char *sig, size_t sig_len)
{
    if (alg == JWT_ALG_HS256) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int mac_len = 0;
        if (!HMAC(EVP_sha256(), keys->secret, (int)keys->secret_len, (const unsigned char *)msg, msg_len, mac,
                  &mac_len))
            return false;
        return sig_len == mac_len && CRYPTO_memcmp(mac, sig, mac_len) == 0;
    }
    if (sig_len != 64)
        return false;
    unsigned char *der = NULL;
    int der_len = 0;
    if (alg == JWT_ALG_ES256 && es256_raw_to_der(sig, &der, &der_len) < 0)
        return false;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const EVP_MD *md = alg == JWT_ALG_ES256 ? EVP_sha256() : NULL; /* Ed25519 hashes internally */
    bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, keys->pkey) == 1 &&
              EVP_DigestVerify(ctx, der ? der : sig, der ? (size_t)der_len : sig_len, (const unsigned char *)msg,
                               msg_len) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    ERR_clear_error();
    return ok;
}

/* The alg named in a header, if this key set can verify it. */
static int header_alg(const json_t *header, const struct jwt_keys *keys, enum jwt_alg *alg, char *reason,
                      size_t reasonlen)
{
    const char *name = json_string_value(json_object_get(header, "alg"));
    if (!name) {
        snprintf(reason, reasonlen, "header has no alg");
        return -1;
    }
    if (json_object_get(header, "crit")) {
        snprintf(reason, reasonlen, "critical header extensions are not supported");
        return -1;
    }
    if (!strcmp(name, "HS256"))
        *alg = JWT_ALG_HS256;
    else if (!strcmp(name, "ES256"))
        *alg = JWT_ALG_ES256;
    else if (!strcmp(name, "EdDSA") || !strcmp(name, "Ed25519"))
        *alg = JWT_ALG_EDDSA;
    else {
        char safe[24];
        sanitize(name, safe, sizeof safe);
        snprintf(reason, reasonlen, "alg '%s' is not accepted", safe);
        return -1;
    }
    bool have = *alg == JWT_ALG_HS256 ? keys->secret != NULL : keys->pkey != NULL && keys->pkey_alg == *alg;
    if (!have) {
        snprintf(reason, reasonlen, "alg %s does not match the configured key", jwt_alg_name(*alg));
        return -1;
    }
    return 0;
}

/* 1 present, 0 absent, -1 not a finite number. */
static int numeric_claim(const json_t *claims, const char *name, double *out)
{
    const json_t *v = json_object_get(claims, name);
    if (!v)
        return 0;
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return -1;
    *out = json_number_value(v);
    return 1;
}

static int check_times(const json_t *claims, time_t now_t, int skew, char *reason, size_t reasonlen)
{
    double now = (double)now_t, exp = 0, nbf = 0, iat = 0;
    int has_exp = numeric_claim(claims, "exp", &exp), has_nbf = numeric_claim(claims, "nbf", &nbf),
        has_iat = numeric_claim(claims, "iat", &iat);
    const char *why = NULL;
    if (has_exp < 0 || has_nbf < 0 || has_iat < 0)
        why = "exp, nbf and iat must be numbers";
    else if (!has_exp)
        why = "token has no exp";
    else if (now - skew >= exp)
        why = "token expired";
    else if (has_nbf && now + skew < nbf)
        why = "token not yet valid (nbf)";
    else if (has_iat && now + skew < iat)
        why = "token issued in the future (iat)";
    else if (has_iat && iat > exp)
        why = "token expires before it was issued";
    if (why)
        snprintf(reason, reasonlen, "%s", why);
    return why ? -1 : 0;
}

static int check_audience(const json_t *claims, const char *audience, char *reason, size_t reasonlen)
{
    if (!audience || !*audience)
        return 0;
    const json_t *aud = json_object_get(claims, "aud");
    if (json_is_string(aud) && !strcmp(json_string_value(aud), audience))
        return 0;
    if (json_is_array(aud)) {
        size_t i;
        const json_t *v;
        json_array_foreach(aud, i, v)
        {
            if (json_is_string(v) && !strcmp(json_string_value(v), audience))
                return 0;
        }
    }
    snprintf(reason, reasonlen, aud ? "token is for another audience" : "token has no aud");
    return -1;
}

static json_t *decode_json_part(const char *part, size_t len, unsigned char *scratch)
{
    size_t n;
    if (base64_decode(part, len, true, scratch, len, &n) < 0)
        return NULL;
    json_t *doc = json_loadb((const char *)scratch, n, JSON_REJECT_DUPLICATES, NULL);
    if (doc && !json_is_object(doc)) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

json_t *jwt_verify(const struct jwt_keys *keys, const struct jwt_policy *policy, const char *token, size_t len,
                   time_t now, char *reason, size_t reasonlen)
{
    size_t max_len = policy->max_len ? policy->max_len : JWT_MAX_LEN;
    if (len > max_len) {
        snprintf(reason, reasonlen, "token longer than %zu bytes", max_len);
        return NULL;
    }
    if (jwt_keys_empty(keys)) {
        snprintf(reason, reasonlen, "tokens are not accepted: no key configured");
        return NULL;
    }
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot1 || !dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) || dot1 == token ||
        dot2 == dot1 + 1) {
        snprintf(reason, reasonlen, "not a signed JWT (header.payload.signature)");
        return NULL;
    }
    unsigned char *scratch = malloc(len + 1);
    if (!scratch) {
        snprintf(reason, reasonlen, "out of memory");
        return NULL;
    }
    json_t *header = decode_json_part(token, (size_t)(dot1 - token), scratch), *claims = NULL;
    enum jwt_alg alg = JWT_ALG_HS256;
    size_t sig_len = 0;
    if (!header)
        snprintf(reason, reasonlen, "malformed header");
    else if (header_alg(header, keys, &alg, reason, reasonlen) < 0)
        ;
    else if (base64_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), true, scratch, len, &sig_len) < 0)
        snprintf(reason, reasonlen, "malformed signature");
    else if (!verify_signature(keys, alg, token, (size_t)(dot2 - token), scratch, sig_len))
        snprintf(reason, reasonlen, "bad signature");
    else if (!(claims = decode_json_part(dot1 + 1, (size_t)(dot2 - dot1 - 1), scratch)))
        snprintf(reason, reasonlen, "malformed payload");
    else if (check_times(claims, now, policy->clock_skew_s, reason, reasonlen) < 0 ||
             check_audience(claims, policy->audience, reason, reasonlen) < 0) {
        json_decref(claims);
        claims = NULL;
    }
    json_decref(header);
    free(scratch);
    return claims;
}

/* libcrypto's ES256 signature is DER; JWS wants r||s, 32 bytes each. */
static int es256_der_to_raw(const unsigned char *der, size_t der_len, unsigned char out[64])
{
    const unsigned char *p = der;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (!s)
        return -1;
    const BIGNUM *r, *ss;
    ECDSA_SIG_get0(s, &r, &ss);
    int ok = BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(ss, out + 32, 32) == 32;
    ECDSA_SIG_free(s);
    return ok ? 0 : -1;
}

static int sign_bytes(const struct jwt_keys *keys, bool use_pkey, const char *msg, size_t msg_len,
                      unsigned char *sig, size_t *sig_len)
{
    if (!use_pkey) {
        unsigned int n = 0;
        if (!HMAC(EVP_sha256(), keys->secret, (int)keys->secret_len, (const unsigned char *)msg, msg_len, sig, &n))
            return -1;
        *sig_len = n;
        return 0;
    }
    bool es = keys->pkey_alg == JWT_ALG_ES256;
    unsigned char der[160];
    size_t der_len = sizeof der;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestSignInit(ctx, NULL, es ? EVP_sha256() : NULL, NULL, keys->pkey) == 1 &&
              EVP_DigestSign(ctx, es ? der : sig, &der_len, (const unsigned char *)msg, msg_len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return -1;
    if (!es) {
        *sig_len = der_len;
        return 0;
    }
    *sig_len = 64;
    return es256_der_to_raw(der, der_len, sig);
}

char *jwt_sign(const struct jwt_keys *keys, const json_t *claims, char *err, size_t errlen)
{
    const char *alg = jwt_keys_signing_alg(keys);
    if (!alg) {
        snprintf(err, errlen, "no signing key: configure jwt_secret or jwt_private_key_file");
        return NULL;
    }
    bool use_pkey = keys->pkey && keys->pkey_private;
    json_t *header = json_pack("{s:s,s:s}", "alg", alg, "typ", "JWT");
    char *h = json_dumps(header, JSON_COMPACT), *p = json_dumps(claims, JSON_COMPACT);
    json_decref(header);
    char *out = NULL;
    if (h && p && strlen(h) + strlen(p) < JWT_MAX_LEN) {
        size_t hl = strlen(h), pl = strlen(p);
        out = malloc((hl + pl + 64) * 4 / 3 + 128);
    }
    unsigned char sig[EVP_MAX_MD_SIZE + 64];
    size_t sig_len = 0, n = 0;
    if (out) {
        n = base64url_encode((const unsigned char *)h, strlen(h), out);
        out[n++] = '.';
        n += base64url_encode((const unsigned char *)p, strlen(p), out + n);
        if (sign_bytes(keys, use_pkey, out, n, sig, &sig_len) < 0) {
            free(out);
            out = NULL;
        }
    }
    if (out) {
        out[n++] = '.';
        base64url_encode(sig, sig_len, out + n);
    } else {
        snprintf(err, errlen, "cannot sign the token (%s)", h && p ? "signing failed" : "out of memory");
    }
    free(h);
    free(p);
    return out;
}
