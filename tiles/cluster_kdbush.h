/* A static 2-D KD-tree that is a bit-for-bit port of KDBush 4 (the index supercluster
 * builds one of per zoom), used so that rbmap's clusters equal supercluster's.
 *
 * What this module promises:
 * - Same layout as KDBush with Float32Array coordinates: items are sorted in place by
 *   the same Floyd-Rivest select and recursive kd-sort, so every item sits at the same
 *   position as in KDBush given the same input order and node size.
 * - kdbush_within and kdbush_range report items in KDBush's order (the same stack
 *   walk), because supercluster sums cluster centroids and lists children in that
 *   order: another order would change the last bits of centroids and the order of
 *   getChildren/getLeaves.
 * - Comparisons are done in double on float coordinates, as JavaScript does when it
 *   reads a Float32Array.
 * - Immutable after build; searches allocate only by growing the caller's vector. */
#ifndef RBMAP_TILES_CLUSTER_KDBUSH_H
#define RBMAP_TILES_CLUSTER_KDBUSH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kdbush {
    uint32_t n;
    uint32_t node_size;
    uint32_t *ids;  /* item value at each sorted position (caller-defined meaning) */
    float *coords;  /* x,y at each sorted position */
};

/* A growable vector of uint32 results; zero-initialise, reuse, free with free(items). */
struct u32vec {
    uint32_t *items;
    size_t len, cap;
};

bool u32vec_push(struct u32vec *v, uint32_t x);

/* Takes ownership of ids and coords (malloc'd, n and 2n long) and kd-sorts them. */
void kdbush_init(struct kdbush *t, uint32_t *ids, float *coords, uint32_t n, uint32_t node_size);
void kdbush_free(struct kdbush *t);

/* Appends the ids of items in the closed box; false when memory ran out. */
bool kdbush_range(const struct kdbush *t, double minx, double miny, double maxx, double maxy,
                  struct u32vec *out);
/* Appends the ids of items at distance <= r of (qx, qy); false when memory ran out. */
bool kdbush_within(const struct kdbush *t, double qx, double qy, double r, struct u32vec *out);
/* The same search, appending positions p in the sorted layout (id ids[p], coordinates
 * coords[2p], coords[2p + 1]): no lookup elsewhere to read what was found. */
bool kdbush_within_positions(const struct kdbush *t, double qx, double qy, double r, struct u32vec *out);

#endif
