#include "geo/geocode_territories.h"

#include "db/connect.h"
#include "geo/proj.h"

#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char cities_sql[] =
    "SELECT code, name, fk_departement, COALESCE(population, -1), longitude, latitude FROM cities"
    " WHERE latitude IS NOT NULL AND longitude IS NOT NULL ORDER BY code";

float geocode_population_importance(long population)
{
    if (population <= 0)
        return 0;
    /* log10 scale: a village of 100 gets 0.3, a city of 100,000 0.76, Paris (2.1M) 1. */
    double v = log10((double)population + 1) / log10(2.2e6);
    return (float)(v > 1 ? 1 : v);
}

/* BAN x/y are in the territory's own projected CRS: Lambert-93 in metropolitan France,
 * UTM for the overseas départements. */
static const char *projected_crs_of(const char *departement)
{
    static const struct {
        const char *dep, *crs;
    } overseas[] = {{"971", "EPSG:5490"}, {"972", "EPSG:5490"}, {"973", "EPSG:2972"},
                    {"974", "EPSG:2975"}, {"976", "EPSG:4471"}};
    for (size_t i = 0; i < sizeof overseas / sizeof overseas[0]; i++)
        if (!strcmp(departement, overseas[i].dep))
            return overseas[i].crs;
    return "EPSG:2154";
}

static void project(const char *departement, double lon, double lat, double *x, double *y)
{
    char err[256];
    const struct crs_info *wgs84 = crs_lookup("EPSG:4326", err, sizeof err);
    const struct crs_info *to = crs_lookup(projected_crs_of(departement), err, sizeof err);
    *x = lon, *y = lat;
    if (!wgs84 || !to || reproject_points(wgs84, to, x, y, 1, NULL, NULL, 0) != REPROJECT_OK)
        *x = 0, *y = 0; /* a commune outside its CRS's area (should not happen): no x/y */
}

static int add_city(struct builder *b, PGresult *r, int row)
{
    const char *code = PQgetvalue(r, row, 0), *name = PQgetvalue(r, row, 1), *dep = PQgetvalue(r, row, 2);
    long population = strtol(PQgetvalue(r, row, 3), NULL, 10);
    double lon = strtod(PQgetvalue(r, row, 4), NULL), lat = strtod(PQgetvalue(r, row, 5), NULL);
    if (!isfinite(lon) || !isfinite(lat))
        return 0;
    uint32_t *slot = smap_get(&b->cities, &b->pool, code);
    struct gidx_doc *d;
    if (slot) {
        d = &b->docs[*slot];
    } else {
        if (!(d = builder_add_doc(b)) || !smap_put(&b->cities, &b->pool, code, (uint32_t)(b->n_docs - 1)))
            return -1;
        d = &b->docs[b->n_docs - 1];
        uint32_t code_off = pool_str(&b->pool, code), name_off = pool_str(&b->pool, name),
                 dep_off = pool_str(&b->pool, dep);
        if (!code_off || !name_off || !dep_off)
            return -1;
        d->id = code_off, d->citycode = code_off, d->name = name_off, d->city = name_off;
        d->context = dep_off, d->postcode = 0; /* offset 0 is "": the tables have no postcodes */
        d->type = GT_MUNICIPALITY;
    }
    d->lon = lon, d->lat = lat;
    project(dep, lon, lat, &d->x, &d->y);
    d->importance = geocode_population_importance(population);
    return 0;
}

long geocode_add_territories(struct builder *b, const char *conninfo, char *err, size_t errlen)
{
    PGconn *conn = db_connect(conninfo, 0, err, errlen);
    if (!conn)
        return -1;
    PGresult *r = PQexec(conn, cities_sql);
    long rows = -1;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "reading communes: %s", PQresultErrorMessage(r));
    } else {
        rows = PQntuples(r);
        for (int i = 0; i < (int)rows; i++)
            if (add_city(b, r, i) < 0) {
                snprintf(err, errlen, "out of memory adding communes");
                rows = -1;
                break;
            }
    }
    PQclear(r);
    PQfinish(conn);
    return rows;
}
