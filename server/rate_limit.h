/* Token buckets keyed by a caller-chosen string (a credential's subject, an IP), in a
 * fixed-size table. This module promises:
 *   - fixed memory: `slots` entries allocated once; a new key takes a free slot or evicts
 *     the least recently seen key among a few candidate slots (an idle key's bucket has
 *     refilled, so forgetting it changes nothing; under a flood of distinct keys an
 *     evicted client simply starts again with a full bucket);
 *   - thread-safe (one short lock per call), O(1) per call;
 *   - keys are kept as 64-bit hashes, never as text (no credential stays in memory). */
#ifndef RBMAP_SERVER_RATE_LIMIT_H
#define RBMAP_SERVER_RATE_LIMIT_H
#include <stdbool.h>
#include <stddef.h>

struct rate_limiter;

/* rate tokens per second, up to burst tokens; rate or burst <= 0: off (every call
 * grants). NULL when slots < 8 or no memory. */
struct rate_limiter *rate_limiter_new(double rate, double burst, size_t slots);
/* New settings (SIGHUP) for the calls that follow; a bucket keeps its tokens, capped at
 * the new burst. */
void rate_limiter_configure(struct rate_limiter *rl, double rate, double burst);
void rate_limiter_free(struct rate_limiter *rl);

/* Takes one token for key at time now (seconds, monotonic). Returns 0 when granted (or
 * rl is NULL or off), else
 * the whole seconds (>= 1) until a token is available: the Retry-After value. */
int rate_limiter_take(struct rate_limiter *rl, const char *key, double now);
/* The same without taking: 0 when a token is available. */
int rate_limiter_peek(struct rate_limiter *rl, const char *key, double now);

/* Seconds on CLOCK_MONOTONIC. */
double rate_limiter_now(void);

#endif
