/* Where demo sites and actions go: the communes read from `cities`, weighted so that
 * sites concentrate where shantytowns really are (Île-de-France, Nord, Bouches-du-
 * Rhône, Rhône, the big metropolitan areas, Guyane, Mayotte...) and, within a
 * département, in the more populous communes. Promises: the same database content
 * gives the same picks for the same random draws (rows are read in a fixed, collation-
 * independent order), and a placed point lies inside its commune's polygon (tested in
 * C against the polygon itself, at the precision the point is stored with); communes
 * without a polygon get their own lat/lon with a few hundred metres of jitter. */
#ifndef RBMAP_DB_DEMO_PLACES_H
#define RBMAP_DB_DEMO_PLACES_H
#include "db/demo_random.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

struct demo_shape {
    double minx, miny, maxx, maxy;
    double inside_x, inside_y; /* ST_PointOnSurface: the fallback when sampling misses */
    double *xy;                /* all rings' vertices, x y x y ... */
    uint32_t *ring_end;        /* index (in points) one past each ring's last vertex */
    uint32_t npts, nrings;
};

struct demo_commune {
    char code[6];
    uint32_t name_off; /* into demo_places.names */
    uint32_t dept;
    double lat, lon;
    int has_geom;
    int used; /* a site or an action address goes there: its polygon gets loaded */
    struct demo_shape *shape;
};

struct demo_departement {
    char code[4];
    char *name;
    uint32_t first, count; /* its communes: communes[first .. first+count) */
    double *cum;           /* cumulative weights of those communes */
    uint32_t *sites;       /* indexes of the sites placed there (actions link to them) */
    uint32_t nsites, cap;
};

struct demo_places {
    struct demo_departement *depts;
    size_t ndepts;
    double *dept_cum; /* cumulative département weights */
    struct demo_commune *communes;
    size_t ncommunes;
    char *names;
    size_t names_len, names_cap;
};

/* Reads départements and communes (not the arrondissements of Paris/Lyon/Marseille:
 * sites go to the commune, whose polygon is known). Fails when there is no commune. */
int demo_places_load(PGconn *conn, struct demo_places *p, char *err, size_t errlen);
void demo_places_free(struct demo_places *p);

uint32_t demo_places_pick_dept(const struct demo_places *p, struct demo_rng *r);
uint32_t demo_places_pick_in(const struct demo_places *p, uint32_t dept, struct demo_rng *r);
static inline uint32_t demo_places_pick(const struct demo_places *p, struct demo_rng *r)
{
    return demo_places_pick_in(p, demo_places_pick_dept(p, r), r);
}

static inline const char *demo_commune_name(const struct demo_places *p, uint32_t commune)
{
    return p->names + p->communes[commune].name_off;
}

/* Remembers that site `site` is in département `dept`. */
int demo_places_add_site(struct demo_places *p, uint32_t dept, uint32_t site);

/* Implemented in demo_shapes.c: */
/* Loads the polygons of the communes marked `used`. */
int demo_places_load_shapes(PGconn *conn, struct demo_places *p, char *err, size_t errlen);

/* A point in the commune, already rounded to the stored precision. */
void demo_places_point(const struct demo_places *p, uint32_t commune, struct demo_rng *r, double *lat,
                       double *lon);

void demo_shape_free(struct demo_shape *s);

#endif
