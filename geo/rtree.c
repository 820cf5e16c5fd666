/* Packed Hilbert R-tree. Layout follows flatbush: all nodes in two flat arrays, the
 * leaves (items sorted by the Hilbert value of their centres) first, then each upper
 * level, the root last. An inner node's index entry is the position of its first
 * child; a leaf's is the caller's item index. Children of a node are the (up to)
 * RTREE_NODE_SIZE consecutive nodes from there, cut at the end of their level. */
#include "geo/rtree.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEVELS 16 /* 16^8 > RTREE_MAX_ITEMS: 9 levels at most */

struct rtree {
    size_t n;
    size_t num_nodes;
    unsigned num_levels;
    size_t level_end[MAX_LEVELS]; /* exclusive end position of each level */
    struct rtree_box *boxes;
    uint32_t *index;
};

static uint32_t interleave(uint32_t x)
{
    x = (x | (x << 8)) & 0x00FF00FFu;
    x = (x | (x << 4)) & 0x0F0F0F0Fu;
    x = (x | (x << 2)) & 0x33333333u;
    x = (x | (x << 1)) & 0x55555555u;
    return x;
}

/* Branch-free Hilbert index of a 16-bit cell ("Fast Hilbert curve generation",
 * rawrunprotected.com; the same function flatbush uses). */
uint32_t rtree_hilbert(uint32_t x, uint32_t y)
{
    x &= 0xFFFF;
    y &= 0xFFFF;
    uint32_t a = x ^ y, b = 0xFFFF ^ a, c = 0xFFFF ^ (x | y), d = x & (y ^ 0xFFFF);
    uint32_t A = a | (b >> 1), B = (a >> 1) ^ a;
    uint32_t C = ((c >> 1) ^ (b & (d >> 1))) ^ c, D = ((a & (c >> 1)) ^ (d >> 1)) ^ d;

    a = A, b = B, c = C, d = D;
    A = (a & (a >> 2)) ^ (b & (b >> 2));
    B = (a & (b >> 2)) ^ (b & ((a ^ b) >> 2));
    C ^= (a & (c >> 2)) ^ (b & (d >> 2));
    D ^= (b & (c >> 2)) ^ ((a ^ b) & (d >> 2));

    a = A, b = B, c = C, d = D;
    A = (a & (a >> 4)) ^ (b & (b >> 4));
    B = (a & (b >> 4)) ^ (b & ((a ^ b) >> 4));
    C ^= (a & (c >> 4)) ^ (b & (d >> 4));
    D ^= (b & (c >> 4)) ^ ((a ^ b) & (d >> 4));

    a = A, b = B, c = C, d = D;
    C ^= (a & (c >> 8)) ^ (b & (d >> 8));
    D ^= (b & (c >> 8)) ^ ((a ^ b) & (d >> 8));

    a = C ^ (C >> 1);
    b = D ^ (D >> 1);
    uint32_t i0 = x ^ y, i1 = (b | (0xFFFF ^ (i0 | a))) & 0xFFFF;
    return (interleave(i1) << 1) | interleave(i0);
}

/* LSD radix sort on the upper 32 bits (the Hilbert value), 3 passes of 11 bits. It is
 * stable, so equal Hilbert values keep the caller's order and builds are repeatable;
 * qsort of 1M keys alone would cost most of the build budget. */
static bool radix_sort(uint64_t *keys, size_t n)
{
    uint64_t *tmp = malloc(n * sizeof *tmp);
    size_t(*count)[2048] = calloc(3, sizeof *count);
    if (!tmp || !count) {
        free(tmp);
        free(count);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t h = (uint32_t)(keys[i] >> 32);
        count[0][h & 2047]++;
        count[1][(h >> 11) & 2047]++;
        count[2][h >> 22]++;
    }
    uint64_t *src = keys, *dst = tmp;
    for (int pass = 0; pass < 3; pass++) {
        size_t sum = 0;
        for (int d = 0; d < 2048; d++) {
            size_t c = count[pass][d];
            count[pass][d] = sum;
            sum += c;
        }
        unsigned shift = 32 + 11 * (unsigned)pass;
        for (size_t i = 0; i < n; i++)
            dst[count[pass][(src[i] >> shift) & 2047]++] = src[i];
        uint64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != keys)
        memcpy(keys, src, n * sizeof *keys);
    free(tmp);
    free(count);
    return true;
}

static inline struct rtree_box item_box(const double *src, bool points, size_t i)
{
    if (points)
        return (struct rtree_box){src[2 * i], src[2 * i + 1], src[2 * i], src[2 * i + 1]};
    return (struct rtree_box){src[4 * i], src[4 * i + 1], src[4 * i + 2], src[4 * i + 3]};
}

static inline void box_extend(struct rtree_box *u, const struct rtree_box *b)
{
    /* Written so that NaN never wins: a NaN item leaves its parent's box alone. */
    if (b->minx < u->minx) u->minx = b->minx;
    if (b->miny < u->miny) u->miny = b->miny;
    if (b->maxx > u->maxx) u->maxx = b->maxx;
    if (b->maxy > u->maxy) u->maxy = b->maxy;
}

static const struct rtree_box EMPTY_BOX = {INFINITY, INFINITY, -INFINITY, -INFINITY};

static uint32_t grid_cell(double v, double lo, double scale)
{
    double g = (v - lo) * scale;
    if (!(g > 0))
        return 0; /* NaN, infinite centres and degenerate extents all land here */
    return g >= 65535.0 ? 65535u : (uint32_t)g;
}

static bool fill_leaves(struct rtree *t, const double *src, bool points)
{
    size_t n = t->n;
    /* The Hilbert grid spans the finite centres, not the boxes, so that a few huge or
     * infinite boxes do not squeeze every other item into one cell. */
    struct rtree_box c = EMPTY_BOX;
    for (size_t i = 0; i < n; i++) {
        struct rtree_box b = item_box(src, points, i);
        double cx = b.minx / 2 + b.maxx / 2, cy = b.miny / 2 + b.maxy / 2;
        if (isfinite(cx) && isfinite(cy))
            box_extend(&c, &(struct rtree_box){cx, cy, cx, cy});
    }
    double sx = c.maxx > c.minx ? 65535.0 / (c.maxx - c.minx) : 0;
    double sy = c.maxy > c.miny ? 65535.0 / (c.maxy - c.miny) : 0;
    if (!isfinite(sx)) sx = 0;
    if (!isfinite(sy)) sy = 0;

    uint64_t *keys = malloc(n * sizeof *keys);
    if (!keys)
        return false;
    for (size_t i = 0; i < n; i++) {
        struct rtree_box b = item_box(src, points, i);
        uint32_t hx = grid_cell(b.minx / 2 + b.maxx / 2, c.minx, sx);
        uint32_t hy = grid_cell(b.miny / 2 + b.maxy / 2, c.miny, sy);
        keys[i] = (uint64_t)rtree_hilbert(hx, hy) << 32 | (uint64_t)i;
    }
    if (!radix_sort(keys, n)) {
        free(keys);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t from = (uint32_t)keys[i];
        t->boxes[i] = item_box(src, points, from);
        t->index[i] = from;
    }
    free(keys);
    return true;
}

static struct rtree *build(const double *src, size_t n, bool points)
{
    if (n > RTREE_MAX_ITEMS || (n && !src))
        return NULL;
    struct rtree *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->n = n;
    size_t count = n, total = n;
    t->level_end[0] = n;
    t->num_levels = 1;
    while (count > 1 || (count == 1 && t->num_levels == 1)) {
        count = (count + RTREE_NODE_SIZE - 1) / RTREE_NODE_SIZE;
        total += count;
        t->level_end[t->num_levels++] = total;
    }
    t->num_nodes = total;
    if (total == 0)
        return t;
    t->boxes = malloc(total * sizeof *t->boxes);
    t->index = malloc(total * sizeof *t->index);
    if (!t->boxes || !t->index || !fill_leaves(t, src, points)) {
        rtree_free(t);
        return NULL;
    }
    size_t start = 0;
    for (unsigned l = 0; l + 1 < t->num_levels; l++) {
        size_t end = t->level_end[l], parent = end;
        for (size_t i = start; i < end; i += RTREE_NODE_SIZE, parent++) {
            size_t stop = i + RTREE_NODE_SIZE < end ? i + RTREE_NODE_SIZE : end;
            struct rtree_box u = EMPTY_BOX;
            for (size_t j = i; j < stop; j++)
                box_extend(&u, &t->boxes[j]);
            t->boxes[parent] = u;
            t->index[parent] = (uint32_t)i;
        }
        start = end;
    }
    return t;
}

_Static_assert(sizeof(struct rtree_box) == 4 * sizeof(double), "boxes are read as doubles");

struct rtree *rtree_build(const struct rtree_box *boxes, size_t n)
{
    return build((const double *)boxes, n, false);
}

struct rtree *rtree_build_points(const double *xy, size_t n)
{
    return build(xy, n, true);
}

void rtree_free(struct rtree *t)
{
    if (!t)
        return;
    free(t->boxes);
    free(t->index);
    free(t);
}

size_t rtree_size(const struct rtree *t)
{
    return t ? t->n : 0;
}

size_t rtree_memory(const struct rtree *t)
{
    return t ? sizeof *t + t->num_nodes * (sizeof *t->boxes + sizeof *t->index) : 0;
}

bool rtree_bounds(const struct rtree *t, struct rtree_box *out)
{
    if (!t || !t->n)
        return false;
    *out = t->boxes[t->num_nodes - 1];
    return out->minx <= out->maxx && out->miny <= out->maxy;
}

static inline bool overlaps(const struct rtree_box *a, const struct rtree_box *q)
{
    return a->minx <= q->maxx && a->miny <= q->maxy && a->maxx >= q->minx &&
           a->maxy >= q->miny;
}

static inline size_t group_end(const struct rtree *t, size_t node, unsigned level)
{
    size_t end = node + RTREE_NODE_SIZE;
    return end < t->level_end[level] ? end : t->level_end[level];
}

size_t rtree_search(const struct rtree *t, const struct rtree_box *q, rtree_visit_fn visit,
                    void *ctx)
{
    if (!t || !t->n)
        return 0;
    /* Depth-first: each level adds at most RTREE_NODE_SIZE entries before one is
     * taken, so the stack never holds more than NODE_SIZE * levels. */
    struct {
        uint32_t pos, level;
    } stack[RTREE_NODE_SIZE * MAX_LEVELS];
    size_t sp = 0, found = 0;
    size_t node = t->num_nodes - 1;
    unsigned level = t->num_levels - 1;
    for (;;) {
        size_t end = group_end(t, node, level);
        for (size_t pos = node; pos < end; pos++) {
            if (!overlaps(&t->boxes[pos], q))
                continue;
            if (level == 0) {
                found++;
                if (!visit(t->index[pos], ctx))
                    return found;
            } else {
                stack[sp].pos = t->index[pos];
                stack[sp++].level = level - 1;
            }
        }
        if (!sp)
            return found;
        sp--;
        node = stack[sp].pos;
        level = stack[sp].level;
    }
}

void rtree_results_free(struct rtree_results *r)
{
    free(r->items);
    r->items = NULL;
    r->len = r->cap = 0;
}

struct collect_ctx {
    struct rtree_results *out;
    bool ok;
};

static bool collect_one(uint32_t index, void *ctx)
{
    struct collect_ctx *c = ctx;
    struct rtree_results *r = c->out;
    if (r->len == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        uint32_t *items = realloc(r->items, cap * sizeof *items);
        if (!items)
            return c->ok = false;
        r->items = items;
        r->cap = cap;
    }
    r->items[r->len++] = index;
    return true;
}

bool rtree_search_collect(const struct rtree *t, const struct rtree_box *q,
                          struct rtree_results *out)
{
    struct collect_ctx c = {out, true};
    rtree_search(t, q, collect_one, &c);
    return c.ok;
}

/* k-nearest: best-first over a min-heap of nodes and items keyed by squared distance
 * (flatbush's neighbors). An item leaves the heap only when no node left in it can be
 * closer, so results come out in distance order. level < 0 marks an item. */
struct heap_entry {
    double d2;
    uint32_t pos;
    int32_t level;
};

struct heap {
    struct heap_entry *e;
    size_t len, cap;
};

static bool heap_push(struct heap *h, struct heap_entry x)
{
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 256;
        struct heap_entry *e = realloc(h->e, cap * sizeof *e);
        if (!e)
            return false;
        h->e = e;
        h->cap = cap;
    }
    size_t i = h->len++;
    while (i > 0 && h->e[(i - 1) / 2].d2 > x.d2) {
        h->e[i] = h->e[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->e[i] = x;
    return true;
}

static struct heap_entry heap_pop(struct heap *h)
{
    struct heap_entry top = h->e[0], last = h->e[--h->len];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->len)
            break;
        if (c + 1 < h->len && h->e[c + 1].d2 < h->e[c].d2)
            c++;
        if (!(h->e[c].d2 < last.d2))
            break;
        h->e[i] = h->e[c];
        i = c;
    }
    if (h->len)
        h->e[i] = last;
    return top;
}

static double box_dist2(const struct rtree_box *b, double x, double y, double xs)
{
    double dx = x < b->minx ? b->minx - x : (x > b->maxx ? x - b->maxx : 0);
    double dy = y < b->miny ? b->miny - y : (y > b->maxy ? y - b->maxy : 0);
    dx *= xs;
    return dx * dx + dy * dy;
}

bool rtree_neighbors(const struct rtree *t, const struct rtree_knn *q, uint32_t *out,
                     double *dist, size_t *found)
{
    *found = 0;
    if (!t || !t->n || !q->k)
        return true;
    double xs = q->x_scale != 0 ? fabs(q->x_scale) : 1.0;
    double max2 = q->max_dist > 0 && isfinite(q->max_dist) ? q->max_dist * q->max_dist
                                                           : INFINITY;
    struct heap h = {0};
    bool ok = true;
    size_t node = t->num_nodes - 1;
    int32_t level = (int32_t)t->num_levels - 1;
    for (;;) {
        size_t end = group_end(t, node, (unsigned)level);
        for (size_t pos = node; pos < end && ok; pos++) {
            const struct rtree_box *b = &t->boxes[pos];
            if (level == 0 && !(b->minx <= b->maxx && b->miny <= b->maxy))
                continue; /* NaN items are never found */
            double d2 = box_dist2(b, q->x, q->y, xs);
            if (!(d2 <= max2))
                continue;
            ok = heap_push(&h, (struct heap_entry){d2, t->index[pos], level - 1});
        }
        if (!ok)
            break;
        while (h.len && h.e[0].level < 0) {
            struct heap_entry e = heap_pop(&h);
            if (q->accept && !q->accept(e.pos, q->ctx))
                continue;
            out[*found] = e.pos;
            if (dist)
                dist[*found] = sqrt(e.d2);
            if (++*found == q->k)
                goto done;
        }
        if (!h.len)
            break;
        struct heap_entry e = heap_pop(&h);
        node = e.pos;
        level = e.level;
    }
done:
    free(h.e);
    return ok;
}
