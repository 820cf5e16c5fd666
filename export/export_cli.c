/* `rbmap export`: one collection to a file, as GET /export/... writes it, read straight
 * from the database with the national scope (justice fields only with --with-justice). */
#include "export/export_cli.h"

#include "db/connect.h"
#include "export/export.h"
#include "tiles/boundaries.h"
#include "tiles/territory_bubbles.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct export_options {
    const char *db, *collection, *format, *output, *crs, *bbox, *level;
    const char *filters[4]; /* status, territory, field_type, date */
    bool justice, force;
    long max_features;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rbmap export --output FILE [--collection sites] [--format gpkg] [--db CONNINFO]\n"
            "                    [--crs 2154] [--status S] [--territory T] [--field-type F] [--date YYYY-MM-DD]\n"
            "                    [--bbox W,S,E,N] [--level L] [--with-justice] [--max-features N] [--force]\n"
            "Writes one collection to a file with GDAL/OGR, as GET /export/{collection}.{format} does.\n"
            "  --collection   %s (default sites)\n"
            "  --format       %s; default: from the --output name\n"
            "  --crs          output CRS: EPSG code or URI (default EPSG:4326); the file declares it\n"
            "  --status, --territory, --field-type, --date   filters, as the HTTP parameters\n"
            "  --bbox W,S,E,N area in WGS84 degrees\n"
            "  --level        boundaries: region, departement, epci, city; territories: region,\n"
            "                 departement (default), city\n"
            "  --with-justice add the justice and police fields of sites (sensitive: only for those\n"
            "                 allowed to see them)\n"
            "  --max-features refuse larger exports (default %d, the server's export_max_features)\n"
            "  --force        replace an existing FILE\n"
            "The file holds every matching site of the whole country (national scope).\n",
            export_collection_list(), export_format_list(), 1000000);
}

/* 0: go on; 1: --help printed; -1: bad argument (reported). */
static int parse_options(int argc, char **argv, struct export_options *o)
{
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'},         {"collection", required_argument, NULL, 'c'},
        {"format", required_argument, NULL, 'F'},     {"output", required_argument, NULL, 'o'},
        {"crs", required_argument, NULL, 'C'},        {"bbox", required_argument, NULL, 'b'},
        {"level", required_argument, NULL, 'l'},      {"status", required_argument, NULL, 's'},
        {"territory", required_argument, NULL, 't'},  {"field-type", required_argument, NULL, 'f'},
        {"date", required_argument, NULL, 'D'},       {"with-justice", no_argument, NULL, 'j'},
        {"max-features", required_argument, NULL, 'm'}, {"force", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof(*o));
    o->collection = "sites";
    o->max_features = 1000000;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 'c': o->collection = optarg; break;
        case 'F': o->format = optarg; break;
        case 'o': o->output = optarg; break;
        case 'C': o->crs = optarg; break;
        case 'b': o->bbox = optarg; break;
        case 'l': o->level = optarg; break;
        case 's': o->filters[0] = optarg; break;
        case 't': o->filters[1] = optarg; break;
        case 'f': o->filters[2] = optarg; break;
        case 'D': o->filters[3] = optarg; break;
        case 'j': o->justice = true; break;
        case 'x': o->force = true; break;
        case 'm': {
            char *end;
            errno = 0;
            o->max_features = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || o->max_features < 1 || o->max_features > 100000000) {
                fprintf(stderr, "rbmap export: --max-features: expected an integer from 1 to 100000000, not '%s'\n",
                        optarg);
                return -1;
            }
            break;
        }
        case 'h': usage(stdout); return 1;
        default:
            fprintf(stderr, "rbmap export: unknown or incomplete option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "rbmap export: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (!o->output || !*o->output) {
        fprintf(stderr, "rbmap export: --output FILE is required\n");
        return -1;
    }
    return 0;
}

/* The format from --format, else from the output's name ("x.shp.zip", "x.gpkg"). */
static const struct export_format *choose_format(const struct export_options *o)
{
    if (o->format) {
        const struct export_format *f = export_format_find(o->format);
        if (!f)
            fprintf(stderr, "rbmap export: --format: unknown format '%s'; expected one of: %s\n", o->format,
                    export_format_list());
        return f;
    }
    const char *base = strrchr(o->output, '/');
    base = base ? base + 1 : o->output;
    for (const char *dot = strchr(base, '.'); dot; dot = strchr(dot + 1, '.')) {
        const struct export_format *f = export_format_find(dot + 1);
        if (f)
            return f;
    }
    fprintf(stderr, "rbmap export: --format is needed: '%s' does not end in one of %s\n", o->output,
            export_format_list());
    return NULL;
}

static int build_query(const struct export_options *o, struct export_query *q, struct site_filter *f,
                       struct scope *scope)
{
    char err[512];
    int c = export_collection_find(o->collection);
    if (c < 0) {
        fprintf(stderr, "rbmap export: --collection: unknown collection '%s'; expected one of: %s\n", o->collection,
                export_collection_list());
        return -1;
    }
    q->collection = (enum export_collection)c;
    if (!(q->format = choose_format(o)))
        return -1;
    if (!(q->crs = crs_lookup(o->crs ? o->crs : "EPSG:4326", err, sizeof err))) {
        fprintf(stderr, "rbmap export: --crs: %s\n", err);
        return -1;
    }
    if (o->bbox) {
        const char *p = o->bbox;
        double *v = q->bbox;
        for (int i = 0; i < 4; i++) {
            char *end;
            v[i] = strtod(p, &end);
            if (end == p || !isfinite(v[i]) || *end != (i < 3 ? ',' : '\0') || v[0] < -180) {
                fprintf(stderr, "rbmap export: --bbox: expected W,S,E,N in degrees, not '%s'\n", o->bbox);
                return -1;
            }
            p = end + 1;
        }
        if (v[0] >= v[2] || v[1] >= v[3] || v[2] > 180 || v[1] < -90 || v[3] > 90) {
            fprintf(stderr, "rbmap export: --bbox: expected west < east and south < north within the world\n");
            return -1;
        }
        q->has_bbox = true;
    }
    q->level = o->level;
    static const char *const flags[4] = {"--status", "--territory", "--field-type", "--date"};
    int (*const parsers[4])(struct site_filter *, const char *, char *, size_t) = {
        site_filter_parse_status, site_filter_parse_territory, site_filter_parse_field_type,
        site_filter_parse_date};
    site_filter_init(f);
    for (int i = 0; i < 4; i++)
        if (parsers[i](f, o->filters[i], err, sizeof err) < 0) {
            fprintf(stderr, "rbmap export: %s: %s\n", flags[i], err);
            return -1;
        }
    scope_national(scope, o->justice ? SCOPE_FLAG_JUSTICE : 0);
    q->filter = f;
    q->scope = scope;
    q->max_features = (size_t)o->max_features;
    if (export_check_query(q, err, sizeof err) != EXPORT_OK) {
        fprintf(stderr, "rbmap export: %s\n", err);
        return -1;
    }
    return 0;
}

struct loaded {
    struct site_store *sites;
    struct action_store *actions;
    struct boundary_set *boundaries;
    struct territory_points *territories;
};

static int load(const struct export_options *o, enum export_collection c, struct loaded *d)
{
    const char *conninfo = db_conninfo_choose(o->db);
    if (!conninfo) {
        fprintf(stderr, "rbmap export: no database: pass --db CONNINFO or set RBMAP_DB\n");
        return -1;
    }
    char err[1024] = "out of memory";
    fprintf(stderr, "rbmap export: reading %s from the database\n", export_collection_name(c));
    PGconn *conn = db_connect(conninfo, 0, err, sizeof err);
    d->sites = site_store_create();
    d->actions = action_store_create();
    int rc = conn && d->sites && d->actions ? site_store_load_all(d->sites, conn, err, sizeof err) : -1;
    if (rc == 0 && c == EXPORT_ACTIONS)
        rc = action_store_load_all(d->actions, conn, err, sizeof err);
    if (rc == 0 && c == EXPORT_BOUNDARIES && !(d->boundaries = boundary_layer_load(conn, err, sizeof err)))
        rc = -1;
    if (rc == 0 && c == EXPORT_TERRITORIES && !(d->territories = territory_points_load(conn, err, sizeof err)))
        rc = -1;
    PQfinish(conn);
    if (rc < 0)
        fprintf(stderr, "rbmap export: %s\n", err);
    return rc;
}

static void unload(struct loaded *d)
{
    site_store_destroy(d->sites);
    action_store_destroy(d->actions);
    boundary_layer_free(d->boundaries);
    territory_points_free(d->territories);
}

/* Written next to the output as FILE.tmp, renamed when complete: never half a file. */
static int save(const char *output, const unsigned char *data, size_t len)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", output);
    FILE *f = fopen(tmp, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0 || rename(tmp, output) != 0) {
        fprintf(stderr, "rbmap export: cannot write %s: %s\n", output, strerror(errno));
        if (f)
            unlink(tmp);
        return -1;
    }
    return 0;
}

int cmd_export(int argc, char **argv)
{
    struct export_options o;
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc > 0 ? 0 : 2;
    struct export_query q = {0};
    struct site_filter filter;
    struct scope scope;
    if (build_query(&o, &q, &filter, &scope) < 0)
        return 2;
    if (!o.force && access(o.output, F_OK) == 0) {
        fprintf(stderr, "rbmap export: %s exists; pass --force to replace it\n", o.output);
        return 2;
    }
    char probe[4096];
    snprintf(probe, sizeof probe, "%s.tmp", o.output);
    FILE *pf = fopen(probe, "wb"); /* a bad path fails now, not after the whole export */
    if (!pf) {
        fprintf(stderr, "rbmap export: cannot write %s: %s\n", o.output, strerror(errno));
        return 2;
    }
    fclose(pf);
    unlink(probe);
    struct loaded d = {0};
    if (load(&o, q.collection, &d) < 0) {
        unload(&d);
        return 1;
    }
    struct export_sources src = {.sites = site_store_acquire(d.sites), .actions = action_store_acquire(d.actions),
                                 .boundaries = d.boundaries, .territories = d.territories};
    char err[1024];
    unsigned char *data = NULL;
    size_t len = 0, features = 0;
    struct progress progress;
    q.progress = &progress;
    if (site_filter_resolve(&filter, src.sites, err, sizeof err) < 0) {
        fprintf(stderr, "rbmap export: --field-type: %s\n", err);
        rc = 2;
    } else if ((rc = export_run(&q, &src, &data, &len, &features, err, sizeof err)) != EXPORT_OK) {
        fprintf(stderr, "rbmap export: %s\n", err);
        rc = rc == EXPORT_BAD_REQUEST || rc == EXPORT_TOO_LARGE ? 2 : 1;
    } else if (save(o.output, data, len) < 0) {
        rc = 1;
    } else {
        fprintf(stderr, "rbmap export: %zu %s written to %s (%s, %s, %.1f kB)\n", features,
                export_collection_name(q.collection), o.output, q.format->name, q.crs->code, (double)len / 1e3);
    }
    export_bytes_free(data);
    action_store_release(src.actions);
    site_store_release(d.sites, src.sites);
    unload(&d);
    return rc;
}
