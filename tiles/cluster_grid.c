#include "tiles/cluster_grid.h"

#include "tiles/cluster_pool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DIGIT_BITS 11
#define DIGITS ((size_t)1 << DIGIT_BITS)
/* From this many items the keys, each radix pass and the sweep are split in two halves
 * run on two threads (tiles/cluster_pool.h); below, the hand-over costs more. */
#define GRID_PARALLEL_MIN 65536

/* One half of the items [from, to) and what it needs for every step. */
struct grid_half {
    const double *x, *y;
    double g;
    int bits;
    uint64_t max_cell;
    uint64_t *keys, *keys_out;
    uint32_t *ids, *ids_out;
    uint32_t n, from, to;
    int shift;
    size_t count[DIGITS]; /* digit counts, then where the half writes each digit */
    uint8_t *alone;
};

static void make_keys(void *arg)
{
    struct grid_half *h = arg;
    for (uint32_t i = h->from; i < h->to; i++) {
        double cx = floor((double)(float)h->x[i] / h->g), cy = floor((double)(float)h->y[i] / h->g);
        uint64_t ux = cx < 0 ? 0 : cx > (double)h->max_cell ? h->max_cell : (uint64_t)cx;
        uint64_t uy = cy < 0 ? 0 : cy > (double)h->max_cell ? h->max_cell : (uint64_t)cy;
        h->keys[i] = uy << h->bits | ux;
        h->ids[i] = i;
    }
}

static void count_digits(void *arg)
{
    struct grid_half *h = arg;
    memset(h->count, 0, sizeof h->count);
    for (uint32_t i = h->from; i < h->to; i++)
        h->count[(h->keys[i] >> h->shift) & (DIGITS - 1)]++;
}

static void scatter(void *arg)
{
    struct grid_half *h = arg;
    for (uint32_t i = h->from; i < h->to; i++) {
        size_t to = h->count[(h->keys[i] >> h->shift) & (DIGITS - 1)]++;
        h->keys_out[to] = h->keys[i];
        h->ids_out[to] = h->ids[i];
    }
}

/* Sweep of sorted positions [from, to) in key order; the rows above and below are
 * followed by two pointers, whose targets only grow (so they may start anywhere not
 * past the first target: the first key of the row above the half's first row). An
 * item is alone when no other item shares its 3 x 3 cells: any other item then lies
 * more than g away along x or y. */
static void sweep(void *arg)
{
    struct grid_half *h = arg;
    const uint64_t *keys = h->keys;
    uint32_t n = h->n;
    int bits = h->bits;
    uint64_t col = ((uint64_t)1 << bits) - 1;
    size_t up = 0;
    if (h->from < h->to) {
        uint64_t first_row = keys[h->from] >> bits, start = (first_row ? first_row - 1 : 0) << bits;
        size_t lo = 0, hi = h->from; /* lower bound of start in keys[0, from] */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (keys[mid] < start)
                lo = mid + 1;
            else
                hi = mid;
        }
        up = lo;
    }
    size_t down = up;
    for (uint32_t p = h->from; p < h->to; p++) {
        uint64_t k = keys[p], cx = k & col, cy = k >> bits;
        uint64_t left = cx ? cx - 1 : 0, right = cx + 1;
        bool crowded = (p > 0 && keys[p - 1] >= (cy << bits | left)) || (p + 1 < n && keys[p + 1] <= (cy << bits | right));
        if (!crowded && cy > 0) {
            uint64_t lo = (cy - 1) << bits | left, hi = (cy - 1) << bits | right;
            while (up < n && keys[up] < lo)
                up++;
            crowded = up < n && keys[up] <= hi;
        }
        if (!crowded) {
            uint64_t lo = (cy + 1) << bits | left, hi = (cy + 1) << bits | right;
            while (down < n && keys[down] < lo)
                down++;
            crowded = down < n && keys[down] <= hi;
        }
        h->alone[h->ids[p]] = !crowded;
    }
}

static void run_halves(cluster_pool_fn fn, struct grid_half *h, bool parallel)
{
    if (parallel)
        cluster_pool_both(fn, &h[0], fn, &h[1]);
    else
        fn(&h[0]);
}

/* A stable LSD radix sort of (key, index) pairs on the low `bits` bits of the keys,
 * each pass split between the halves: the first half's items of a digit go before the
 * second half's, so the order is the serial sort's. */
static void radix_sort(struct grid_half *h, bool parallel, int bits)
{
    int halves = parallel ? 2 : 1;
    for (int shift = 0; shift < bits; shift += DIGIT_BITS) {
        for (int k = 0; k < 2; k++)
            h[k].shift = shift;
        run_halves(count_digits, h, parallel);
        size_t sum = 0;
        for (size_t d = 0; d < DIGITS; d++)
            for (int k = 0; k < halves; k++) {
                size_t c = h[k].count[d];
                h[k].count[d] = sum;
                sum += c;
            }
        run_halves(scatter, h, parallel);
        for (int k = 0; k < 2; k++) {
            uint64_t *tk = h[k].keys;
            h[k].keys = h[k].keys_out;
            h[k].keys_out = tk;
            uint32_t *ti = h[k].ids;
            h[k].ids = h[k].ids_out;
            h[k].ids_out = ti;
        }
    }
}

bool cluster_grid_alone(const double *x, const double *y, uint32_t n, double g, uint8_t *alone)
{
    if (!(g > 0) || n == 0)
        return n == 0;
    double cells = floor(1 / g) + 3; /* coordinates in [0, 1]; others are clamped (merging is safe) */
    int bits = 1;
    while (bits < 31 && (double)((uint64_t)1 << bits) < cells)
        bits++;
    if ((double)((uint64_t)1 << bits) < cells)
        return false;
    uint64_t *keys = malloc((size_t)n * sizeof(*keys)), *keys2 = malloc((size_t)n * sizeof(*keys2));
    uint32_t *ids = malloc((size_t)n * sizeof(*ids)), *ids2 = malloc((size_t)n * sizeof(*ids2));
    struct grid_half *h = calloc(2, sizeof(*h));
    bool ok = keys && keys2 && ids && ids2 && h;
    if (ok) {
        bool parallel = n >= GRID_PARALLEL_MIN;
        uint32_t mid = parallel ? n / 2 : n;
        for (int k = 0; k < 2; k++)
            h[k] = (struct grid_half){x, y, g, bits, ((uint64_t)1 << bits) - 2 /* so that cell + 1 stays in the row */,
                                      keys, keys2, ids, ids2, n, k ? mid : 0, k ? n : mid, 0, {0}, alone};
        run_halves(make_keys, h, parallel);
        radix_sort(h, parallel, 2 * bits);
        run_halves(sweep, h, parallel);
        keys = h[0].keys, keys2 = h[0].keys_out, ids = h[0].ids, ids2 = h[0].ids_out; /* after the swaps */
    }
    free(keys);
    free(keys2);
    free(ids);
    free(ids2);
    free(h);
    return ok;
}
