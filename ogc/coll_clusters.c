/* Collection `clusters`: supercluster's getClusters for a bbox and a zoom over the
 * sites of the caller's scope and filters (tiles/cluster_layer.h), the same clusters
 * the `clusters` tile layer draws. zoom= is required (a vendor parameter, declared).
 * A cluster's id is "cluster-<cluster_id>", an unclustered site's "site-<id>" (written
 * as the sites collection writes it, plus cluster=false). datetime= takes an instant
 * (the sites as they stood that day, like date=). */
#include "ogc/cql2.h"
#include "ogc/ogc_collection.h"
#include "tiles/cluster_layer.h"
#include "tiles/layer_catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct prop_key cluster_keys[] = {
    {"cluster", 'b', false, 0},
    {"cluster_id", 'i', false, 0},
    {"point_count", 'i', false, 0},
    {"point_count_abbreviated", 's', false, 0},
    {"population", 'i', false, 0},
    {NULL, 0, false, 0},
};

static int open_clusters(struct ogc_run *r, int *status, char *err, size_t errlen)
{
    *status = 400;
    if (r->q.zoom < 0) {
        snprintf(err, errlen, "zoom: required for clusters (0 to %d): clusters depend on the zoom",
                 TILE_LAYER_MAX_ZOOM);
        return -1;
    }
    if (r->q.has_datetime) {
        if (!r->q.datetime_is_instant) {
            snprintf(err, errlen, "datetime: clusters take an instant (the sites as they stood that day)");
            return -1;
        }
        r->filter.day = r->q.dt_start;
    }
    *status = 503;
    const struct cluster_view *v = cluster_view_acquire(r->sites, &r->filter, r->scope, err, errlen);
    if (!v) {
        if (!*err)
            snprintf(err, errlen, "clusters unavailable");
        return -1;
    }
    r->state = (void *)v;
    return 0;
}

static void close_clusters(struct ogc_run *r)
{
    if (r->state)
        cluster_view_release(r->state);
    r->state = NULL;
}

static const struct cluster_view *view(const struct ogc_run *r) { return r->state; }

static int clusters_match(struct ogc_run *r, struct u32list *out)
{
    struct ogc_lonlat_box world = {-180, -90, 180, 90};
    size_t n = r->q.has_bbox ? r->q.n_boxes : 1;
    for (size_t b = 0; b < n; b++) {
        const struct ogc_lonlat_box *box = r->q.has_bbox ? &r->q.boxes[b] : &world;
        double bb[4] = {box->minlon, box->minlat, box->maxlon, box->maxlat};
        struct u32vec refs = {0};
        if (!cluster_index_get_clusters(view(r)->idx, bb, (double)r->q.zoom, &refs)) {
            free(refs.items);
            return -1;
        }
        for (size_t i = 0; i < refs.len; i++)
            if (!u32list_push(out, refs.items[i])) {
                free(refs.items);
                return -1;
            }
        free(refs.items);
    }
    return 0;
}

static void clusters_begin(struct ogc_run *r, uint32_t ref, struct ogc_writer *w)
{
    char id[48];
    if (cluster_ref_is_point(view(r)->idx, ref)) {
        snprintf(id, sizeof id, "site-%d", (int)cluster_view_site(view(r), r->sites, ref)->id);
    } else {
        struct cluster_info ci;
        cluster_index_info(view(r)->idx, ref, &ci);
        snprintf(id, sizeof id, "cluster-%u", ci.id);
    }
    ogc_feature_begin_str(w, id);
}

static void clusters_geometry(struct ogc_run *r, uint32_t ref, struct ogc_writer *w)
{
    if (cluster_ref_is_point(view(r)->idx, ref)) {
        const struct site *s = cluster_view_site(view(r), r->sites, ref);
        ogc_geometry_point(w, s->lon, s->lat);
    } else {
        struct cluster_info ci;
        cluster_index_info(view(r)->idx, ref, &ci);
        ogc_geometry_point(w, ci.lon, ci.lat);
    }
}

static void clusters_props(struct ogc_run *r, uint32_t ref, const struct prop_sink *sink)
{
    const struct cluster_view *v = view(r);
    if (cluster_ref_is_point(v->idx, ref)) {
        const struct site *s = cluster_view_site(v, r->sites, ref);
        int status = site_status_on(s, r->filter.day);
        sink->add_bool(sink->ctx, "cluster", false);
        site_props_emit(sink, r->sites, s, status < 0 ? SITE_UNKNOWN : status, r->filter.day, r->justice);
        site_props_emit_details(sink, s, r->flags);
        return;
    }
    struct cluster_info ci;
    cluster_index_info(v->idx, ref, &ci);
    char abbrev[16];
    sink->add_bool(sink->ctx, "cluster", true);
    sink->add_int(sink->ctx, "cluster_id", ci.id);
    sink->add_int(sink->ctx, "point_count", ci.count);
    if (cluster_abbreviate(ci.count, abbrev))
        sink->add_string(sink->ctx, "point_count_abbreviated", abbrev);
    else
        sink->add_int(sink->ctx, "point_count_abbreviated", ci.count);
    sink->add_int(sink->ctx, "population", ci.weight);
    char key[48];
    for (int s = 0; s < CLUSTER_STATUS_SLOTS; s++) {
        snprintf(key, sizeof key, "status_%s", site_status_name((enum site_status)s));
        sink->add_int(sink->ctx, key, ci.counters[s]);
    }
    for (size_t k = 0; k < v->n_field_types; k++) {
        snprintf(key, sizeof key, "field_type_%d", (int)v->field_type_ids[k]);
        sink->add_int(sink->ctx, key, ci.counters[CLUSTER_STATUS_SLOTS + k]);
    }
}

static int clusters_find(struct ogc_run *r, const char *fid, uint32_t *ref)
{
    const struct cluster_view *v = view(r);
    if (!strncmp(fid, "cluster-", 8)) {
        long id = ogc_parse_int_fid(fid + 8);
        return id >= 0 && cluster_index_find(v->idx, (uint64_t)id, ref) ? 0 : -1;
    }
    if (strncmp(fid, "site-", 5))
        return -1;
    long id = ogc_parse_int_fid(fid + 5);
    uint32_t n = cluster_index_points(v->idx);
    for (uint32_t i = 0; id >= 0 && i < n; i++)
        if (cluster_view_site(v, r->sites, i)->id == id) {
            *ref = i;
            return 0;
        }
    return -1;
}

static void clusters_extent(struct ogc_run *r, struct ogc_extent *e)
{
    ogc_sites.extent(r, e);
    e->temporal = false;
}

static bool clusters_meets(struct ogc_run *r, uint32_t ref, const struct cql2_geometry *g)
{
    if (cluster_ref_is_point(view(r)->idx, ref)) {
        const struct site *s = cluster_view_site(view(r), r->sites, ref);
        return cql2_geometry_intersects_point(g, s->lon, s->lat);
    }
    struct cluster_info ci;
    cluster_index_info(view(r)->idx, ref, &ci);
    return cql2_geometry_intersects_point(g, ci.lon, ci.lat);
}

const struct ogc_collection ogc_clusters = {
    .id = "clusters",
    .title = "Site clusters",
    .description = "The sites clustered for a zoom level (supercluster semantics, as the clusters tile layer): "
                   "zoom= is required. Clusters carry point_count, population and counts by status and field type.",
    .public_ok = false,
    .site_filters = true,
    .zoom_param = true,
    .zoom_required = true,
    .keys = cluster_keys,
    .open = open_clusters,
    .close = close_clusters,
    .match = clusters_match,
    .begin = clusters_begin,
    .geometry = clusters_geometry,
    .props = clusters_props,
    .find = clusters_find,
    .extent = clusters_extent,
    .meets = clusters_meets,
};
