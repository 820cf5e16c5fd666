#include "tiles/seed.h"

#include "db/action_store.h"
#include "db/connect.h"
#include "db/site_filter.h"
#include "db/site_store.h"
#include "tiles/boundaries.h"
#include "tiles/mbtiles.h"
#include "tiles/render.h"
#include "tiles/render_gzip.h"
#include "tiles/tile_math.h"
#include "util/progress.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The default area fits through z15, not z16: deeper than that, tiles are better served live
 * (and cached) than stored by the million. */
#define SEED_MAX_TILES 5000000ull
#define SEED_MAX_BOXES 16
#define SEED_MAX_THREADS 64

/* The default area: where the platform has sites. One box per piece of land rather
 * than one box around all of them, which would be mostly ocean (about 160,000 tiles at
 * z10 instead of about 2,000). The first box gives the file's `center`. */
static const struct tile_bbox default_boxes[] = {
    {-5.25, 41.30, 9.65, 51.15},    /* metropolitan France and Corsica */
    {-61.85, 15.80, -60.95, 16.55}, /* Guadeloupe */
    {-61.25, 14.35, -60.78, 14.90}, /* Martinique */
    {-54.65, 2.10, -51.55, 5.80},   /* Guyane */
    {55.20, -21.40, 55.85, -20.85}, /* La Réunion */
    {44.95, -13.05, 45.35, -12.60}, /* Mayotte */
};

struct seed_options {
    const char *output, *db;
    const char *filters[4]; /* status, territory, field_type, date as given (filter_flags) */
    unsigned layers;
    int minzoom, maxzoom, threads;
    size_t n_boxes;
    struct tile_bbox boxes[SEED_MAX_BOXES];
    struct scope scope;
    bool force;
};

static void seed_usage(FILE *out)
{
    fprintf(out,
            "usage: rbmap seed --output FILE.mbtiles [--db CONNINFO] [--layers sites,actions,boundaries]\n"
            "                  [--minzoom 0] [--maxzoom 10] [--bbox W,S,E,N ...] [--status S] [--territory T]\n"
            "                  [--field-type F] [--date YYYY-MM-DD] [--scope national|public] [--flags justice]\n"
            "                  [--threads N] [--force]\n"
            "Pre-renders vector tiles into an MBTiles 1.3 file (format pbf, gzipped, empty tiles left out):\n"
            "the tiles `rbmap serve` sends for the same layers, filters and scope.\n"
            "  --output FILE   written as FILE.tmp, renamed when complete; an existing FILE needs --force\n"
            "  --db CONNINFO   the database (default $RBMAP_DB)\n"
            "  --layers        default: all three\n"
            "  --minzoom/--maxzoom  zoom range, 0-%d (default 0-10)\n"
            "  --bbox W,S,E,N  area in WGS84 degrees; repeat for several areas. Default: one box each for\n"
            "                  metropolitan France with Corsica, Guadeloupe, Martinique, Guyane, La Réunion\n"
            "                  and Mayotte (the whole bounding box would be mostly ocean)\n"
            "  --status, --territory, --field-type, --date   filters, as the HTTP parameters\n"
            "  --scope         national (default): every matching site; public: what anonymous users see\n"
            "                  (boundaries only; sites and actions are left out)\n"
            "  --flags justice with --scope national: adds the justice and police fields to sites\n"
            "  --threads N     render threads (default: the number of CPUs)\n"
            "A seeded file contains everything its scope can see, and nothing checks credentials when it\n"
            "is read: a national file shows every site's position; give it only to those allowed to see\n"
            "them. At most %llu tiles: lower --maxzoom or narrow --bbox for more detail.\n",
            TILE_LAYER_MAX_ZOOM, SEED_MAX_TILES);
}

static int parse_int(const char *flag, const char *text, int min, int max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        fprintf(stderr, "rbmap seed: %s: expected an integer from %d to %d, not '%s'\n", flag, min, max, text);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int parse_bbox(const char *text, struct tile_bbox *out)
{
    double v[4];
    const char *p = text;
    for (int i = 0; i < 4; i++) {
        char *end;
        v[i] = strtod(p, &end);
        if (end == p || !isfinite(v[i]) || *end != (i < 3 ? ',' : '\0'))
            goto bad;
        p = end + 1;
    }
    if (v[0] < -180 || v[2] > 180 || v[1] < -90 || v[3] > 90 || v[0] >= v[2] || v[1] >= v[3])
        goto bad;
    *out = (struct tile_bbox){v[0], v[1], v[2], v[3]};
    return 0;
bad:
    fprintf(stderr,
            "rbmap seed: --bbox: expected minlon,minlat,maxlon,maxlat in degrees with west < east and "
            "south < north, not '%s'\n",
            text);
    return -1;
}

/* 0: go on; 1: --help was printed; -1: a bad argument (already reported). */
static int parse_options(int argc, char **argv, struct seed_options *o)
{
    static const struct option longs[] = {
        {"output", required_argument, NULL, 'o'}, {"db", required_argument, NULL, 'd'},
        {"layers", required_argument, NULL, 'l'}, {"minzoom", required_argument, NULL, 'z'},
        {"maxzoom", required_argument, NULL, 'Z'}, {"bbox", required_argument, NULL, 'b'},
        {"status", required_argument, NULL, 's'}, {"territory", required_argument, NULL, 't'},
        {"field-type", required_argument, NULL, 'f'}, {"date", required_argument, NULL, 'D'},
        {"scope", required_argument, NULL, 'S'}, {"flags", required_argument, NULL, 'F'},
        {"threads", required_argument, NULL, 'j'}, {"force", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof(*o));
    /* The layers that draw the map; clusters and bubbles derive from sites per zoom. */
    o->layers = 1u << LAYER_SITES | 1u << LAYER_ACTIONS | 1u << LAYER_BOUNDARIES;
    o->maxzoom = 10;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    o->threads = cpus < 1 ? 1 : cpus > 16 ? 16 : (int)cpus;
    const char *scope = "national", *flags = NULL;
    char err[256];
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'o': o->output = optarg; break;
        case 'd': o->db = optarg; break;
        case 'l':
            if (tile_layers_parse(optarg, strlen(optarg), &o->layers, err, sizeof err) < 0) {
                fprintf(stderr, "rbmap seed: --layers: %s\n", err);
                return -1;
            }
            break;
        case 'z': if (parse_int("--minzoom", optarg, 0, TILE_LAYER_MAX_ZOOM, &o->minzoom) < 0) return -1; break;
        case 'Z': if (parse_int("--maxzoom", optarg, 0, TILE_LAYER_MAX_ZOOM, &o->maxzoom) < 0) return -1; break;
        case 'j': if (parse_int("--threads", optarg, 1, SEED_MAX_THREADS, &o->threads) < 0) return -1; break;
        case 'b':
            if (o->n_boxes == SEED_MAX_BOXES) {
                fprintf(stderr, "rbmap seed: --bbox: at most %d boxes\n", SEED_MAX_BOXES);
                return -1;
            }
            if (parse_bbox(optarg, &o->boxes[o->n_boxes++]) < 0)
                return -1;
            break;
        case 's': o->filters[0] = optarg; break;
        case 't': o->filters[1] = optarg; break;
        case 'f': o->filters[2] = optarg; break;
        case 'D': o->filters[3] = optarg; break;
        case 'S': scope = optarg; break;
        case 'F': flags = optarg; break;
        case 'x': o->force = true; break;
        case 'h': seed_usage(stdout); return 1;
        default:
            fprintf(stderr, "rbmap seed: unknown or incomplete option '%s'\n", argv[optind - 1]);
            seed_usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "rbmap seed: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (!o->output || !*o->output) {
        fprintf(stderr, "rbmap seed: --output FILE.mbtiles is required\n");
        return -1;
    }
    if (o->minzoom > o->maxzoom) {
        fprintf(stderr, "rbmap seed: --minzoom %d is above --maxzoom %d\n", o->minzoom, o->maxzoom);
        return -1;
    }
    if (!strcmp(scope, "national")) {
        scope_national(&o->scope, 0);
    } else if (!strcmp(scope, "public")) {
        scope_public(&o->scope);
    } else {
        fprintf(stderr, "rbmap seed: --scope: expected national or public, not '%s'\n", scope);
        return -1;
    }
    if (flags && (strcmp(flags, "justice") || o->scope.kind != SCOPE_NATIONAL)) {
        fprintf(stderr, "rbmap seed: --flags: only 'justice' changes tiles, and only with --scope national\n");
        return -1;
    }
    if (flags)
        o->scope.flags |= SCOPE_FLAG_JUSTICE;
    if (o->scope.kind == SCOPE_PUBLIC) { /* render would leave them empty anyway */
        o->layers &= 1u << LAYER_BOUNDARIES;
        if (!o->layers) {
            fprintf(stderr, "rbmap seed: --scope public sees no sites or actions: use --layers boundaries\n");
            return -1;
        }
    }
    if (!o->n_boxes) {
        o->n_boxes = sizeof default_boxes / sizeof default_boxes[0];
        memcpy(o->boxes, default_boxes, sizeof default_boxes);
    }
    return 0;
}

/* The tiles to seed: per zoom, the tiles of each box's range; a tile in several
 * ranges belongs to the first, so overlapping boxes never give a duplicate. */
struct tile_iter {
    const struct seed_options *o;
    int z;
    size_t n, i;
    struct tile_range r[SEED_MAX_BOXES];
    uint32_t x, y;
};

static bool in_range(const struct tile_range *r, uint32_t x, uint32_t y)
{
    return x >= r->minx && x <= r->maxx && y >= r->miny && y <= r->maxy;
}

static void iter_zoom(struct tile_iter *it, int z)
{
    it->z = z;
    it->n = it->i = 0;
    for (size_t b = 0; b < it->o->n_boxes && z <= it->o->maxzoom; b++)
        if (tile_range_for_lonlat(z, &it->o->boxes[b], &it->r[it->n]))
            it->n++;
    if (it->n) {
        it->x = it->r[0].minx;
        it->y = it->r[0].miny;
    }
}

static bool iter_next(struct tile_iter *it, int *z, uint32_t *x, uint32_t *y)
{
    while (it->z <= it->o->maxzoom) {
        if (it->i >= it->n) {
            iter_zoom(it, it->z + 1);
            continue;
        }
        const struct tile_range *r = &it->r[it->i];
        if (it->y > r->maxy) {
            if (++it->i < it->n) {
                it->x = it->r[it->i].minx;
                it->y = it->r[it->i].miny;
            }
            continue;
        }
        uint32_t cx = it->x, cy = it->y;
        if (it->x == r->maxx) {
            it->x = r->minx;
            it->y++;
        } else {
            it->x++;
        }
        bool seen = false;
        for (size_t j = 0; j < it->i && !seen; j++)
            seen = in_range(&it->r[j], cx, cy);
        if (!seen) {
            *z = it->z, *x = cx, *y = cy;
            return true;
        }
    }
    return false;
}

/* Counts exactly (so the progress bar ends at its total) by walking the tiles once,
 * stopping past `limit` so that a huge request is refused quickly. */
static uint64_t count_tiles(const struct seed_options *o, uint64_t limit)
{
    struct tile_iter it = {.o = o};
    iter_zoom(&it, o->minzoom);
    uint64_t total = 0;
    int z;
    uint32_t x, y;
    while (total <= limit && iter_next(&it, &z, &x, &y))
        total++;
    return total;
}

/* The producer side of mbtiles_fill: tiles come from the iterator (under the fill's
 * lock), are rendered on the fill's threads and gzipped as the server gzips them, so
 * a seeded tile gunzips to what the server sends. */
struct seed_job {
    const struct seed_options *o;
    const struct tile_sources *src;
    const struct site_filter *filter;
    struct tile_iter iter;
    struct progress progress;
};

static bool job_next(void *ctx, int *z, uint32_t *x, uint32_t *y)
{
    return iter_next(&((struct seed_job *)ctx)->iter, z, x, y);
}

static int job_produce(void *ctx, int z, uint32_t x, uint32_t y, struct buf *out, struct buf *raw, char *err,
                       size_t errlen)
{
    const struct seed_job *job = ctx;
    struct tile_request rq = {.z = z, .x = x, .y = y, .layers = job->o->layers, .filter = job->filter,
                              .scope = &job->o->scope};
    struct tile_render_stats stats;
    buf_reset(raw);
    if (tile_render(&rq, job->src, raw, &stats) == 0 && (!raw->len || tile_gzip(raw->data, raw->len, out)))
        return 0;
    snprintf(err, errlen, "tile %d/%u/%u could not be rendered (out of memory)", z, x, y);
    return -1;
}

static void job_done(void *ctx) { progress_add(&((struct seed_job *)ctx)->progress, 1); }

/* The filters, as the HTTP parameters they mirror. */
static const struct {
    const char *flag, *param;
    int (*parse)(struct site_filter *, const char *, char *, size_t);
} filter_flags[] = {{"--status", "status", site_filter_parse_status},
                    {"--territory", "territory", site_filter_parse_territory},
                    {"--field-type", "field_type", site_filter_parse_field_type},
                    {"--date", "date", site_filter_parse_date}};

static int parse_filters(const struct seed_options *o, struct site_filter *f)
{
    char err[512];
    site_filter_init(f);
    for (int i = 0; i < 4; i++)
        if (filter_flags[i].parse(f, o->filters[i], err, sizeof err) < 0) {
            fprintf(stderr, "rbmap seed: %s: %s\n", filter_flags[i].flag, err);
            return -1;
        }
    return 0;
}

struct seed_data {
    struct site_store *sites;
    struct action_store *actions;
    struct boundary_set *boundaries;
};

/* Everything the tiles need, loaded once: a seed is a snapshot of one moment. */
static int load_data(const struct seed_options *o, struct seed_data *d)
{
    const char *conninfo = db_conninfo_choose(o->db);
    if (!conninfo) {
        fprintf(stderr, "rbmap seed: no database: pass --db CONNINFO or set RBMAP_DB\n");
        return -1;
    }
    char err[1024] = "out of memory";
    PGconn *conn = db_connect(conninfo, 0, err, sizeof err);
    d->sites = site_store_create();
    d->actions = action_store_create();
    if (d->sites)
        site_store_set_prepare(d->sites, tile_snapshot_prepare, NULL);
    int rc = conn && d->sites && d->actions ? site_store_load_all(d->sites, conn, err, sizeof err) : -1;
    if (rc == 0 && (o->layers & 1u << LAYER_ACTIONS))
        rc = action_store_load_all(d->actions, conn, err, sizeof err);
    /* Boundary feature ids are their row numbers in the load; a parallel plan returns
     * rows in a varying order, so without this two seeds would number them differently. */
    if (rc == 0 && (o->layers & 1u << LAYER_BOUNDARIES) &&
        (db_exec(conn, "SET max_parallel_workers_per_gather = 0", err, sizeof err) < 0 ||
         !(d->boundaries = boundary_layer_load(conn, err, sizeof err))))
        rc = -1;
    PQfinish(conn);
    if (rc < 0)
        fprintf(stderr, "rbmap seed: %s\n", err);
    return rc;
}

static int write_metadata(const struct seed_options *o, struct mbtiles *m, char *err, size_t errlen)
{
    struct mbtiles_vector_info info = {.layers = o->layers, .scope = &o->scope, .minzoom = o->minzoom,
                                       .maxzoom = o->maxzoom};
    info.bounds[0] = info.bounds[1] = INFINITY;
    info.bounds[2] = info.bounds[3] = -INFINITY;
    for (size_t i = 0; i < o->n_boxes; i++) {
        info.bounds[0] = fmin(info.bounds[0], o->boxes[i].minx);
        info.bounds[1] = fmin(info.bounds[1], tile_clamp_lat(o->boxes[i].miny));
        info.bounds[2] = fmax(info.bounds[2], o->boxes[i].maxx);
        info.bounds[3] = fmax(info.bounds[3], tile_clamp_lat(o->boxes[i].maxy));
    }
    /* The first box's middle: for the default, metropolitan France rather than the
     * Atlantic between the overseas départements. */
    info.center[0] = (o->boxes[0].minx + o->boxes[0].maxx) / 2;
    info.center[1] = (tile_clamp_lat(o->boxes[0].miny) + tile_clamp_lat(o->boxes[0].maxy)) / 2;
    /* The filters as the query string that gets the same tiles from the server. */
    char filters[1024] = "", generated[32];
    for (int i = 0; i < 4; i++)
        if (o->filters[i])
            snprintf(filters + strlen(filters), sizeof filters - strlen(filters), "%s%s=%s", *filters ? "&" : "",
                     filter_flags[i].param, o->filters[i]);
    time_t now = time(NULL);
    struct tm tm;
    strftime(generated, sizeof generated, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    if (mbtiles_put_vector_metadata(m, &info, err, errlen) < 0 ||
        mbtiles_put_metadata(m, "rbmap:filters", filters, err, errlen) < 0 ||
        mbtiles_put_metadata(m, "rbmap:generated_at", generated, err, errlen) < 0)
        return -1;
    return 0;
}

static int seed_with(const struct seed_options *o, struct seed_data *d, struct site_filter *filter, uint64_t total)
{
    struct tile_sources src = {.sites = site_store_acquire(d->sites), .actions = action_store_acquire(d->actions),
                               .boundaries = d->boundaries};
    char err[1024];
    int rc = 1;
    struct mbtiles *m = NULL;
    if (site_filter_resolve(filter, src.sites, err, sizeof err) < 0) {
        fprintf(stderr, "rbmap seed: --field-type: %s\n", err);
        rc = 2;
    } else if (!(m = mbtiles_create(o->output, o->force, err, sizeof err)) ||
               write_metadata(o, m, err, sizeof err) < 0) {
        fprintf(stderr, "rbmap seed: %s\n", err);
    } else {
        fprintf(stderr, "rbmap seed: %zu sites, %zu action points, %zu boundaries; z%d-z%d, %d thread%s\n",
                src.sites->count, src.actions->count, d->boundaries ? boundary_layer_count(d->boundaries) : 0,
                o->minzoom, o->maxzoom, o->threads, o->threads > 1 ? "s" : "");
        struct seed_job job = {.o = o, .src = &src, .filter = filter, .iter = {.o = o}};
        struct mbtiles_producer producer = {&job, job_next, job_produce, job_done};
        struct mbtiles_fill_stats t;
        iter_zoom(&job.iter, o->minzoom);
        progress_start(&job.progress, "rbmap seed: tiles", total);
        int failed = mbtiles_fill(m, &producer, o->threads, &t, err, sizeof err);
        progress_finish(&job.progress);
        if (failed) {
            fprintf(stderr, "rbmap seed: %s; nothing written\n", err);
            mbtiles_abort(m);
        } else if (mbtiles_commit(m, err, sizeof err) < 0) {
            fprintf(stderr, "rbmap seed: %s\n", err);
        } else {
            fprintf(stderr,
                    "rbmap seed: %llu tiles written to %s (%llu empty left out), %.1f MB of tiles, largest %.1f KB\n",
                    (unsigned long long)t.written, o->output, (unsigned long long)t.empty, (double)t.bytes / 1e6,
                    (double)t.largest / 1e3);
            rc = 0;
        }
        m = NULL; /* commit or abort freed it */
    }
    mbtiles_abort(m);
    action_store_release(src.actions);
    site_store_release(d->sites, src.sites);
    return rc;
}

int cmd_seed(int argc, char **argv)
{
    struct seed_options o;
    struct site_filter filter;
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (parse_filters(&o, &filter) < 0)
        return 2;
    /* Refused before any work; mbtiles_commit checks again when it moves the file. */
    if (!o.force && access(o.output, F_OK) == 0) {
        fprintf(stderr, "rbmap seed: %s already exists: pass --force to replace it\n", o.output);
        return 2;
    }
    uint64_t total = count_tiles(&o, SEED_MAX_TILES);
    if (total > SEED_MAX_TILES) {
        fprintf(stderr, "rbmap seed: more than %llu tiles for z%d-z%d over this area: lower --maxzoom or narrow --bbox\n",
                SEED_MAX_TILES, o.minzoom, o.maxzoom);
        return 2;
    }
    struct seed_data d = {0};
    rc = load_data(&o, &d) == 0 ? seed_with(&o, &d, &filter, total) : 1;
    boundary_layer_free(d.boundaries);
    action_store_destroy(d.actions);
    site_store_destroy(d.sites);
    return rc;
}
