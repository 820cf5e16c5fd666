#include "tiles/cluster_kdbush.h"

#include "tiles/cluster_pool.h"

#include <math.h>
#include <stdlib.h>

bool u32vec_push(struct u32vec *v, uint32_t x)
{
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        uint32_t *grown = realloc(v->items, cap * sizeof(*grown));
        if (!grown)
            return false;
        v->items = grown;
        v->cap = cap;
    }
    v->items[v->len++] = x;
    return true;
}

static inline void swap_item(uint32_t *ids, float *coords, uint32_t i, uint32_t j)
{
    uint32_t t = ids[i];
    ids[i] = ids[j];
    ids[j] = t;
    float a = coords[2 * i], b = coords[2 * i + 1];
    coords[2 * i] = coords[2 * j];
    coords[2 * i + 1] = coords[2 * j + 1];
    coords[2 * j] = a;
    coords[2 * j + 1] = b;
}

/* The rest of KDBush's Hoare partition around t, after its first swap at (left, right):
 * i scans right to the next value >= t, j left to the next value <= t, they swap, until
 * they cross. The stops are found a block at a time without branches (as in
 * BlockQuicksort) and paired in the same order, so every swap, hence the final layout,
 * is KDBush's; it only avoids a mispredicted branch per element. Returns the final j. */
#define SCAN_BLOCK 128
static int64_t partition_rest(uint32_t *ids, float *coords, int64_t left, int64_t right, int axis, float t)
{
    const float *c = coords + axis;
    int64_t ls = left, rs = right; /* last swapped pair: (ls, rs) is still untouched */
    int64_t pl = left + 1, pr = right - 1;
    uint32_t lstops[SCAN_BLOCK], rstops[SCAN_BLOCK];
    int ln = 0, lh = 0, rn = 0, rh = 0;
    for (;;) {
        while (lh == ln && pl < rs) {
            int64_t end = pl + SCAN_BLOCK < rs ? pl + SCAN_BLOCK : rs;
            lh = ln = 0;
            for (int64_t p = pl; p < end; p++) {
                lstops[ln] = (uint32_t)p;
                ln += c[2 * p] >= t;
            }
            pl = end;
        }
        while (rh == rn && pr > ls) {
            int64_t end = pr - SCAN_BLOCK > ls ? pr - SCAN_BLOCK : ls;
            rh = rn = 0;
            for (int64_t p = pr; p > end; p--) {
                rstops[rn] = (uint32_t)p;
                rn += c[2 * p] <= t;
            }
            pr = end;
        }
        if (lh == ln || rh == rn || lstops[lh] >= rstops[rh])
            break; /* i would not stop before j: the scans cross */
        ls = lstops[lh++];
        rs = rstops[rh++];
        swap_item(ids, coords, (uint32_t)ls, (uint32_t)rs);
    }
    int64_t j = rs - 1; /* j's last scan; a[ls] <= t stops it */
    while (c[2 * j] > t)
        j--;
    return j;
}

/* KDBush's select(): the same arithmetic (in double, with floor) as the JavaScript, so
 * that the sample ranges, hence the final positions, are the same. Indices are signed
 * because j may step below left during the partition. */
static void kd_select(uint32_t *ids, float *coords, int64_t k, int64_t left, int64_t right, int axis)
{
    while (right > left) {
        if (right - left > 600) {
            double n = (double)(right - left + 1);
            double m = (double)(k - left + 1);
            double z = log(n);
            double s = 0.5 * exp(2 * z / 3);
            double sd = 0.5 * sqrt(z * s * (n - s) / n) * (m - n / 2 < 0 ? -1 : 1);
            double nl = floor((double)k - m * s / n + sd), nr = floor((double)k + (n - m) * s / n + sd);
            int64_t new_left = (double)left > nl ? left : (int64_t)nl;
            int64_t new_right = (double)right < nr ? right : (int64_t)nr;
            kd_select(ids, coords, k, new_left, new_right, axis);
        }
        float t = coords[2 * k + axis];
        swap_item(ids, coords, (uint32_t)left, (uint32_t)k);
        if (coords[2 * right + axis] > t)
            swap_item(ids, coords, (uint32_t)left, (uint32_t)right);
        swap_item(ids, coords, (uint32_t)left, (uint32_t)right); /* the loop's first swap: i < j holds */
        int64_t j = partition_rest(ids, coords, left, right, axis, t);
        if (coords[2 * left + axis] == t) {
            swap_item(ids, coords, (uint32_t)left, (uint32_t)j);
        } else {
            j++;
            swap_item(ids, coords, (uint32_t)j, (uint32_t)right);
        }
        if (j <= k)
            left = j + 1;
        if (k <= j)
            right = j - 1;
    }
}

static void kd_sort(uint32_t *ids, float *coords, uint32_t node_size, int64_t left, int64_t right, int axis)
{
    while (right - left > node_size) {
        int64_t m = (left + right) >> 1;
        kd_select(ids, coords, m, left, right, axis);
        kd_sort(ids, coords, node_size, left, m - 1, 1 - axis);
        left = m + 1; /* the second recursion as a loop */
        axis = 1 - axis;
    }
}

/* Below this many items a tree is sorted on the calling thread alone: handing half of
 * it to the worker would cost more than it saves. */
#define PARALLEL_MIN_ITEMS 65536

struct sort_job {
    uint32_t *ids;
    float *coords;
    uint32_t node_size;
    int64_t left, right;
    int axis;
};

static void sort_job_run(void *arg)
{
    struct sort_job *j = arg;
    kd_sort(j->ids, j->coords, j->node_size, j->left, j->right, j->axis);
}

/* kd_sort with its first split's two halves on two threads. They touch disjoint ranges
 * and neither reads the other's, so the layout is the serial one. */
static void kd_sort_parallel(uint32_t *ids, float *coords, uint32_t node_size, int64_t n)
{
    int64_t left = 0, right = n - 1;
    if (n < PARALLEL_MIN_ITEMS) {
        kd_sort(ids, coords, node_size, left, right, 0);
        return;
    }
    int64_t m = (left + right) >> 1;
    kd_select(ids, coords, m, left, right, 0);
    struct sort_job lo = {ids, coords, node_size, left, m - 1, 1};
    struct sort_job hi = {ids, coords, node_size, m + 1, right, 1};
    cluster_pool_both(sort_job_run, &lo, sort_job_run, &hi);
}

void kdbush_init(struct kdbush *t, uint32_t *ids, float *coords, uint32_t n, uint32_t node_size)
{
    t->n = n;
    t->node_size = node_size < 2 ? 2 : node_size;
    t->ids = ids;
    t->coords = coords;
    if (n)
        kd_sort_parallel(ids, coords, t->node_size, (int64_t)n);
}

void kdbush_free(struct kdbush *t)
{
    free(t->ids);
    free(t->coords);
    t->ids = NULL;
    t->coords = NULL;
    t->n = 0;
}

/* The explicit stack of KDBush's walk: (left, right, axis) frames, popped last first,
 * right halves pushed after left halves. 64 levels cover any 32-bit item count. */
struct frame {
    uint32_t left, right, axis;
};

bool kdbush_range(const struct kdbush *t, double minx, double miny, double maxx, double maxy,
                  struct u32vec *out)
{
    if (!t->n)
        return true;
    struct frame stack[96];
    int sp = 0;
    stack[sp++] = (struct frame){0, t->n - 1, 0};
    const float *c = t->coords;
    while (sp > 0) {
        struct frame f = stack[--sp];
        if (f.right - f.left <= t->node_size) {
            for (uint32_t i = f.left; i <= f.right; i++) {
                double x = c[2 * i], y = c[2 * i + 1];
                if (x >= minx && x <= maxx && y >= miny && y <= maxy && !u32vec_push(out, t->ids[i]))
                    return false;
            }
            continue;
        }
        uint32_t m = (f.left + f.right) >> 1;
        double x = c[2 * m], y = c[2 * m + 1];
        if (x >= minx && x <= maxx && y >= miny && y <= maxy && !u32vec_push(out, t->ids[m]))
            return false;
        if (f.axis == 0 ? minx <= x : miny <= y)
            stack[sp++] = (struct frame){f.left, m - 1, 1 - f.axis};
        if (f.axis == 0 ? maxx >= x : maxy >= y)
            stack[sp++] = (struct frame){m + 1, f.right, 1 - f.axis};
    }
    return true;
}

/* What within() appends: ids, or positions in the sorted layout. */
static bool within(const struct kdbush *t, double qx, double qy, double r, bool positions, struct u32vec *out)
{
    if (!t->n)
        return true;
    struct frame stack[96];
    int sp = 0;
    stack[sp++] = (struct frame){0, t->n - 1, 0};
    const float *c = t->coords;
    double r2 = r * r;
    while (sp > 0) {
        struct frame f = stack[--sp];
        if (f.right - f.left <= t->node_size) {
            for (uint32_t i = f.left; i <= f.right; i++) {
                double dx = (double)c[2 * i] - qx, dy = (double)c[2 * i + 1] - qy;
                if (dx * dx + dy * dy <= r2 && !u32vec_push(out, positions ? i : t->ids[i]))
                    return false;
            }
            continue;
        }
        uint32_t m = (f.left + f.right) >> 1;
        double x = c[2 * m], y = c[2 * m + 1];
        double dx = x - qx, dy = y - qy;
        if (dx * dx + dy * dy <= r2 && !u32vec_push(out, positions ? m : t->ids[m]))
            return false;
        if (f.axis == 0 ? qx - r <= x : qy - r <= y)
            stack[sp++] = (struct frame){f.left, m - 1, 1 - f.axis};
        if (f.axis == 0 ? qx + r >= x : qy + r >= y)
            stack[sp++] = (struct frame){m + 1, f.right, 1 - f.axis};
    }
    return true;
}

bool kdbush_within(const struct kdbush *t, double qx, double qy, double r, struct u32vec *out)
{
    return within(t, qx, qy, r, false, out);
}

bool kdbush_within_positions(const struct kdbush *t, double qx, double qy, double r, struct u32vec *out)
{
    return within(t, qx, qy, r, true, out);
}
