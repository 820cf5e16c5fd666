#include "tiles/boundaries.h"

#include "geo/rtree.h"
#include "tiles/clip.h"
#include "tiles/layer_catalog.h"
#include "tiles/mvt.h"
#include "tiles/tile_math.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct boundary {
    const char *level; /* "region", "departement", "epci", "city" */
    int minzoom;
    char code[10];
    char *name;
    struct clip_geom world;
};

struct boundary_set {
    struct boundary *items;
    size_t count;
    struct rtree *index; /* over lon/lat boxes of items */
    struct rtree_box *boxes; /* lon/lat box of each item */
};

/* Coarse levels first, so a tile lists régions before communes. Arrondissements have
 * no polygon of their own. */
/* Coarse levels first, then by code: the order gives each boundary its feature id, so
 * it must not depend on how PostgreSQL happens to run the union (a parallel append
 * changes it from one load to the next). Arrondissements have no polygon of their own. */
static const char boundaries_sql[] =
    "SELECT level, code, name, ST_AsBinary(geom), ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM ("
    " SELECT 0 AS rank, 'region' AS level, code::text AS code, name, geom FROM regions WHERE geom IS NOT NULL"
    " UNION ALL SELECT 1, 'departement', code, name, geom FROM departements WHERE geom IS NOT NULL"
    " UNION ALL SELECT 2, 'epci', code, name, geom FROM epci WHERE geom IS NOT NULL"
    " UNION ALL SELECT 3, 'city', code, name, geom FROM cities WHERE geom IS NOT NULL) b"
    " ORDER BY rank, code";

static pthread_key_t clip_key;
static pthread_once_t clip_once = PTHREAD_ONCE_INIT;
static void clip_free_any(void *c) { clip_ctx_free(c); }
static void clip_key_init(void) { pthread_key_create(&clip_key, clip_free_any); }

/* One GEOS context per thread (GEOS handles are not shareable). */
static struct clip_ctx *thread_clip_ctx(void)
{
    pthread_once(&clip_once, clip_key_init);
    struct clip_ctx *c = pthread_getspecific(clip_key);
    if (!c && (c = clip_ctx_new()))
        pthread_setspecific(clip_key, c);
    return c;
}

static const struct {
    const char *level;
    int minzoom;
} level_zooms[] = {{"region", BOUNDARY_MINZOOM_REGION},
                   {"departement", BOUNDARY_MINZOOM_DEPARTEMENT},
                   {"epci", BOUNDARY_MINZOOM_EPCI},
                   {"city", BOUNDARY_MINZOOM_CITY}};

void boundary_layer_free(struct boundary_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->count; i++) {
        free(set->items[i].name);
        clip_geom_free(&set->items[i].world);
    }
    free(set->items);
    free(set->boxes);
    rtree_free(set->index);
    free(set);
}

size_t boundary_layer_count(const struct boundary_set *set) { return set ? set->count : 0; }

bool boundary_layer_get(const struct boundary_set *set, uint32_t index, struct boundary_view *out)
{
    if (!set || index >= set->count)
        return false;
    const struct boundary *b = &set->items[index];
    *out = (struct boundary_view){index, b->level, b->code, b->name, b->minzoom, &b->world,
                                  set->boxes[index].minx, set->boxes[index].miny, set->boxes[index].maxx,
                                  set->boxes[index].maxy};
    return true;
}

struct search_ctx {
    const struct boundary_set *set;
    bool (*visit)(const struct boundary_view *b, void *arg);
    void *arg;
};

static bool search_visit(uint32_t index, void *arg)
{
    struct search_ctx *sc = arg;
    struct boundary_view view;
    return !boundary_layer_get(sc->set, index, &view) || sc->visit(&view, sc->arg);
}

void boundary_layer_search(const struct boundary_set *set, double minlon, double minlat, double maxlon,
                           double maxlat, bool (*visit)(const struct boundary_view *b, void *arg), void *arg)
{
    if (!set || !set->count)
        return;
    struct search_ctx sc = {set, visit, arg};
    struct rtree_box q = {minlon, minlat, maxlon, maxlat};
    rtree_search(set->index, &q, search_visit, &sc);
}

struct boundary_set *boundary_layer_load(PGconn *conn, char *err, size_t errlen)
{
    PGresult *r = PQexecParams(conn, boundaries_sql, 0, NULL, NULL, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "loading boundaries: %s", PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    int rows = PQntuples(r);
    struct boundary_set *set = calloc(1, sizeof(*set));
    struct rtree_box *boxes = calloc(rows ? (size_t)rows : 1, sizeof(*boxes));
    struct clip_ctx *clip = thread_clip_ctx();
    if (set)
        set->items = calloc(rows ? (size_t)rows : 1, sizeof(*set->items));
    if (!set || !set->items || !boxes || !clip) {
        snprintf(err, errlen, "out of memory loading boundaries");
        goto fail;
    }
    for (int i = 0; i < rows; i++) {
        struct boundary *b = &set->items[set->count];
        const char *level = PQgetvalue(r, i, 0);
        for (size_t k = 0; k < sizeof level_zooms / sizeof level_zooms[0]; k++)
            if (!strcmp(level, level_zooms[k].level)) {
                b->level = level_zooms[k].level;
                b->minzoom = level_zooms[k].minzoom;
            }
        snprintf(b->code, sizeof b->code, "%s", PQgetvalue(r, i, 1));
        b->name = strdup(PQgetvalue(r, i, 2));
        clip_geom_init(&b->world);
        int got = clip_geom_from_wkb(clip, PQgetvalue(r, i, 3), (size_t)PQgetlength(r, i, 3), CLIP_CRS_LONLAT,
                                     &b->world);
        if (!b->name || got < 0 || !b->level) {
            snprintf(err, errlen, "boundary %s %s: %s", level, b->code, got < 0 ? clip_ctx_error(clip) : "bad row");
            free(b->name);
            clip_geom_free(&b->world);
            goto fail;
        }
        if (got == 0) {
            free(b->name);
            clip_geom_free(&b->world);
            continue;
        }
        /* Binary results: the bbox doubles come as big-endian float8. */
        double v[4];
        for (int k = 0; k < 4; k++) {
            uint64_t bits = 0;
            const unsigned char *p = (const unsigned char *)PQgetvalue(r, i, 4 + k);
            for (int j = 0; j < 8; j++)
                bits = bits << 8 | p[j];
            memcpy(&v[k], &bits, sizeof v[k]);
        }
        boxes[set->count] = (struct rtree_box){v[0], v[1], v[2], v[3]};
        set->count++;
    }
    set->index = rtree_build(boxes, set->count);
    if (!set->index) {
        snprintf(err, errlen, "out of memory indexing boundaries");
        goto fail;
    }
    set->boxes = boxes;
    PQclear(r);
    return set;
fail:
    free(boxes);
    PQclear(r);
    boundary_layer_free(set);
    return NULL;
}

struct render_ctx {
    const struct boundary_set *set;
    int z;
    uint32_t *hits;
    size_t n, cap;
    bool failed;
};

static bool collect(uint32_t index, void *arg)
{
    struct render_ctx *rc = arg;
    if (rc->set->items[index].minzoom > rc->z)
        return true;
    if (rc->n == rc->cap) {
        size_t cap = rc->cap ? rc->cap * 2 : 64;
        uint32_t *grown = realloc(rc->hits, cap * sizeof(*grown));
        if (!grown) {
            rc->failed = true;
            return false;
        }
        rc->hits = grown;
        rc->cap = cap;
    }
    rc->hits[rc->n++] = index;
    return true;
}

static int compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int boundary_layer_render(const struct boundary_set *set, int z, uint32_t x, uint32_t y, struct mvt_tile *tile,
                      size_t *features)
{
    *features = 0;
    struct tile_bbox box;
    if (!set || !tile_query_bbox(z, x, y, TILE_EXTENT, TILE_POLYGON_BUFFER, &box))
        return 0;
    struct clip_ctx *clip = thread_clip_ctx();
    if (!clip)
        return -1;
    struct render_ctx rc = {.set = set, .z = z};
    struct rtree_box q = {box.minx, box.miny, box.maxx, box.maxy};
    rtree_search(set->index, &q, collect, &rc);
    if (rc.failed) {
        free(rc.hits);
        return -1;
    }
    if (rc.n) /* load order: coarse levels first */
        qsort(rc.hits, rc.n, sizeof(*rc.hits), compare_u32);
    struct clip_tile t = {.z = (unsigned)z, .x = x, .y = y, .extent = TILE_EXTENT,
                          .buffer = TILE_POLYGON_BUFFER, .tolerance = 1.0};
    struct clip_geom cut;
    clip_geom_init(&cut);
    struct mvt_layer *layer = NULL;
    int rc_out = 0;
    for (size_t i = 0; i < rc.n; i++) {
        const struct boundary *b = &set->items[rc.hits[i]];
        int got = clip_geom_to_tile(clip, &b->world, &t, &cut);
        if (got < 0) {
            rc_out = -1;
            break;
        }
        if (got == 0)
            continue;
        if (!layer && !(layer = mvt_tile_add_layer(tile, "boundaries", TILE_EXTENT))) {
            rc_out = -1;
            break;
        }
        struct mvt_feature *f = mvt_layer_begin_feature(layer, MVT_POLYGON);
        if (!f)
            continue;
        /* Ids unique across levels: the row number of the boundary in this set. */
        mvt_feature_set_id(f, (uint64_t)rc.hits[i] + 1);
        clip_geom_encode(&cut, f);
        mvt_feature_add_string(f, "level", b->level);
        mvt_feature_add_string(f, "code", b->code);
        mvt_feature_add_string(f, "name", b->name);
        mvt_feature_end(f);
    }
    *features = layer ? mvt_layer_feature_count(layer) : 0;
    clip_geom_free(&cut);
    free(rc.hits);
    return rc_out;
}
