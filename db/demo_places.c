#include "db/demo_places.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Share of all sites per département, after the platform's public figures and press
 * coverage: about half in Île-de-France (Seine-Saint-Denis first), then the big
 * metropolitan areas, then Guyane and Mayotte. The remaining share is spread over
 * every other département by population. */
static const struct {
    const char *code;
    double share;
} HOTSPOTS[] = {
    {"93", 14}, {"94", 6}, {"91", 6},  {"95", 5},  {"92", 3},   {"77", 4},   {"78", 3},  {"75", 4},
    {"59", 7},  {"13", 7}, {"69", 5},  {"31", 4},  {"33", 4},   {"44", 5},   {"34", 3},  {"06", 2},
    {"38", 2},  {"67", 2}, {"973", 3}, {"976", 3}, {"971", 1},  {"972", 0.5}, {"974", 1},
};
#define OTHER_DEPARTEMENTS_SHARE 6.0

/* Shantytowns sit on the edges of towns, rarely in villages. */
static double commune_weight(double population)
{
    if (population >= 10000)
        return population;
    if (population >= 2000)
        return population * 0.6;
    return population * 0.15;
}

static uint32_t pool_add(struct demo_places *p, const char *s)
{
    size_t n = strlen(s) + 1;
    if (p->names_len + n > p->names_cap) {
        size_t cap = p->names_cap ? p->names_cap * 2 : 65536;
        while (cap < p->names_len + n)
            cap *= 2;
        char *grown = realloc(p->names, cap);
        if (!grown)
            return UINT32_MAX;
        p->names = grown;
        p->names_cap = cap;
    }
    memcpy(p->names + p->names_len, s, n);
    uint32_t off = (uint32_t)p->names_len;
    p->names_len += n;
    return off;
}

static int load_departements(PGconn *conn, struct demo_places *p, char *err, size_t errlen)
{
    PGresult *res = PQexec(conn, "SELECT code, name FROM departements ORDER BY code COLLATE \"C\"");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "reading départements: %s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    size_t n = (size_t)PQntuples(res);
    p->depts = calloc(n ? n : 1, sizeof *p->depts);
    p->dept_cum = calloc(n ? n : 1, sizeof *p->dept_cum);
    if (!p->depts || !p->dept_cum) {
        PQclear(res);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    p->ndepts = n;
    for (size_t i = 0; i < n; i++) {
        snprintf(p->depts[i].code, sizeof p->depts[i].code, "%s", PQgetvalue(res, (int)i, 0));
        p->depts[i].name = strdup(PQgetvalue(res, (int)i, 1));
        if (!p->depts[i].name) {
            PQclear(res);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    PQclear(res);
    return 0;
}

static long find_dept(const struct demo_places *p, const char *code)
{
    for (size_t i = 0; i < p->ndepts; i++)
        if (!strcmp(p->depts[i].code, code))
            return (long)i;
    return -1;
}

int demo_places_load(PGconn *conn, struct demo_places *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (load_departements(conn, p, err, errlen) < 0)
        return -1;
    /* Main communes carry the population of their arrondissements when the import
     * put it on the arrondissements only. */
    PGresult *res = PQexec(conn,
        "SELECT c.code, c.name, c.fk_departement,"
        " COALESCE(c.population, (SELECT sum(a.population) FROM cities a WHERE a.fk_main = c.code), 0)::float8,"
        " c.latitude, c.longitude, c.geom IS NOT NULL"
        " FROM cities c WHERE c.fk_main IS NULL"
        " AND (c.geom IS NOT NULL OR (c.latitude IS NOT NULL AND c.longitude IS NOT NULL))"
        " ORDER BY c.fk_departement COLLATE \"C\", c.code COLLATE \"C\"");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "reading communes: %s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    size_t n = (size_t)PQntuples(res);
    if (n == 0) {
        PQclear(res);
        snprintf(err, errlen, "the cities table has no commune: run `rbmap import-territories` first");
        return -1;
    }
    p->communes = calloc(n, sizeof *p->communes);
    double *weights = calloc(n, sizeof *weights);
    if (!p->communes || !weights) {
        free(weights);
        PQclear(res);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    p->ncommunes = n;
    long dept = -1;
    int oom = 0;
    for (size_t i = 0; i < n && !oom; i++) {
        struct demo_commune *c = &p->communes[i];
        int row = (int)i;
        snprintf(c->code, sizeof c->code, "%s", PQgetvalue(res, row, 0));
        c->name_off = pool_add(p, PQgetvalue(res, row, 1));
        oom = c->name_off == UINT32_MAX;
        const char *dcode = PQgetvalue(res, row, 2);
        if (dept < 0 || strcmp(p->depts[dept].code, dcode)) {
            dept = find_dept(p, dcode);
            if (dept < 0)
                continue; /* cannot happen: fk_departement is a foreign key */
            p->depts[dept].first = (uint32_t)i;
        }
        c->dept = (uint32_t)dept;
        p->depts[dept].count = (uint32_t)i - p->depts[dept].first + 1;
        weights[i] = commune_weight(atof(PQgetvalue(res, row, 3)));
        c->has_geom = PQgetvalue(res, row, 6)[0] == 't';
        c->lat = PQgetisnull(res, row, 4) ? 0 : atof(PQgetvalue(res, row, 4));
        c->lon = PQgetisnull(res, row, 5) ? 0 : atof(PQgetvalue(res, row, 5));
    }
    PQclear(res);
    if (oom) {
        free(weights);
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    double other_population = 0;
    double *dept_population = calloc(p->ndepts ? p->ndepts : 1, sizeof *dept_population);
    if (!dept_population) {
        free(weights);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t d = 0; d < p->ndepts; d++) {
        struct demo_departement *dp = &p->depts[d];
        if (!dp->count)
            continue;
        dp->cum = malloc(dp->count * sizeof *dp->cum);
        if (!dp->cum) {
            free(weights);
            free(dept_population);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        double sum = 0;
        for (uint32_t k = 0; k < dp->count; k++)
            sum += weights[dp->first + k];
        /* A département whose communes have no population still gets uniform picks. */
        double acc = 0;
        for (uint32_t k = 0; k < dp->count; k++) {
            acc += sum > 0 ? weights[dp->first + k] : 1.0;
            dp->cum[k] = acc;
        }
        dept_population[d] = sum;
    }
    size_t nhot = sizeof HOTSPOTS / sizeof HOTSPOTS[0];
    double *share = calloc(p->ndepts ? p->ndepts : 1, sizeof *share);
    if (!share) {
        free(weights);
        free(dept_population);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t d = 0; d < p->ndepts; d++) {
        share[d] = -1;
        for (size_t h = 0; h < nhot; h++)
            if (!strcmp(p->depts[d].code, HOTSPOTS[h].code) && p->depts[d].count)
                share[d] = HOTSPOTS[h].share;
        if (share[d] < 0)
            other_population += p->depts[d].count ? dept_population[d] : 0;
    }
    double acc = 0;
    for (size_t d = 0; d < p->ndepts; d++) {
        double w = share[d] >= 0 ? share[d]
                   : other_population > 0 ? OTHER_DEPARTEMENTS_SHARE * dept_population[d] / other_population
                                          : 0;
        if (!p->depts[d].count)
            w = 0;
        acc += w;
        p->dept_cum[d] = acc;
    }
    free(share);
    free(dept_population);
    free(weights);
    if (acc <= 0) {
        /* Only communes without population anywhere: weigh départements equally. */
        acc = 0;
        for (size_t d = 0; d < p->ndepts; d++)
            p->dept_cum[d] = acc += p->depts[d].count ? 1 : 0;
    }
    return 0;
}

void demo_places_free(struct demo_places *p)
{
    for (size_t d = 0; d < p->ndepts; d++) {
        free(p->depts[d].name);
        free(p->depts[d].cum);
        free(p->depts[d].sites);
    }
    for (size_t i = 0; i < p->ncommunes; i++)
        demo_shape_free(p->communes[i].shape);
    free(p->depts);
    free(p->dept_cum);
    free(p->communes);
    free(p->names);
    memset(p, 0, sizeof *p);
}

/* First index whose cumulative weight exceeds x. */
static size_t search_cum(const double *cum, size_t n, double x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo < n ? lo : n - 1;
}

uint32_t demo_places_pick_dept(const struct demo_places *p, struct demo_rng *r)
{
    double x = demo_unit(r) * p->dept_cum[p->ndepts - 1];
    return (uint32_t)search_cum(p->dept_cum, p->ndepts, x);
}

uint32_t demo_places_pick_in(const struct demo_places *p, uint32_t dept, struct demo_rng *r)
{
    const struct demo_departement *d = &p->depts[dept];
    double x = demo_unit(r) * d->cum[d->count - 1];
    return d->first + (uint32_t)search_cum(d->cum, d->count, x);
}

int demo_places_add_site(struct demo_places *p, uint32_t dept, uint32_t site)
{
    struct demo_departement *d = &p->depts[dept];
    if (d->nsites == d->cap) {
        uint32_t cap = d->cap ? d->cap * 2 : 64;
        uint32_t *grown = realloc(d->sites, cap * sizeof *grown);
        if (!grown)
            return -1;
        d->sites = grown;
        d->cap = cap;
    }
    d->sites[d->nsites++] = site;
    return 0;
}
