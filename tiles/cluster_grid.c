#include "tiles/cluster_grid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DIGIT_BITS 11

/* LSD radix sort of (key, index) pairs on the low `bits` bits of the keys. */
static bool radix_sort(uint64_t **keys, uint32_t **ids, uint32_t n, int bits)
{
    uint64_t *k2 = malloc((size_t)n * sizeof(*k2));
    uint32_t *i2 = malloc((size_t)n * sizeof(*i2));
    size_t *count = malloc(((size_t)1 << DIGIT_BITS) * sizeof(*count));
    if (!k2 || !i2 || !count) {
        free(k2);
        free(i2);
        free(count);
        return false;
    }
    uint64_t *k = *keys;
    uint32_t *id = *ids;
    for (int shift = 0; shift < bits; shift += DIGIT_BITS) {
        memset(count, 0, ((size_t)1 << DIGIT_BITS) * sizeof(*count));
        uint64_t mask = ((uint64_t)1 << DIGIT_BITS) - 1;
        for (uint32_t i = 0; i < n; i++)
            count[(k[i] >> shift) & mask]++;
        size_t sum = 0;
        for (size_t d = 0; d <= mask; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (uint32_t i = 0; i < n; i++) {
            size_t to = count[(k[i] >> shift) & mask]++;
            k2[to] = k[i];
            i2[to] = id[i];
        }
        uint64_t *tk = k;
        k = k2;
        k2 = tk;
        uint32_t *ti = id;
        id = i2;
        i2 = ti;
    }
    *keys = k;
    *ids = id;
    free(k2);
    free(i2);
    free(count);
    return true;
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
    uint64_t max_cell = ((uint64_t)1 << bits) - 2; /* so that cell + 1 stays in the row */
    uint64_t *keys = malloc((size_t)n * sizeof(*keys));
    uint32_t *ids = malloc((size_t)n * sizeof(*ids));
    if (!keys || !ids) {
        free(keys);
        free(ids);
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        double cx = floor((double)(float)x[i] / g), cy = floor((double)(float)y[i] / g);
        uint64_t ux = cx < 0 ? 0 : cx > (double)max_cell ? max_cell : (uint64_t)cx;
        uint64_t uy = cy < 0 ? 0 : cy > (double)max_cell ? max_cell : (uint64_t)cy;
        keys[i] = uy << bits | ux;
        ids[i] = i;
    }
    bool ok = radix_sort(&keys, &ids, n, 2 * bits);
    /* Sweep in key order; the rows above and below are followed by two pointers, whose
     * targets only grow. An item is alone when no other item shares its 3 x 3 cells:
     * any other item then lies more than g away along x or y. */
    size_t up = 0, down = 0;
    uint64_t col = ((uint64_t)1 << bits) - 1;
    for (uint32_t p = 0; ok && p < n; p++) {
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
        alone[ids[p]] = !crowded;
    }
    free(keys);
    free(ids);
    return ok;
}
