/* The neighbour searches of the cluster build (tiles/cluster_index.c): for each item
 * of a level, supercluster's within(r) answer, in KDBush's order, made cheaply.
 *
 * What this module promises:
 * - cluster_near_get answers exactly what kdbush_within(tree, x, y, r) would (same
 *   items, same order), or nothing for an item proven to have no other item within r;
 *   for the pass both mean "this item alone".
 * - Each answer also gives the item a lower bound of its distance to the others
 *   (cluster_level.alone), valid on the following levels as long as the item survives,
 *   so most items are never searched at high zooms.
 * - Allocation only in cluster_near_new and in growing its vectors. */
#ifndef RBMAP_TILES_CLUSTER_NEAR_H
#define RBMAP_TILES_CLUSTER_NEAR_H
#include "tiles/cluster_kdbush.h"

/* One level's data in supercluster's data order. alone[i] - the searcher's drift is a
 * lower bound of the distance from item i to any other item of the level (-INFINITY:
 * unknown). */
struct cluster_level {
    uint32_t *ref;
    double *x, *y, *alone;
    uint32_t n;
};

struct cluster_near;

/* For levels of at most n items; NULL when memory ran out. */
struct cluster_near *cluster_near_new(uint32_t n);
void cluster_near_free(struct cluster_near *cn);

/* Before the pass of radius r over cur (whose tree is `tree`, ids = data indices):
 * bounds every item it can and searches the others ahead. scratch has cur->n bytes.
 * false when memory ran out. */
bool cluster_near_prepare(struct cluster_near *cn, const struct kdbush *tree, struct cluster_level *cur, double r,
                          uint8_t *scratch);
/* within(r) of item i: *items and *n (valid until the next call), and cur->alone[i]
 * updated. false when memory ran out. */
bool cluster_near_get(struct cluster_near *cn, const struct kdbush *tree, struct cluster_level *cur, uint32_t i,
                      const uint32_t **items, size_t *n);
/* After the pass: clustered says whether it made clusters (their centroids move the
 * bounds). */
void cluster_near_finish(struct cluster_near *cn, uint32_t level_items, bool clustered);

#endif
