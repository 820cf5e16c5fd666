/* Signed tokens (JWT, RFC 7519, compact JWS) verified and signed with OpenSSL's
 * libcrypto alone: HS256 with a shared secret, ES256 (P-256) and EdDSA (Ed25519) with a
 * key pair. This module promises that jwt_verify returns claims only when
 *   - the token is at most policy->max_len bytes, three strict base64url parts;
 *   - the header's alg is one this key set holds a key for (never "none", never HS256
 *     against a public key: each alg is checked against its own key only), no "crit";
 *   - the signature verifies, before the payload is even parsed;
 *   - exp is present and not past, nbf (if any) is reached, iat (if any) is not in the
 *     future and not after exp, all within policy->clock_skew_s;
 *   - aud (string or array of strings) contains policy->audience when one is set.
 * What the claims mean (areas, flags) is server/auth_scope.c's business. */
#ifndef RBMAP_SERVER_AUTH_TOKEN_H
#define RBMAP_SERVER_AUTH_TOKEN_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define JWT_MAX_LEN 8192       /* longer tokens are refused before any decoding */
#define JWT_MIN_SECRET_LEN 32  /* RFC 7518 §3.2: an HS256 key has at least 256 bits */

struct jwt_keys; /* an HMAC secret and/or one ES256 or Ed25519 key (public or private) */

struct jwt_keys *jwt_keys_new(void);
void jwt_keys_free(struct jwt_keys *keys);
/* The secret's bytes are used as they are (as the platform's JWT library does with a
 * string secret); shorter than JWT_MIN_SECRET_LEN is refused. */
int jwt_keys_set_secret(struct jwt_keys *keys, const void *secret, size_t len, char *err, size_t errlen);
/* A PEM public key, or a private key (which also verifies). The type decides the alg:
 * Ed25519 -> EdDSA, EC P-256 -> ES256; anything else is refused. Encrypted private
 * keys are refused rather than prompting for a pass phrase. */
int jwt_keys_set_pem(struct jwt_keys *keys, const char *pem, size_t len, char *err, size_t errlen);
int jwt_keys_load_pem_file(struct jwt_keys *keys, const char *path, char *err, size_t errlen);
/* Reads a secret file; trailing white space (the newline editors add) is dropped. */
int jwt_keys_load_secret_file(struct jwt_keys *keys, const char *path, char *err, size_t errlen);
bool jwt_keys_empty(const struct jwt_keys *keys);
/* "HS256", "ES256", "EdDSA": what jwt_sign would use; NULL when it cannot sign. */
const char *jwt_keys_signing_alg(const struct jwt_keys *keys);

struct jwt_policy {
    const char *audience; /* NULL or "" = aud not checked */
    int clock_skew_s;
    size_t max_len;       /* 0 = JWT_MAX_LEN */
};

/* The verified claims (an object the caller decrefs), or NULL with a short reason safe
 * to log and to send to the client (it never contains the token). */
json_t *jwt_verify(const struct jwt_keys *keys, const struct jwt_policy *policy, const char *token, size_t len,
                   time_t now, char *reason, size_t reasonlen);

/* A compact token for claims, signed with the private key if the set has one, else
 * with the secret. Returns a malloc'd string, or NULL with err. */
char *jwt_sign(const struct jwt_keys *keys, const json_t *claims, char *err, size_t errlen);

/* Strict base64: url = base64url without padding (JWS); otherwise the standard
 * alphabet with exact padding (HTTP Basic). Non-zero trailing bits are refused so every
 * value has one encoding. Returns 0, or -1 when malformed or larger than cap. */
int base64_decode(const char *in, size_t len, bool url, unsigned char *out, size_t cap, size_t *outlen);
/* base64url without padding; out must hold 4 * ceil(len / 3) + 1 bytes. */
size_t base64url_encode(const unsigned char *in, size_t len, char *out);

#endif
