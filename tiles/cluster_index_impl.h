/* The inside of struct cluster_index, shared by its build (cluster_index.c) and its
 * queries (cluster_query.c) only. */
#ifndef RBMAP_TILES_CLUSTER_INDEX_IMPL_H
#define RBMAP_TILES_CLUSTER_INDEX_IMPL_H
#include "tiles/cluster_index.h"

#define NZ (CLUSTER_ZOOM_LIMIT + 2)

struct cluster_index {
    struct cluster_options opt;
    uint32_t n;
    /* trees[z] for z in min_zoom..max_zoom+1; a zoom where nothing clustered points at
     * the tree above it. Tree ids are refs. */
    struct kdbush *trees[NZ];
    int distinct;
    /* Clusters in creation order: zoom by zoom from max_zoom down, origin index up, so
     * the ids of one zoom are sorted and zoom_first/zoom_end bound them. */
    size_t nc, cap;
    double *cx, *cy;
    uint32_t *cid, *cnum, *nweighted, *counters;
    int64_t *wsum;
    uint32_t *child_off; /* nc + 1 offsets into children */
    uint32_t *children;
    size_t nchildren, children_cap;
    size_t zoom_first[NZ], zoom_end[NZ];
};

#endif
