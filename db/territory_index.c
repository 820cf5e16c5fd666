#include "db/territory_index.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fixed-size codes keep each table one allocation and make lookups strcmp + bsearch. */
struct ti_region {
    char code[4];
};
struct ti_departement {
    char code[4];
    char region[4];
};
struct ti_city {
    char code[6];
    char departement[4];
    char main[6];
};
struct ti_epci_link { /* one (EPCI, département) pair, sorted by EPCI then département */
    char epci[10];
    char departement[4];
};

struct territory_index {
    struct ti_region *regions;
    size_t n_regions;
    struct ti_departement *departements;
    size_t n_departements;
    struct ti_city *cities;
    size_t n_cities;
    struct ti_epci_link *epci;
    size_t n_epci;
};

static int cmp_code(const void *a, const void *b) { return strcmp(a, b); }

static int cmp_epci_link(const void *a, const void *b)
{
    const struct ti_epci_link *x = a, *y = b;
    int c = strcmp(x->epci, y->epci);
    return c ? c : strcmp(x->departement, y->departement);
}

/* Copies a column into a fixed field; a value that does not fit is a schema surprise. */
static int copy_field(char *dst, size_t dstlen, const PGresult *res, int row, int col)
{
    const char *v = PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col);
    size_t n = strlen(v);
    if (n >= dstlen)
        return -1;
    memcpy(dst, v, n + 1);
    return 0;
}

static PGresult *query(PGconn *conn, const char *sql, int ncols, char *err, size_t errlen)
{
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != ncols) {
        snprintf(err, errlen, "territory index: %s", PQresultErrorMessage(res));
        PQclear(res);
        return NULL;
    }
    return res;
}

/* Runs sql and fills a table of `size`-byte rows, one field per column. */
static void *load_table(PGconn *conn, const char *sql, size_t size, const size_t *offsets, const size_t *lens,
                        int ncols, size_t *count, char *err, size_t errlen)
{
    PGresult *res = query(conn, sql, ncols, err, errlen);
    if (!res)
        return NULL;
    int rows = PQntuples(res);
    char *table = calloc(rows ? (size_t)rows : 1, size);
    if (!table) {
        snprintf(err, errlen, "territory index: out of memory");
        PQclear(res);
        return NULL;
    }
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < ncols; c++)
            if (copy_field(table + (size_t)r * size + offsets[c], lens[c], res, r, c) < 0) {
                snprintf(err, errlen, "territory index: code '%.20s' too long", PQgetvalue(res, r, c));
                free(table);
                PQclear(res);
                return NULL;
            }
    *count = (size_t)rows;
    PQclear(res);
    return table;
}

#define FIELD(type, f) offsetof(type, f)
#define LEN(type, f) sizeof(((type *)0)->f)

struct territory_index *territory_index_load(PGconn *conn, char *err, size_t errlen)
{
    struct territory_index *ti = calloc(1, sizeof(*ti));
    if (!ti) {
        snprintf(err, errlen, "territory index: out of memory");
        return NULL;
    }
    static const size_t r_off[] = {FIELD(struct ti_region, code)}, r_len[] = {LEN(struct ti_region, code)};
    static const size_t d_off[] = {FIELD(struct ti_departement, code), FIELD(struct ti_departement, region)},
                        d_len[] = {LEN(struct ti_departement, code), LEN(struct ti_departement, region)};
    static const size_t c_off[] = {FIELD(struct ti_city, code), FIELD(struct ti_city, departement),
                                   FIELD(struct ti_city, main)},
                        c_len[] = {LEN(struct ti_city, code), LEN(struct ti_city, departement),
                                   LEN(struct ti_city, main)};
    static const size_t e_off[] = {FIELD(struct ti_epci_link, epci), FIELD(struct ti_epci_link, departement)},
                        e_len[] = {LEN(struct ti_epci_link, epci), LEN(struct ti_epci_link, departement)};
    ti->regions = load_table(conn, "SELECT code FROM regions", sizeof(struct ti_region),
                             r_off, r_len, 1, &ti->n_regions, err, errlen);
    if (ti->regions)
        ti->departements = load_table(conn, "SELECT code, fk_region FROM departements",
                                      sizeof(struct ti_departement), d_off, d_len, 2, &ti->n_departements, err,
                                      errlen);
    if (ti->departements)
        ti->cities = load_table(conn,
                                "SELECT code, fk_departement, fk_main FROM cities",
                                sizeof(struct ti_city), c_off, c_len, 3, &ti->n_cities, err, errlen);
    /* An EPCI's départements: the platform's link table, plus those of its communes in
     * case the link table lags behind an import. */
    if (ti->cities)
        ti->epci = load_table(conn,
                              "SELECT fk_epci, fk_departement FROM epci_to_departement UNION "
                              "SELECT fk_epci, fk_departement FROM cities WHERE fk_epci IS NOT NULL",
                              sizeof(struct ti_epci_link), e_off, e_len, 2, &ti->n_epci, err, errlen);
    if (ti->epci && ti->n_departements == 0)
        snprintf(err, errlen, "territory index: no départements in the database (run rbmap import-territories)");
    if (!ti->epci || ti->n_departements == 0) {
        territory_index_free(ti);
        return NULL;
    }
    /* Sorted here, in strcmp order, which bsearch relies on (not the database's collation). */
    qsort(ti->regions, ti->n_regions, sizeof(struct ti_region), cmp_code);
    qsort(ti->departements, ti->n_departements, sizeof(struct ti_departement), cmp_code);
    qsort(ti->cities, ti->n_cities, sizeof(struct ti_city), cmp_code);
    qsort(ti->epci, ti->n_epci, sizeof(struct ti_epci_link), cmp_epci_link);
    return ti;
}

void territory_index_free(struct territory_index *ti)
{
    if (!ti)
        return;
    free(ti->regions);
    free(ti->departements);
    free(ti->cities);
    free(ti->epci);
    free(ti);
}

/* Every row struct starts with its code, so one comparator serves all tables. */
bool territory_index_has_region(const struct territory_index *ti, const char *code)
{
    return bsearch(code, ti->regions, ti->n_regions, sizeof(struct ti_region), cmp_code) != NULL;
}

const char *territory_index_departement_region(const struct territory_index *ti, const char *code)
{
    const struct ti_departement *d =
        bsearch(code, ti->departements, ti->n_departements, sizeof(struct ti_departement), cmp_code);
    return d ? d->region : NULL;
}

const char *territory_index_city_departement(const struct territory_index *ti, const char *code,
                                             const char **main)
{
    const struct ti_city *c = bsearch(code, ti->cities, ti->n_cities, sizeof(struct ti_city), cmp_code);
    if (main)
        *main = c ? c->main : "";
    return c ? c->departement : NULL;
}

size_t territory_index_epci_departements(const struct territory_index *ti, const char *code, const char **out,
                                         size_t max)
{
    /* First link of the EPCI: lower bound on the EPCI code. */
    size_t lo = 0, hi = ti->n_epci;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ti->epci[mid].epci, code) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    for (size_t i = lo; i < ti->n_epci && !strcmp(ti->epci[i].epci, code); i++, n++)
        if (n < max)
            out[n] = ti->epci[i].departement;
    return n;
}

void territory_index_get_counts(const struct territory_index *ti, struct territory_index_counts *out)
{
    out->regions = ti->n_regions;
    out->departements = ti->n_departements;
    out->epci_links = ti->n_epci;
    out->cities = ti->n_cities;
}
