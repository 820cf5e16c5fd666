/* A static packed Hilbert R-tree (the flatbush layout): built once from N boxes, then
 * searched by any number of threads at once.
 *
 * What this module promises:
 * - rtree_build copies the boxes; the caller's array may be freed afterwards. Items are
 *   known by their position in that array ("index", 0..n-1), and every search reports
 *   those original indices, never internal positions.
 * - Boxes are closed: a query box that only touches an item's box finds it, and a
 *   point is a zero-area box. A query covering everything (-INFINITY..INFINITY) finds
 *   every item. Items with a NaN coordinate are kept but never found.
 * - n = 0 is a valid, empty tree; n may go up to RTREE_MAX_ITEMS.
 * - The tree is immutable after build: searches take no lock and may run concurrently
 *   from any number of threads. A search allocates nothing except rtree_search_collect
 *   (growing the caller's array) and rtree_neighbors (a private heap).
 * - Memory: 36 bytes per item plus about 1/15 of that for the inner nodes (~38.4 bytes
 *   per item in total); the build needs 16 more bytes per item temporarily.
 * - The order in which rtree_search reports items is unspecified.
 */
#ifndef RBMAP_GEO_RTREE_H
#define RBMAP_GEO_RTREE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTREE_NODE_SIZE 16
#define RTREE_MAX_ITEMS ((size_t)0x7fffffff)

/* Same layout as struct tile_bbox: x = longitude/easting, y = latitude/northing. */
struct rtree_box {
    double minx, miny, maxx, maxy;
};

struct rtree;

/* NULL on allocation failure or n > RTREE_MAX_ITEMS. boxes may be NULL when n == 0. */
struct rtree *rtree_build(const struct rtree_box *boxes, size_t n);
/* The same for points given as n (x, y) pairs. */
struct rtree *rtree_build_points(const double *xy, size_t n);
void rtree_free(struct rtree *t);

size_t rtree_size(const struct rtree *t);
/* Bytes held by the tree (not counting the caller's arrays). */
size_t rtree_memory(const struct rtree *t);
/* Bounds of every non-NaN item; false for an empty tree. */
bool rtree_bounds(const struct rtree *t, struct rtree_box *out);

/* Called once per item found; return false to stop the search. */
typedef bool (*rtree_visit_fn)(uint32_t index, void *ctx);

/* Visits every item whose box intersects q. Returns the number of items visited
 * (including the one whose callback stopped the search). */
size_t rtree_search(const struct rtree *t, const struct rtree_box *q, rtree_visit_fn visit,
                    void *ctx);

/* A growable array of item indices owned by the caller: zero-initialise it, reuse it
 * across searches (set len = 0), release it with rtree_results_free. */
struct rtree_results {
    uint32_t *items;
    size_t len, cap;
};
void rtree_results_free(struct rtree_results *r);

/* Appends every item intersecting q to out (after what it already holds). False when
 * the array could not grow; out then holds what was found before the failure. */
bool rtree_search_collect(const struct rtree *t, const struct rtree_box *q,
                          struct rtree_results *out);

/* k-nearest search, by distance from (x, y) to each item's box (0 inside the box).
 * Distances are planar; x_scale multiplies every x difference first, so that lon/lat
 * data near latitude L can pass cos(L) for a local equirectangular approximation
 * (0 means 1). */
struct rtree_knn {
    double x, y;
    double x_scale;
    size_t k;          /* at most this many results */
    double max_dist;   /* items farther are ignored; 0 or INFINITY = no limit */
    bool (*accept)(uint32_t index, void *ctx); /* optional filter; false skips the item */
    void *ctx;
};

/* Writes up to q->k indices nearest first to out, their distances to dist when it is
 * not NULL, the count to *found. Ties come in an unspecified order. False only on
 * allocation failure. */
bool rtree_neighbors(const struct rtree *t, const struct rtree_knn *q, uint32_t *out,
                     double *dist, size_t *found);

/* The position of cell (x, y) of a 65536 x 65536 grid along a Hilbert curve; exposed
 * for tests. */
uint32_t rtree_hilbert(uint32_t x, uint32_t y);

#endif
