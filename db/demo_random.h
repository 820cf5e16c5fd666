/* Deterministic randomness and calendar arithmetic for `rbmap demo-data`.
 * Promises: the same (seed, stream, index) gives the same numbers on every machine
 * and libc (xoshiro256** seeded through splitmix64; never rand()). Each site, action,
 * user... draws from its own stream, so any one of them can be regenerated alone, in
 * any order, as often as a pass over the tables needs it. */
#ifndef RBMAP_DB_DEMO_RANDOM_H
#define RBMAP_DB_DEMO_RANDOM_H
#include <math.h>
#include <stddef.h>
#include <stdint.h>

struct demo_rng {
    uint64_t s[4];
};

static inline uint64_t demo_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Chained hashing rather than XOR-ing the inputs together, so that (stream, index)
 * pairs never alias each other. */
static inline void demo_rng_init(struct demo_rng *r, uint64_t seed, uint64_t stream, uint64_t index)
{
    uint64_t h = seed;
    h = demo_splitmix64(&h) ^ stream;
    h = demo_splitmix64(&h) ^ index;
    for (int i = 0; i < 4; i++)
        r->s[i] = demo_splitmix64(&h);
}

static inline uint64_t demo_rng_next(struct demo_rng *r)
{
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5;
    uint64_t result = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [0, 1). */
static inline double demo_unit(struct demo_rng *r) { return (double)(demo_rng_next(r) >> 11) * 0x1.0p-53; }

/* Uniform in [0, n); n = 0 gives 0. */
static inline uint32_t demo_below(struct demo_rng *r, uint32_t n)
{
    return (uint32_t)(((demo_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform integer in [lo, hi]. */
static inline int demo_range(struct demo_rng *r, int lo, int hi)
{
    return hi <= lo ? lo : lo + (int)demo_below(r, (uint32_t)(hi - lo + 1));
}

static inline int demo_chance(struct demo_rng *r, double p) { return demo_unit(r) < p; }

static inline double demo_exponential(struct demo_rng *r, double mean) { return -mean * log(1.0 - demo_unit(r)); }

/* Log-normal with the given median; sigma is the spread of log(x). */
static inline double demo_lognormal(struct demo_rng *r, double median, double sigma)
{
    double u1 = 1.0 - demo_unit(r), u2 = demo_unit(r);
    double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
    return median * exp(sigma * z);
}

/* Index drawn with probability proportional to weights[i]. */
static inline size_t demo_pick(struct demo_rng *r, const double *weights, size_t n)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += weights[i];
    double x = demo_unit(r) * total;
    for (size_t i = 0; i < n; i++) {
        if (x < weights[i])
            return i;
        x -= weights[i];
    }
    return n - 1;
}

#define DEMO_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define DEMO_PICK_STR(r, a) ((a)[demo_below((r), (uint32_t)DEMO_ARRAY_LEN(a))])

/* Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's civil calendar algorithms). */
static inline int demo_day_from_ymd(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static inline void demo_ymd_from_day(int day, int *y, int *m, int *d)
{
    int z = day + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp + (mp < 10 ? 3 : -9);
    *y = yoe + era * 400 + (*m <= 2);
}

static inline int demo_year_of_day(int day)
{
    int y, m, d;
    demo_ymd_from_day(day, &y, &m, &d);
    return y;
}

#endif
