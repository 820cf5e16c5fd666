/* Equivalence of tiles/cluster_index with supercluster: builds the C index, asks the
 * same queries of both (supercluster through node tests/js/cluster_equiv.mjs) and
 * compares every answer in order. Header-only: the unit tests link one .c each. */
#ifndef RBMAP_TESTS_UNIT_TEST_CLUSTER_EQUIV_H
#define RBMAP_TESTS_UNIT_TEST_CLUSTER_EQUIV_H
#include "tiles/cluster_index.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct equiv_stats {
    size_t queries, features, mismatches;
    double max_diff;
};

#define EQUIV_SCRIPT "tests/js/cluster_equiv.mjs"

/* A feature as cluster_equiv.mjs writes it, from a C ref (tile: x, y in tile units). */
static json_t *equiv_feature(const struct cluster_index *idx, const struct cluster_input *p, uint32_t ref,
                             bool tile, int z, int32_t shift, uint32_t ty)
{
    if (cluster_ref_is_point(idx, ref) && !tile)
        return json_pack("{s:I}", "p", (json_int_t)ref);
    double ext = cluster_index_options(idx)->extent, z2 = pow(2, z), px, py;
    json_t *f;
    if (cluster_ref_is_point(idx, ref)) {
        f = json_pack("{s:I}", "p", (json_int_t)ref);
        px = cluster_lng_x(p[ref].lon);
        py = cluster_lat_y(p[ref].lat);
    } else {
        struct cluster_info ci;
        cluster_index_info(idx, ref, &ci);
        char ab[16];
        json_t *abbrev = cluster_abbreviate(ci.count, ab) ? json_string(ab) : json_integer(ci.count);
        f = json_pack("{s:I,s:I,s:o,s:f,s:f}", "c", (json_int_t)ci.id, "n", (json_int_t)ci.count, "a", abbrev,
                      "x", ci.lon, "y", ci.lat);
        px = ci.x;
        py = ci.y;
    }
    if (tile) { /* Math.round(extent * (px * z2 - x)) */
        json_object_set_new(f, "x", json_real(floor(ext * (px * z2 - shift) + 0.5)));
        json_object_set_new(f, "y", json_real(floor(ext * (py * z2 - ty) + 0.5)));
    }
    return f;
}

static json_t *equiv_list(const struct cluster_index *idx, const struct cluster_input *p, const uint32_t *refs,
                          size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, equiv_feature(idx, p, refs[i], false, 0, 0, 0));
    return a;
}

/* The C answer to one query, in cluster_equiv.mjs's format. */
static json_t *equiv_answer(const struct cluster_index *idx, const struct cluster_input *p, json_t *q)
{
    const char *type = json_string_value(json_object_get(q, "type"));
    struct u32vec v = {0}, s = {0};
    json_t *out = NULL;
    json_int_t id = json_integer_value(json_object_get(q, "id"));
    if (!strcmp(type, "clusters")) {
        double b[4];
        for (int i = 0; i < 4; i++)
            b[i] = json_number_value(json_array_get(json_object_get(q, "bbox"), (size_t)i));
        cluster_index_get_clusters(idx, b, json_number_value(json_object_get(q, "zoom")), &v);
        out = equiv_list(idx, p, v.items, v.len);
    } else if (!strcmp(type, "tile")) {
        int z = (int)json_integer_value(json_object_get(q, "z"));
        uint32_t x = (uint32_t)json_integer_value(json_object_get(q, "x"));
        uint32_t y = (uint32_t)json_integer_value(json_object_get(q, "y"));
        cluster_index_get_tile(idx, z, x, y, &v, &s);
        out = json_array();
        for (size_t i = 0; i < v.len; i++)
            json_array_append_new(out, equiv_feature(idx, p, v.items[i], true, z, (int32_t)s.items[i], y));
    } else if (!strcmp(type, "children")) {
        const uint32_t *refs;
        size_t n;
        out = cluster_index_children(idx, (uint64_t)id, &refs, &n) ? equiv_list(idx, p, refs, n) : json_null();
    } else if (!strcmp(type, "leaves")) {
        size_t limit = (size_t)json_integer_value(json_object_get(q, "limit"));
        size_t offset = (size_t)json_integer_value(json_object_get(q, "offset"));
        out = cluster_index_leaves(idx, (uint64_t)id, limit, offset, &v) ? equiv_list(idx, p, v.items, v.len)
                                                                          : json_null();
    } else {
        int z = cluster_index_expansion_zoom(idx, (uint64_t)id);
        out = z < 0 ? json_null() : json_integer(z);
    }
    free(v.items);
    free(s.items);
    return out;
}

static bool equiv_same(json_t *c, json_t *js, struct equiv_stats *st)
{
    if (json_is_null(c) || json_is_object(js)) /* C refused / JS threw: both must */
        return json_is_null(c) && json_is_object(js) && json_object_get(js, "error");
    if (json_is_integer(c))
        return json_is_integer(js) && json_integer_value(c) == json_integer_value(js);
    if (json_array_size(c) != json_array_size(js))
        return false;
    for (size_t i = 0; i < json_array_size(c); i++) {
        json_t *a = json_array_get(c, i), *b = json_array_get(js, i);
        st->features++;
        const char *keys[] = {"p", "c", "n", "a"};
        for (int k = 0; k < 4; k++) {
            json_t *x = json_object_get(a, keys[k]), *y = json_object_get(b, keys[k]);
            if (!x != !y || (x && !json_equal(x, y)))
                return false;
        }
        json_t *ax = json_object_get(a, "x"), *bx = json_object_get(b, "x");
        if (!ax != !bx)
            return false;
        if (!ax)
            continue;
        double dx = fabs(json_number_value(ax) - json_number_value(bx));
        double dy = fabs(json_number_value(json_object_get(a, "y")) - json_number_value(json_object_get(b, "y")));
        if (json_object_get(a, "c")) {
            st->max_diff = fmax(st->max_diff, fmax(dx, dy));
            if (!(dx <= 1e-9 && dy <= 1e-9))
                return false;
        } else if (dx != 0 || dy != 0) {
            return false;
        }
    }
    return true;
}

static void equiv_add_queries(const struct cluster_index *idx, const struct cluster_input *p, uint32_t n,
                              json_t *queries)
{
    static const double boxes[][4] = {{-180, -85, 180, 85}, {-5.5, 41, 10, 51.5}, {2, 48.5, 2.8, 49.1},
                                      {170, -40, -170, 10}, {-200, -90, 200, 90}, {-4.2, 42.9, 0, 45}};
    struct u32vec v = {0};
    for (int z = 0; z <= 18; z++) {
        for (size_t b = 0; b < sizeof boxes / sizeof boxes[0]; b++)
            json_array_append_new(queries, json_pack("{s:s,s:[f,f,f,f],s:i}", "type", "clusters", "bbox",
                                                     boxes[b][0], boxes[b][1], boxes[b][2], boxes[b][3], "zoom", z));
        /* tiles under a few points, and the world's west and east edges */
        for (uint32_t k = 0; k < 6; k++) {
            const struct cluster_input *pt = &p[(k * 1777 + (uint32_t)z * 31) % n];
            uint32_t z2 = 1u << z;
            int64_t tx = (int64_t)floor(cluster_lng_x(pt->lon) * z2), ty = (int64_t)floor(cluster_lat_y(pt->lat) * z2);
            tx = tx >= z2 ? z2 - 1 : tx;
            ty = ty >= z2 ? z2 - 1 : ty;
            if (k == 4)
                tx = 0;
            if (k == 5)
                tx = z2 - 1;
            json_array_append_new(queries, json_pack("{s:s,s:i,s:I,s:I}", "type", "tile", "z", z, "x",
                                                     (json_int_t)tx, "y", (json_int_t)ty));
        }
        v.len = 0;
        cluster_index_get_clusters(idx, boxes[0], z, &v);
        size_t taken = 0;
        for (size_t i = 0; i < v.len && taken < 8; i += 1 + v.len / 8) {
            if (cluster_ref_is_point(idx, v.items[i]))
                continue;
            struct cluster_info ci;
            cluster_index_info(idx, v.items[i], &ci);
            taken++;
            json_int_t id = ci.id;
            json_array_append_new(queries, json_pack("{s:s,s:I}", "type", "children", "id", id));
            json_array_append_new(queries, json_pack("{s:s,s:I}", "type", "expansion", "id", id));
            json_array_append_new(queries, json_pack("{s:s,s:I,s:i,s:i}", "type", "leaves", "id", id, "limit", 10,
                                                     "offset", 0));
            json_array_append_new(queries, json_pack("{s:s,s:I,s:i,s:i}", "type", "leaves", "id", id, "limit", 7,
                                                     "offset", (int)(ci.count / 3)));
            json_array_append_new(queries, json_pack("{s:s,s:I,s:i,s:i}", "type", "leaves", "id", id, "limit",
                                                     1000000, "offset", 0));
        }
    }
    json_int_t bad[] = {3, (json_int_t)n + 31, (json_int_t)n + (5 << 5) + 3, (json_int_t)n + (900000 << 5) + 2};
    for (size_t i = 0; i < 4; i++) {
        json_array_append_new(queries, json_pack("{s:s,s:I}", "type", "children", "id", bad[i]));
        json_array_append_new(queries, json_pack("{s:s,s:I,s:i,s:i}", "type", "leaves", "id", bad[i], "limit", 10,
                                                 "offset", 0));
    }
    free(v.items);
}

/* 0: compared (see st), 1: node or supercluster unavailable, -1: failure. o: options
 * (n_counters ignored), the same given to supercluster. */
static int cluster_equiv_run(const struct cluster_input *p, uint32_t n, const struct cluster_options *opt,
                             struct equiv_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (access("tests/js/node_modules/supercluster/index.js", R_OK) || system("node --version >/dev/null 2>&1"))
        return 1;
    struct cluster_options o = *opt;
    o.n_counters = 7;
    char err[128], path[] = "/tmp/rbmap-cluster-equiv-XXXXXX";
    struct cluster_index *idx = cluster_index_build(p, n, &o, err, sizeof err);
    int fd = mkstemp(path);
    if (!idx || fd < 0) {
        cluster_index_free(idx);
        return -1;
    }
    json_t *pts = json_array(), *queries = json_array();
    for (uint32_t i = 0; i < n; i++)
        json_array_append_new(pts, json_pack("[f,f]", p[i].lon, p[i].lat));
    equiv_add_queries(idx, p, n, queries);
    json_t *in = json_pack("{s:o,s:O,s:{s:i,s:i,s:i,s:f,s:f,s:i}}", "points", pts, "queries", queries, "options",
                           "minZoom", o.min_zoom, "maxZoom", o.max_zoom, "minPoints", o.min_points, "radius",
                           o.radius, "extent", o.extent, "nodeSize", (int)o.node_size);
    FILE *f = fdopen(fd, "w");
    json_dumpf(in, f, JSON_COMPACT | JSON_REAL_PRECISION(17));
    fclose(f);
    json_decref(in);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "node " EQUIV_SCRIPT " %s", path);
    FILE *proc = popen(cmd, "r");
    json_error_t jerr;
    json_t *js = proc ? json_loadf(proc, 0, &jerr) : NULL;
    if (proc)
        pclose(proc);
    unlink(path);
    json_t *results = json_object_get(js, "results");
    int rc = json_array_size(results) == json_array_size(queries) ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < json_array_size(queries); i++) {
        json_t *mine = equiv_answer(idx, p, json_array_get(queries, i));
        st->queries++;
        if (!equiv_same(mine, json_array_get(results, i), st)) {
            if (st->mismatches++ < 5) {
                char *q = json_dumps(json_array_get(queries, i), JSON_COMPACT);
                fprintf(stderr, "  mismatch on %s\n", q);
                free(q);
            }
        }
        json_decref(mine);
    }
    json_decref(js);
    json_decref(queries);
    cluster_index_free(idx);
    return rc;
}

#endif
