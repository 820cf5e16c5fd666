/* supercluster's queries (getClusters, getTile, getChildren, getLeaves,
 * getClusterExpansionZoom) over a built cluster_index. */
#include "tiles/cluster_index.h"
#include "tiles/cluster_index_impl.h"

#include <math.h>

const struct cluster_options *cluster_index_options(const struct cluster_index *idx) { return &idx->opt; }
uint32_t cluster_index_points(const struct cluster_index *idx) { return idx->n; }
size_t cluster_index_clusters(const struct cluster_index *idx) { return idx->nc; }
int cluster_index_distinct_trees(const struct cluster_index *idx) { return idx->distinct; }

size_t cluster_index_memory(const struct cluster_index *idx)
{
    size_t bytes = sizeof(*idx);
    const struct cluster_options *o = &idx->opt;
    for (int z = o->min_zoom; z <= o->max_zoom + 1; z++)
        if (idx->trees[z] && (z == o->max_zoom + 1 || idx->trees[z] != idx->trees[z + 1]))
            bytes += sizeof(struct kdbush) + (size_t)idx->trees[z]->n * (sizeof(uint32_t) + 2 * sizeof(float));
    size_t per_cluster = 2 * sizeof(double) + 4 * sizeof(uint32_t) + sizeof(int64_t) + o->n_counters * sizeof(uint32_t);
    bytes += idx->cap * per_cluster + idx->children_cap * sizeof(uint32_t);
    return bytes;
}

void cluster_index_info(const struct cluster_index *idx, uint32_t ref, struct cluster_info *out)
{
    size_t c = ref - idx->n;
    out->id = idx->cid[c];
    out->count = idx->cnum[c];
    out->x = idx->cx[c];
    out->y = idx->cy[c];
    out->lon = cluster_x_lng(out->x);
    out->lat = cluster_y_lat(out->y);
    out->weight = idx->wsum[c];
    out->n_weighted = idx->nweighted[c];
    out->counters = idx->counters + c * idx->opt.n_counters;
}

bool cluster_index_find(const struct cluster_index *idx, uint64_t id, uint32_t *ref)
{
    if (id < idx->n)
        return false;
    int zoom = (int)((id - idx->n) % 32) - 1; /* _getOriginZoom - 1: the zoom it was made at */
    if (zoom < idx->opt.min_zoom || zoom > idx->opt.max_zoom)
        return false;
    size_t lo = idx->zoom_first[zoom], hi = idx->zoom_end[zoom];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (idx->cid[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == idx->zoom_end[zoom] || idx->cid[lo] != id)
        return false;
    *ref = idx->n + (uint32_t)lo;
    return true;
}

int cluster_index_limit_zoom(const struct cluster_index *idx, double zoom)
{
    double z = floor(zoom);
    if (!(z <= idx->opt.max_zoom + 1))
        z = idx->opt.max_zoom + 1;
    return z < idx->opt.min_zoom ? idx->opt.min_zoom : (int)z;
}

static double wrap_lng(double lng)
{
    return fmod(fmod(lng + 180, 360) + 360, 360) - 180; /* ((x + 180) % 360 + 360) % 360 - 180 */
}

bool cluster_index_get_clusters(const struct cluster_index *idx, const double bbox[4], double zoom,
                                struct u32vec *out)
{
    double min_lng = wrap_lng(bbox[0]);
    double min_lat = fmax(-90, fmin(90, bbox[1]));
    double max_lng = bbox[2] == 180 ? 180 : wrap_lng(bbox[2]);
    double max_lat = fmax(-90, fmin(90, bbox[3]));
    if (bbox[2] - bbox[0] >= 360) {
        min_lng = -180;
        max_lng = 180;
    } else if (min_lng > max_lng) {
        double east[4] = {min_lng, min_lat, 180, max_lat}, west[4] = {-180, min_lat, max_lng, max_lat};
        return cluster_index_get_clusters(idx, east, zoom, out) && cluster_index_get_clusters(idx, west, zoom, out);
    }
    const struct kdbush *tree = idx->trees[cluster_index_limit_zoom(idx, zoom)];
    return kdbush_range(tree, cluster_lng_x(min_lng), cluster_lat_y(max_lat), cluster_lng_x(max_lng),
                        cluster_lat_y(min_lat), out);
}

static bool range_shift(const struct kdbush *t, double minx, double miny, double maxx, double maxy, int32_t shift,
                        struct u32vec *refs, struct u32vec *shifts)
{
    size_t before = refs->len;
    if (!kdbush_range(t, minx, miny, maxx, maxy, refs))
        return false;
    for (size_t i = before; i < refs->len; i++)
        if (!u32vec_push(shifts, (uint32_t)shift))
            return false;
    return true;
}

bool cluster_index_get_tile(const struct cluster_index *idx, int z, uint32_t x, uint32_t y, struct u32vec *refs,
                            struct u32vec *shifts)
{
    const struct kdbush *tree = idx->trees[cluster_index_limit_zoom(idx, z)];
    double z2 = pow(2, z), p = idx->opt.radius / idx->opt.extent;
    double top = (y - p) / z2, bottom = (y + 1 + p) / z2;
    if (!range_shift(tree, (x - p) / z2, top, (x + 1 + p) / z2, bottom, (int32_t)x, refs, shifts))
        return false;
    if (x == 0 && !range_shift(tree, 1 - p / z2, top, 1, bottom, (int32_t)z2, refs, shifts))
        return false;
    if (x == z2 - 1 && !range_shift(tree, 0, top, p / z2, bottom, -1, refs, shifts))
        return false;
    return true;
}

bool cluster_index_children(const struct cluster_index *idx, uint64_t id, const uint32_t **refs, size_t *n)
{
    uint32_t ref;
    if (!cluster_index_find(idx, id, &ref))
        return false;
    size_t c = ref - idx->n;
    *refs = idx->children + idx->child_off[c];
    *n = idx->child_off[c + 1] - idx->child_off[c];
    return true;
}

/* _appendLeaves: whole clusters before `offset` are skipped by their count. */
static size_t append_leaves(const struct cluster_index *idx, size_t c, size_t limit, size_t offset, size_t skipped,
                            struct u32vec *out, bool *ok)
{
    for (uint32_t j = idx->child_off[c]; j < idx->child_off[c + 1] && *ok; j++) {
        uint32_t ref = idx->children[j];
        if (ref >= idx->n) {
            size_t count = idx->cnum[ref - idx->n];
            if (skipped + count <= offset)
                skipped += count;
            else
                skipped = append_leaves(idx, ref - idx->n, limit, offset, skipped, out, ok);
        } else if (skipped < offset) {
            skipped++;
        } else if (!u32vec_push(out, ref)) {
            *ok = false;
        }
        if (out->len == limit)
            break;
    }
    return skipped;
}

bool cluster_index_leaves(const struct cluster_index *idx, uint64_t id, size_t limit, size_t offset,
                          struct u32vec *out)
{
    uint32_t ref;
    if (!cluster_index_find(idx, id, &ref))
        return false;
    bool ok = true;
    out->len = 0;
    append_leaves(idx, ref - idx->n, limit, offset, 0, out, &ok);
    return ok;
}

int cluster_index_expansion_zoom(const struct cluster_index *idx, uint64_t id)
{
    if (id < idx->n)
        return -1;
    int zoom = (int)((id - idx->n) % 32) - 1;
    while (zoom <= idx->opt.max_zoom) {
        const uint32_t *refs;
        size_t n;
        if (!cluster_index_children(idx, id, &refs, &n))
            return -1; /* supercluster throws */
        zoom++;
        if (n != 1)
            break;
        if (refs[0] < idx->n)
            return -1; /* a lone point child: supercluster would throw on its missing cluster_id */
        id = idx->cid[refs[0] - idx->n];
    }
    return zoom;
}
