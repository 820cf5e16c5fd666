#include "tiles/cluster_render.h"

#include "tiles/layer_catalog.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

void cluster_feature_properties(struct mvt_feature *f, const struct cluster_view *v, const struct cluster_info *ci)
{
    mvt_feature_add_bool(f, "cluster", true);
    mvt_feature_add_uint(f, "cluster_id", ci->id);
    mvt_feature_add_uint(f, "point_count", ci->count);
    char abbrev[16];
    if (cluster_abbreviate(ci->count, abbrev))
        mvt_feature_add_string(f, "point_count_abbreviated", abbrev);
    else
        mvt_feature_add_uint(f, "point_count_abbreviated", ci->count);
    mvt_feature_add_uint(f, "population", (uint64_t)(ci->weight > 0 ? ci->weight : 0));
    char key[48];
    for (int s = 0; s < CLUSTER_STATUS_SLOTS; s++) {
        snprintf(key, sizeof key, "status_%s", site_status_name((enum site_status)s));
        mvt_feature_add_uint(f, key, ci->counters[s]);
    }
    for (size_t k = 0; k < v->n_field_types; k++) {
        snprintf(key, sizeof key, "field_type_%d", (int)v->field_type_ids[k]);
        mvt_feature_add_uint(f, key, ci->counters[CLUSTER_STATUS_SLOTS + k]);
    }
}

int cluster_layer_render(const struct tile_request *rq, const struct site_snapshot *snap, struct mvt_tile *tile,
                         size_t *features)
{
    *features = 0;
    char err[160];
    const struct cluster_view *v = cluster_view_acquire(snap, rq->filter, rq->scope, err, sizeof err);
    if (!v)
        return *err ? -1 : 0; /* public scope: no layer */
    struct u32vec refs = {0}, shifts = {0};
    int rc = -1;
    if (!cluster_index_get_tile(v->idx, rq->z, rq->x, rq->y, &refs, &shifts))
        goto out;
    rc = 0;
    struct mvt_layer *layer = refs.len ? mvt_tile_add_layer(tile, "clusters", TILE_EXTENT) : NULL;
    double z2 = pow(2, rq->z);
    for (size_t i = 0; layer && i < refs.len; i++) {
        double shift = (int32_t)shifts.items[i];
        uint32_t ref = refs.items[i];
        if (cluster_ref_is_point(v->idx, ref)) {
            const struct site *s = cluster_view_site(v, snap, ref);
            double px = TILE_EXTENT * (cluster_lng_x(s->lon) * z2 - shift);
            double py = TILE_EXTENT * (cluster_lat_y(s->lat) * z2 - rq->y);
            render_site_feature(layer, snap, s, px, py, rq);
            continue;
        }
        struct cluster_info ci;
        cluster_index_info(v->idx, ref, &ci);
        struct mvt_feature *f = mvt_layer_begin_feature(layer, MVT_POINT);
        if (!f)
            continue;
        mvt_feature_set_id(f, ci.id);
        mvt_feature_add_point(f, TILE_EXTENT * (ci.x * z2 - shift), TILE_EXTENT * (ci.y * z2 - rq->y));
        cluster_feature_properties(f, v, &ci);
        mvt_feature_end(f);
    }
    *features = layer ? mvt_layer_feature_count(layer) : 0;
out:
    free(refs.items);
    free(shifts.items);
    cluster_view_release(v);
    return rc;
}
