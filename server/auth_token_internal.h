/* Shared between server/auth_token.c (verify, sign) and server/auth_token_keys.c (key
 * loading); nothing else includes it. */
#ifndef RBMAP_SERVER_AUTH_TOKEN_INTERNAL_H
#define RBMAP_SERVER_AUTH_TOKEN_INTERNAL_H
#include "server/auth_token.h"

#include <openssl/evp.h>

enum jwt_alg { JWT_ALG_HS256, JWT_ALG_ES256, JWT_ALG_EDDSA };

struct jwt_keys {
    unsigned char *secret; /* HS256; NULL when not configured */
    size_t secret_len;
    EVP_PKEY *pkey;        /* ES256 or EdDSA; NULL when not configured */
    enum jwt_alg pkey_alg; /* decided by the key's type when it was loaded */
    bool pkey_private;     /* can sign */
};

const char *jwt_alg_name(enum jwt_alg alg);

#endif
