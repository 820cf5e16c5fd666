/* bbox and CRS text: crs_lookup (geo/proj.h) on the first line, then the clusters
 * endpoint's bbox/zoom/limit/offset parsing and cluster ids (server/route_clusters.c,
 * static: included) on the query string of the second line, against an empty cluster
 * view; a parsed CRS also reprojects the bbox corners to Lambert-93 and back.
 * Input lines: CRS text, query string, cluster id path ("12/leaves"). */
#include "server/route_clusters.c"

#include "fuzz/fuzz_util.h"
#include "geo/proj.h"

static struct site_store *store;
static struct cluster_view *view;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    if (!store) {
        store = site_store_create();
        const struct site_snapshot *snap = site_store_acquire(store);
        struct site_filter none;
        site_filter_init(&none);
        struct scope national = {.kind = SCOPE_NATIONAL};
        view = cluster_view_build(snap, &none, &national, err, sizeof err);
        site_store_release(store, snap);
        if (!view)
            abort();
    }
    const char *f[3];
    struct fuzz_fields ff;
    fuzz_fields(&ff, data, size, '\n', f, 3);

    const struct crs_info *crs = crs_lookup(f[0], err, sizeof err);
    if (!crs && !strstr(err, "supported: "))
        abort();

    struct request req = {.method = "GET", .path = "/clusters/sites.geojson"};
    char *query = strdup(f[1]);
    fuzz_request_query(&req, query);
    const struct site_snapshot *snap = site_store_acquire(store);
    struct response res;
    response_init(&res);
    get_clusters(&req, &res, view, snap, DAY_NONE);
    fuzz_check_response(&res);
    const char *bbox = request_param(&req, "bbox");
    if (crs && res.status == 200 && bbox) {
        double b[4];
        if (sscanf(bbox, "%lf,%lf,%lf,%lf", &b[0], &b[1], &b[2], &b[3]) == 4) {
            double xs[2] = {b[0], b[2]}, ys[2] = {b[1], b[3]};
            const struct crs_info *l93 = crs_lookup("EPSG:2154", err, sizeof err);
            (void)reproject_points(crs, l93, xs, ys, 2, NULL, err, sizeof err);
            (void)reproject_points_flags(l93, crs, xs, ys, 2, REPROJECT_NO_AREA_CHECK, NULL, err, sizeof err);
        }
    }
    response_free(&res);
    response_init(&res);
    const char *slash = strchr(f[2], '/');
    cluster_request(&req, &res, view, snap, f[2], slash ? slash + 1 : "", DAY_NONE);
    fuzz_check_response(&res);
    response_free(&res);
    site_store_release(store, snap);
    free(query);
    fuzz_fields_free(&ff);
    return 0;
}
