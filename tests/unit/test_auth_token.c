/* JWT verification (server/auth_token.h), the scope rules that need no territory
 * index (server/auth_scope.h) and API key hashing (server/auth_keys.h). Keys are
 * generated here with OpenSSL; tokens are signed by jwt_sign or crafted by hand for
 * the attacks (alg none, algorithm confusion, tampering). */
#include "server/auth_keys.h"
#include "server/auth_scope.h"
#include "server/auth_token.h"
#include "server/auth_token_cache.h"
#include "unit.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

static const char SECRET[] = "0123456789abcdef0123456789abcdef-test-secret";
static const time_t NOW = 1800000000;

static json_t *claims_at(long exp_offset, const char *aud)
{
    return json_pack("{s:s,s:s,s:I,s:I,s:[s],s:[s]}", "sub", "42", "aud", aud, "iat", (json_int_t)NOW - 300, "exp",
                     (json_int_t)(NOW + exp_offset), "areas", "departement:93", "flags", "justice");
}

static struct jwt_keys *secret_keys(const char *secret)
{
    struct jwt_keys *k = jwt_keys_new();
    char err[256];
    CHECK(jwt_keys_set_secret(k, secret, strlen(secret), err, sizeof err) == 0);
    return k;
}

/* A fresh key pair as PEM text: private (to sign) and public (to verify). */
static void make_pair(const char *type, const char *curve, char **priv_pem, char **pub_pem)
{
    EVP_PKEY *pkey = curve ? EVP_PKEY_Q_keygen(NULL, NULL, type, curve) : EVP_PKEY_Q_keygen(NULL, NULL, type);
    CHECK(pkey != NULL);
    BIO *a = BIO_new(BIO_s_mem()), *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(a, pkey, NULL, NULL, 0, NULL, NULL);
    PEM_write_bio_PUBKEY(b, pkey);
    char *p;
    long n = BIO_get_mem_data(a, &p);
    *priv_pem = strndup(p, (size_t)n);
    n = BIO_get_mem_data(b, &p);
    *pub_pem = strndup(p, (size_t)n);
    BIO_free(a);
    BIO_free(b);
    EVP_PKEY_free(pkey);
}

static struct jwt_keys *pem_keys(const char *pem)
{
    struct jwt_keys *k = jwt_keys_new();
    char err[512] = "";
    int rc = jwt_keys_set_pem(k, pem, strlen(pem), err, sizeof err);
    if (rc)
        fprintf(stderr, "  pem: %s\n", err);
    CHECK(rc == 0);
    return k;
}

static const struct jwt_policy POLICY = {.audience = "rbmap", .clock_skew_s = 60, .max_len = 0};

/* Verifies and returns 1 on success; the reason is kept for the caller's checks. */
static char last_reason[256];
static int verifies(const struct jwt_keys *k, const char *token)
{
    last_reason[0] = '\0';
    json_t *c = jwt_verify(k, &POLICY, token, strlen(token), NOW, last_reason, sizeof last_reason);
    json_decref(c);
    return c != NULL;
}

static char *sign(const struct jwt_keys *k, json_t *claims)
{
    char err[256];
    char *t = jwt_sign(k, claims, err, sizeof err);
    json_decref(claims);
    CHECK(t != NULL);
    return t;
}

/* header.payload signed with HMAC under any key bytes: how an attacker forges. */
static char *craft(const char *header, const char *payload, const void *hmac_key, size_t key_len)
{
    char *out = malloc(4096);
    size_t n = base64url_encode((const unsigned char *)header, strlen(header), out);
    out[n++] = '.';
    n += base64url_encode((const unsigned char *)payload, strlen(payload), out + n);
    unsigned char mac[32];
    unsigned int mac_len = 0;
    if (hmac_key)
        HMAC(EVP_sha256(), hmac_key, (int)key_len, (unsigned char *)out, n, mac, &mac_len);
    out[n++] = '.';
    base64url_encode(mac, mac_len, out + n);
    return out;
}

static void test_hs256_valid_and_claims(void)
{
    struct jwt_keys *k = secret_keys(SECRET);
    char *t = sign(k, claims_at(3600, "rbmap"));
    CHECK(strncmp(t, "eyJhbGciOiJIUzI1NiIs", 20) == 0); /* {"alg":"HS256", */
    char reason[256];
    json_t *c = jwt_verify(k, &POLICY, t, strlen(t), NOW, reason, sizeof reason);
    CHECK(c != NULL);
    CHECK_STR(json_string_value(json_object_get(c, "sub")), "42");
    json_decref(c);
    struct jwt_keys *other = secret_keys("another-secret-another-secret-another-secret");
    CHECK(!verifies(other, t));
    CHECK_STR(last_reason, "bad signature");
    free(t);
    jwt_keys_free(k);
    jwt_keys_free(other);
}

static void test_short_secret_refused(void)
{
    struct jwt_keys *k = jwt_keys_new();
    char err[256];
    CHECK(jwt_keys_set_secret(k, "short", 5, err, sizeof err) < 0);
    CHECK(jwt_keys_empty(k));
    jwt_keys_free(k);
}

static void test_asymmetric(const char *type, const char *curve, const char *alg_prefix)
{
    char *priv, *pub, *priv2, *pub2;
    make_pair(type, curve, &priv, &pub);
    make_pair(type, curve, &priv2, &pub2);
    struct jwt_keys *signer = pem_keys(priv), *verifier = pem_keys(pub), *stranger = pem_keys(pub2);
    CHECK(jwt_keys_signing_alg(verifier) == NULL); /* a public key cannot sign */
    char *t = sign(signer, claims_at(3600, "rbmap"));
    CHECK(strncmp(t, alg_prefix, strlen(alg_prefix)) == 0);
    CHECK(verifies(verifier, t));
    CHECK(verifies(signer, t));
    CHECK(!verifies(stranger, t)); /* signed with another key */
    CHECK_STR(last_reason, "bad signature");
    /* Tampered signature: flip one character of the last part. */
    size_t n = strlen(t);
    t[n - 3] = t[n - 3] == 'A' ? 'B' : 'A';
    CHECK(!verifies(verifier, t));
    /* Algorithm confusion: HS256 with the public key PEM as the HMAC secret. */
    char *forged = craft("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
                         "{\"sub\":\"1\",\"aud\":\"rbmap\",\"exp\":1900000000,\"areas\":[\"national\"]}", pub,
                         strlen(pub));
    CHECK(!verifies(verifier, forged));
    CHECK_STR(last_reason, "alg HS256 does not match the configured key");
    free(forged);
    free(t);
    jwt_keys_free(signer);
    jwt_keys_free(verifier);
    jwt_keys_free(stranger);
    free(priv), free(pub), free(priv2), free(pub2);
}

static void test_es256(void) { test_asymmetric("EC", "P-256", "eyJhbGciOiJFUzI1NiIs"); }
static void test_eddsa(void) { test_asymmetric("ED25519", NULL, "eyJhbGciOiJFZERTQSIs"); }

static void test_key_types(void)
{
    char *priv, *pub;
    make_pair("EC", "P-384", &priv, &pub);
    struct jwt_keys *k = jwt_keys_new();
    char err[512];
    CHECK(jwt_keys_set_pem(k, pub, strlen(pub), err, sizeof err) < 0); /* ES384 curve: not ES256 */
    CHECK(strstr(err, "P-256") != NULL);
    const char *junk = "-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----\n";
    CHECK(jwt_keys_set_pem(k, junk, strlen(junk), err, sizeof err) < 0);
    CHECK(jwt_keys_empty(k));
    free(priv), free(pub);
    /* An EdDSA token against an ES256 key: the alg must match the key's type. */
    char *ed_priv, *ed_pub, *ec_priv, *ec_pub;
    make_pair("ED25519", NULL, &ed_priv, &ed_pub);
    make_pair("EC", "P-256", &ec_priv, &ec_pub);
    struct jwt_keys *ed = pem_keys(ed_priv), *ec = pem_keys(ec_pub);
    char *t = sign(ed, claims_at(3600, "rbmap"));
    CHECK(!verifies(ec, t));
    CHECK_STR(last_reason, "alg EdDSA does not match the configured key");
    free(t);
    jwt_keys_free(ed), jwt_keys_free(ec), jwt_keys_free(k);
    free(ed_priv), free(ed_pub), free(ec_priv), free(ec_pub);
}

static void test_times(void)
{
    struct jwt_keys *k = secret_keys(SECRET);
    char *t = sign(k, claims_at(-120, "rbmap"));
    CHECK(!verifies(k, t));
    CHECK_STR(last_reason, "token expired");
    free(t);
    t = sign(k, claims_at(-30, "rbmap")); /* expired 30 s ago: within the 60 s skew */
    CHECK(verifies(k, t));
    free(t);
    json_t *c = claims_at(3600, "rbmap");
    json_object_set_new(c, "nbf", json_integer(NOW + 120));
    t = sign(k, c);
    CHECK(!verifies(k, t));
    CHECK_STR(last_reason, "token not yet valid (nbf)");
    free(t);
    c = claims_at(3600, "rbmap");
    json_object_set_new(c, "nbf", json_integer(NOW + 30));
    t = sign(k, c);
    CHECK(verifies(k, t));
    free(t);
    c = claims_at(3600, "rbmap");
    json_object_set_new(c, "iat", json_integer(NOW + 600));
    t = sign(k, c);
    CHECK(!verifies(k, t));
    free(t);
    c = claims_at(3600, "rbmap");
    json_object_del(c, "exp");
    t = sign(k, c);
    CHECK(!verifies(k, t));
    CHECK_STR(last_reason, "token has no exp");
    free(t);
    c = claims_at(3600, "rbmap");
    json_object_set_new(c, "exp", json_string("tomorrow"));
    t = sign(k, c);
    CHECK(!verifies(k, t));
    free(t);
    jwt_keys_free(k);
}

static void test_audience(void)
{
    struct jwt_keys *k = secret_keys(SECRET);
    char *t = sign(k, claims_at(3600, "another-service"));
    CHECK(!verifies(k, t));
    CHECK_STR(last_reason, "token is for another audience");
    free(t);
    json_t *c = claims_at(3600, "x");
    json_object_set_new(c, "aud", json_pack("[s,s]", "platform", "rbmap"));
    t = sign(k, c);
    CHECK(verifies(k, t));
    free(t);
    c = claims_at(3600, "x");
    json_object_del(c, "aud");
    t = sign(k, c);
    CHECK(!verifies(k, t));
    CHECK_STR(last_reason, "token has no aud");
    free(t);
    jwt_keys_free(k);
}

static void test_alg_none_and_forms(void)
{
    struct jwt_keys *k = secret_keys(SECRET);
    const char *payload = "{\"sub\":\"1\",\"aud\":\"rbmap\",\"exp\":1900000000,\"areas\":[\"national\"]}";
    char *t = craft("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, NULL, 0);
    CHECK(!verifies(k, t));
    CHECK_STR(last_reason, "alg 'none' is not accepted");
    free(t);
    t = craft("{\"alg\":\"NONE\"}", payload, SECRET, strlen(SECRET));
    CHECK(!verifies(k, t));
    free(t);
    t = craft("{\"alg\":\"HS256\",\"crit\":[\"b64\"]}", payload, SECRET, strlen(SECRET));
    CHECK(!verifies(k, t));
    free(t);
    /* Duplicate claims are ambiguous: which aud would another parser read? */
    t = craft("{\"alg\":\"HS256\"}",
              "{\"sub\":\"1\",\"aud\":\"x\",\"aud\":\"rbmap\",\"exp\":1900000000,\"areas\":[\"national\"]}", SECRET,
              strlen(SECRET));
    CHECK(!verifies(k, t));
    CHECK_STR(last_reason, "malformed payload");
    free(t);
    /* The control: the same crafting with a valid header passes. */
    t = craft("{\"alg\":\"HS256\"}", payload, SECRET, strlen(SECRET));
    CHECK(verifies(k, t));
    /* Tampered payload: the signature no longer matches. */
    char *dot = strchr(t, '.');
    dot[5] = dot[5] == 'x' ? 'y' : 'x';
    CHECK(!verifies(k, t));
    free(t);
    jwt_keys_free(k);
}

static void test_malformed(void)
{
    struct jwt_keys *k = secret_keys(SECRET);
    char *good = sign(k, claims_at(3600, "rbmap"));
    CHECK(verifies(k, good));
    char buf[2048];
    snprintf(buf, sizeof buf, "%s=", good); /* padding is not base64url */
    CHECK(!verifies(k, buf));
    snprintf(buf, sizeof buf, "%s.x", good); /* four parts */
    CHECK(!verifies(k, buf));
    CHECK(!verifies(k, "abc.def"));
    CHECK(!verifies(k, ""));
    snprintf(buf, sizeof buf, "+%s", good + 1); /* '+' is standard base64, not url */
    CHECK(!verifies(k, buf));
    CHECK(!verifies(k, "!!!.eyJ9.sig"));
    /* Oversize: refused before decoding. */
    char *big = malloc(JWT_MAX_LEN + 100);
    memset(big, 'A', JWT_MAX_LEN + 99);
    big[JWT_MAX_LEN + 99] = '\0';
    big[10] = big[20] = '.';
    CHECK(!verifies(k, big));
    CHECK(strstr(last_reason, "longer than") != NULL);
    free(big);
    free(good);
    jwt_keys_free(k);
}

static void test_base64(void)
{
    unsigned char out[64];
    size_t n;
    CHECK(base64_decode("aGk", 3, true, out, sizeof out, &n) == 0 && n == 2 && !memcmp(out, "hi", 2));
    CHECK(base64_decode("aGl", 3, true, out, sizeof out, &n) < 0); /* non-zero trailing bits */
    CHECK(base64_decode("aGk=", 4, true, out, sizeof out, &n) < 0);
    CHECK(base64_decode("aGk=", 4, false, out, sizeof out, &n) == 0 && n == 2);
    CHECK(base64_decode("aGk", 3, false, out, sizeof out, &n) < 0); /* Basic needs its padding */
    CHECK(base64_decode("a", 1, true, out, sizeof out, &n) < 0);
    CHECK(base64_decode("aGVsbG8", 7, true, out, 4, &n) < 0); /* larger than the buffer */
    char enc[16];
    base64url_encode((const unsigned char *)"\xfb\xff", 2, enc);
    CHECK_STR(enc, "-_8");
}

static void test_scope_rules_without_index(void)
{
    struct scope s;
    char reason[256];
    CHECK(auth_scope_build(NULL, 0, true, SCOPE_FLAG_FINANCES | SCOPE_FLAG_JUSTICE, NULL, NULL, &s, reason,
                           sizeof reason) == 0);
    CHECK(s.kind == SCOPE_NATIONAL && s.flags == (SCOPE_FLAG_FINANCES | SCOPE_FLAG_JUSTICE));
    CHECK(auth_scope_build(NULL, 0, true, SCOPE_FLAG_JUSTICE, "intervener", NULL, &s, reason, sizeof reason) == 0);
    CHECK(s.flags == 0);
    struct territory_ref r;
    CHECK(auth_area_parse("departement:93", &r, reason, sizeof reason) == 0 && r.level == TERRITORY_DEPARTEMENT);
    CHECK(auth_area_parse("national", &r, reason, sizeof reason) == 1);
    CHECK(auth_area_parse("city:9306", &r, reason, sizeof reason) < 0);
    CHECK(auth_area_parse("departement:93,city:93066", &r, reason, sizeof reason) < 0);
    CHECK(auth_scope_build(&r, 1, false, 0, NULL, NULL, &s, reason, sizeof reason) == AUTH_SCOPE_NO_INDEX);
    json_t *claims = json_pack("{s:s,s:[s],s:[s]}", "sub", "7", "areas", "national", "flags", "root");
    CHECK(auth_scope_from_claims(claims, NULL, &s, reason, sizeof reason) == AUTH_SCOPE_INVALID);
    json_object_set_new(claims, "flags", json_pack("[s]", "owners"));
    CHECK(auth_scope_from_claims(claims, NULL, &s, reason, sizeof reason) == 0);
    CHECK(s.kind == SCOPE_NATIONAL && s.flags == SCOPE_FLAG_OWNERS);
    CHECK_STR(s.subject, "user:7");
    json_object_set_new(claims, "areas", json_pack("[{s:s}]", "type", "nation"));
    CHECK(auth_scope_from_claims(claims, NULL, &s, reason, sizeof reason) == 0 && s.kind == SCOPE_NATIONAL);
    json_object_set_new(claims, "areas", json_array());
    CHECK(auth_scope_from_claims(claims, NULL, &s, reason, sizeof reason) == AUTH_SCOPE_INVALID);
    json_object_del(claims, "sub");
    json_object_set_new(claims, "areas", json_pack("[s]", "national"));
    CHECK(auth_scope_from_claims(claims, NULL, &s, reason, sizeof reason) == AUTH_SCOPE_INVALID);
    json_decref(claims);
}

static void test_api_key_hash_and_basic(void)
{
    /* RFC 7914 §11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1 (first 32 bytes). */
    char hex[65];
    CHECK(api_key_hash("passwd", "73616c74", 1, hex) == 0);
    CHECK_STR(hex, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
    CHECK(api_key_hash("passwd", "73616c7", 1, hex) < 0); /* odd hex salt */
    char id[API_KEY_ID_MAX + 1], secret[API_KEY_SECRET_MAX + 1];
    CHECK(api_key_parse_basic("cmJrXzE6czNjcjN0", id, secret) == 0); /* rbk_1:s3cr3t */
    CHECK_STR(id, "rbk_1");
    CHECK_STR(secret, "s3cr3t");
    CHECK(api_key_parse_basic("cmJrXzE", id, secret) < 0);     /* no colon, no padding */
    CHECK(api_key_parse_basic("OnMzY3IzdA==", id, secret) < 0); /* ":s3cr3t": empty id */
}

static void test_token_cache_until_expiry(void)
{
    struct token_cache *c = token_cache_new(4);
    struct scope s, got;
    scope_national(&s, SCOPE_FLAG_JUSTICE);
    snprintf(s.subject, sizeof s.subject, "user:1");
    token_cache_put(c, "a.b.c", 5, NOW + 10, &s);
    CHECK(token_cache_get(c, "a.b.c", 5, NOW + 9, &got) && got.flags == SCOPE_FLAG_JUSTICE);
    CHECK_STR(got.subject, "user:1");
    CHECK(!token_cache_get(c, "a.b.c", 5, NOW + 10, &got)); /* expired: verify again (and refuse) */
    CHECK(!token_cache_get(c, "a.b.d", 5, NOW, &got));
    for (int i = 0; i < 50; i++) { /* more tokens than slots: evictions, never a wrong answer */
        char t[16];
        snprintf(t, sizeof t, "t%d", i);
        scope_public(&s);
        s.flags = (unsigned)i;
        token_cache_put(c, t, strlen(t), NOW + 100, &s);
    }
    for (int i = 0; i < 50; i++) {
        char t[16];
        snprintf(t, sizeof t, "t%d", i);
        CHECK(!token_cache_get(c, t, strlen(t), NOW, &got) || got.flags == (unsigned)i);
    }
    token_cache_free(c);
}

int main(void)
{
    RUN(test_hs256_valid_and_claims);
    RUN(test_short_secret_refused);
    RUN(test_es256);
    RUN(test_eddsa);
    RUN(test_key_types);
    RUN(test_times);
    RUN(test_audience);
    RUN(test_alg_none_and_forms);
    RUN(test_malformed);
    RUN(test_base64);
    RUN(test_scope_rules_without_index);
    RUN(test_api_key_hash_and_basic);
    RUN(test_token_cache_until_expiry);
    return UNIT_REPORT();
}
