#include "server/rate_limit.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* How many slots a key may live in: the eviction candidates. */
#define PROBE 8

struct bucket {
    uint64_t key; /* 0: free */
    double tokens;
    double updated;
};

struct rate_limiter {
    double rate, burst;
    size_t slots;
    struct bucket *table;
    pthread_mutex_t lock;
};

struct rate_limiter *rate_limiter_new(double rate, double burst, size_t slots)
{
    if (slots < PROBE)
        return NULL;
    struct rate_limiter *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    rl->table = calloc(slots, sizeof *rl->table);
    if (!rl->table) {
        free(rl);
        return NULL;
    }
    rl->slots = slots;
    pthread_mutex_init(&rl->lock, NULL);
    rate_limiter_configure(rl, rate, burst);
    return rl;
}

void rate_limiter_configure(struct rate_limiter *rl, double rate, double burst)
{
    if (!rl)
        return;
    bool off = !(rate > 0) || !(burst > 0);
    pthread_mutex_lock(&rl->lock);
    rl->rate = off ? 0 : rate;
    rl->burst = off ? 0 : burst;
    for (size_t i = 0; i < rl->slots; i++)
        if (rl->table[i].tokens > rl->burst)
            rl->table[i].tokens = rl->burst;
    pthread_mutex_unlock(&rl->lock);
}

void rate_limiter_free(struct rate_limiter *rl)
{
    if (!rl)
        return;
    pthread_mutex_destroy(&rl->lock);
    free(rl->table);
    free(rl);
}

double rate_limiter_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* FNV-1a, then a final mix so that similar keys spread over the table. */
static uint64_t hash_key(const char *key)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h ? h : 1;
}

/* The key's bucket, refilled to now; a new one (full) when the key is not in the table. */
static struct bucket *find(struct rate_limiter *rl, uint64_t key, double now)
{
    size_t start = (size_t)(key % rl->slots);
    struct bucket *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        struct bucket *b = &rl->table[(start + i) % rl->slots];
        if (b->key == key) {
            b->tokens = fmin(rl->burst, b->tokens + (now - b->updated) * rl->rate);
            b->updated = now;
            return b;
        }
        if (!victim || (victim->key && (!b->key || b->updated < victim->updated)))
            victim = b;
    }
    *victim = (struct bucket){key, rl->burst, now};
    return victim;
}

static int wait_seconds(const struct rate_limiter *rl, const struct bucket *b)
{
    double wait = ceil((1.0 - b->tokens) / rl->rate);
    return wait < 1 ? 1 : wait > 86400 ? 86400 : (int)wait;
}

static int take_or_peek(struct rate_limiter *rl, const char *key, double now, bool take)
{
    if (!rl || !key)
        return 0;
    uint64_t h = hash_key(key);
    pthread_mutex_lock(&rl->lock);
    if (rl->rate == 0) { /* off */
        pthread_mutex_unlock(&rl->lock);
        return 0;
    }
    struct bucket *b = find(rl, h, now);
    int wait = 0;
    if (b->tokens >= 1.0) {
        if (take)
            b->tokens -= 1.0;
    } else {
        wait = wait_seconds(rl, b);
    }
    pthread_mutex_unlock(&rl->lock);
    return wait;
}

int rate_limiter_take(struct rate_limiter *rl, const char *key, double now)
{
    return take_or_peek(rl, key, now, true);
}

int rate_limiter_peek(struct rate_limiter *rl, const char *key, double now)
{
    return take_or_peek(rl, key, now, false);
}
