#include "server/auth_token_cache.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct token_slot {
    unsigned char digest[32];
    time_t valid_until; /* 0 = empty */
    struct scope scope;
};

struct token_cache {
    pthread_mutex_t lock;
    size_t n_slots;
    struct token_slot *slots;
};

struct token_cache *token_cache_new(size_t slots)
{
    struct token_cache *c = calloc(1, sizeof(*c));
    if (!c || !slots || !(c->slots = calloc(slots, sizeof(struct token_slot)))) {
        free(c);
        return NULL;
    }
    c->n_slots = slots;
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

void token_cache_free(struct token_cache *cache)
{
    if (!cache)
        return;
    pthread_mutex_destroy(&cache->lock);
    free(cache->slots);
    free(cache);
}

static struct token_slot *slot_for(struct token_cache *cache, const char *token, size_t len, unsigned char digest[32])
{
    if (!EVP_Digest(token, len, digest, NULL, EVP_sha256(), NULL))
        return NULL;
    uint64_t h;
    memcpy(&h, digest, sizeof h);
    return &cache->slots[h % cache->n_slots];
}

bool token_cache_get(struct token_cache *cache, const char *token, size_t len, time_t now, struct scope *out)
{
    unsigned char digest[32];
    struct token_slot *s = cache ? slot_for(cache, token, len, digest) : NULL;
    if (!s)
        return false;
    pthread_mutex_lock(&cache->lock);
    bool hit = s->valid_until && now < s->valid_until && CRYPTO_memcmp(s->digest, digest, 32) == 0;
    if (hit)
        *out = s->scope;
    pthread_mutex_unlock(&cache->lock);
    return hit;
}

void token_cache_put(struct token_cache *cache, const char *token, size_t len, time_t valid_until,
                     const struct scope *scope)
{
    unsigned char digest[32];
    struct token_slot *s = cache ? slot_for(cache, token, len, digest) : NULL;
    if (!s)
        return;
    pthread_mutex_lock(&cache->lock);
    memcpy(s->digest, digest, 32);
    s->valid_until = valid_until;
    s->scope = *scope;
    pthread_mutex_unlock(&cache->lock);
}
