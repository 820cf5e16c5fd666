/* A cheap isolation test for the cluster build (tiles/cluster_index.c): which items of a
 * level have no other item nearer than g, found with one sort instead of one KD-tree
 * search per item.
 *
 * What this module promises:
 * - alone[i] is set to 1 only when every other item's float position (the KDBush
 *   coordinates) is at least g * (1 - 1e-9) away from item i's float position; 0 means
 *   "maybe not" (the test looks at the 3 x 3 grid cells of side g around the item).
 * - Linear time: a radix sort of cell keys and one sweep; no allocation per item.
 *   false (alone untouched) when memory ran out or g is too small for 64-bit keys. */
#ifndef RBMAP_TILES_CLUSTER_GRID_H
#define RBMAP_TILES_CLUSTER_GRID_H
#include <stdbool.h>
#include <stdint.h>

bool cluster_grid_alone(const double *x, const double *y, uint32_t n, double g, uint8_t *alone);

#endif
