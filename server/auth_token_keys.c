/* Key material for server/auth_token.h: loading secrets and PEM keys, and deciding
 * which alg each key serves. The alg comes from the key, never from a token, which is
 * what defeats algorithm confusion. */
#include "server/auth_token_internal.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jwt_keys *jwt_keys_new(void) { return calloc(1, sizeof(struct jwt_keys)); }

void jwt_keys_free(struct jwt_keys *keys)
{
    if (!keys)
        return;
    if (keys->secret) {
        OPENSSL_cleanse(keys->secret, keys->secret_len);
        free(keys->secret);
    }
    EVP_PKEY_free(keys->pkey);
    free(keys);
}

int jwt_keys_set_secret(struct jwt_keys *keys, const void *secret, size_t len, char *err, size_t errlen)
{
    if (len < JWT_MIN_SECRET_LEN) {
        snprintf(err, errlen, "the JWT secret must be at least %d bytes (it has %zu)", JWT_MIN_SECRET_LEN, len);
        return -1;
    }
    unsigned char *copy = malloc(len);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(copy, secret, len);
    if (keys->secret) {
        OPENSSL_cleanse(keys->secret, keys->secret_len);
        free(keys->secret);
    }
    keys->secret = copy;
    keys->secret_len = len;
    return 0;
}

/* Never prompt on a terminal for an encrypted key: a server has nobody to answer. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static void openssl_reason(char *out, size_t outlen)
{
    unsigned long e = ERR_peek_last_error();
    if (e)
        ERR_error_string_n(e, out, outlen);
    else
        snprintf(out, outlen, "no key found");
    ERR_clear_error();
}

int jwt_keys_set_pem(struct jwt_keys *keys, const char *pem, size_t len, char *err, size_t errlen)
{
    bool is_private = memmem(pem, len, "PRIVATE KEY", 11) != NULL;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    EVP_PKEY *pkey = is_private ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)
                                : PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (!pkey) {
        char why[256];
        openssl_reason(why, sizeof why);
        snprintf(err, errlen, "not a PEM %s key (or encrypted): %s", is_private ? "private" : "public", why);
        return -1;
    }
    enum jwt_alg alg;
    int id = EVP_PKEY_get_base_id(pkey);
    if (id == EVP_PKEY_ED25519) {
        alg = JWT_ALG_EDDSA;
    } else if (id == EVP_PKEY_EC) {
        char group[64] = "";
        size_t glen = 0;
        if (!EVP_PKEY_get_group_name(pkey, group, sizeof group, &glen) || strcmp(group, "prime256v1")) {
            snprintf(err, errlen, "EC key on curve '%s': ES256 needs P-256 (prime256v1)", group);
            EVP_PKEY_free(pkey);
            return -1;
        }
        alg = JWT_ALG_ES256;
    } else {
        snprintf(err, errlen, "unsupported key type %s: use an Ed25519 (EdDSA) or P-256 (ES256) key",
                 OBJ_nid2sn(id));
        EVP_PKEY_free(pkey);
        return -1;
    }
    EVP_PKEY_free(keys->pkey);
    keys->pkey = pkey;
    keys->pkey_alg = alg;
    keys->pkey_private = is_private;
    return 0;
}

/* Key files are small; anything over 64 KiB is not a key. */
static char *read_small_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 64 * 1024;
    char *data = malloc(cap + 1);
    size_t n = data ? fread(data, 1, cap + 1, f) : 0;
    fclose(f);
    if (!data || n > cap) {
        snprintf(err, errlen, "%s: %s", path, data ? "larger than 64 KiB" : "out of memory");
        free(data);
        return NULL;
    }
    data[n] = '\0';
    *len = n;
    return data;
}

int jwt_keys_load_pem_file(struct jwt_keys *keys, const char *path, char *err, size_t errlen)
{
    size_t len;
    char *pem = read_small_file(path, &len, err, errlen);
    if (!pem)
        return -1;
    char inner[512];
    int rc = jwt_keys_set_pem(keys, pem, len, inner, sizeof inner);
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, inner);
    OPENSSL_cleanse(pem, len);
    free(pem);
    return rc;
}

int jwt_keys_load_secret_file(struct jwt_keys *keys, const char *path, char *err, size_t errlen)
{
    size_t len;
    char *secret = read_small_file(path, &len, err, errlen);
    if (!secret)
        return -1;
    while (len && (secret[len - 1] == '\n' || secret[len - 1] == '\r' || secret[len - 1] == ' ' ||
                   secret[len - 1] == '\t'))
        len--;
    char inner[256];
    int rc = jwt_keys_set_secret(keys, secret, len, inner, sizeof inner);
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, inner);
    OPENSSL_cleanse(secret, len);
    free(secret);
    return rc;
}

bool jwt_keys_empty(const struct jwt_keys *keys) { return !keys || (!keys->secret && !keys->pkey); }

const char *jwt_alg_name(enum jwt_alg alg)
{
    switch (alg) {
    case JWT_ALG_HS256: return "HS256";
    case JWT_ALG_ES256: return "ES256";
    case JWT_ALG_EDDSA: return "EdDSA";
    }
    return "?";
}

const char *jwt_keys_signing_alg(const struct jwt_keys *keys)
{
    if (keys && keys->pkey && keys->pkey_private)
        return jwt_alg_name(keys->pkey_alg);
    if (keys && keys->secret)
        return "HS256";
    return NULL;
}
