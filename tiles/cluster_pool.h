/* Two-way parallelism for the cluster build (tiles/cluster_kdbush.c, cluster_near.c):
 * supercluster is single-threaded, the build is the cost of a data change, and both
 * halves of a KD-tree sort or of a level's searches are independent.
 *
 * What this module promises:
 * - cluster_pool_both runs a(arg_a) and b(arg_b) and returns when both are done: a on
 *   the pool's one worker thread when it is idle, else (worker busy with another build,
 *   or it could not be started) both on the calling thread, one after the other.
 * - The worker is started once, on first use, and lives until the process exits: no
 *   thread creation per call; it allocates nothing on the heap. */
#ifndef RBMAP_TILES_CLUSTER_POOL_H
#define RBMAP_TILES_CLUSTER_POOL_H

typedef void (*cluster_pool_fn)(void *arg);

void cluster_pool_both(cluster_pool_fn a, void *arg_a, cluster_pool_fn b, void *arg_b);

#endif
