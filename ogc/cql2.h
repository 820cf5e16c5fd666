/* CQL2 text filters (OGC 21-065, classes basic-cql2, cql2-text, the LIKE/IN/BETWEEN of
 * advanced-comparison-operators, basic-spatial-functions) parsed by hand and evaluated in
 * memory against each feature through callbacks. No SQL is ever produced.
 *
 * Promises:
 * - cql2_parse never reads past the NUL of `text`, never recurses deeper than the nesting
 *   limit, allocates at most a bounded amount (text <= CQL2_MAX_TEXT bytes, <= CQL2_MAX_NODES
 *   nodes, <= CQL2_MAX_COORDS coordinates), and on any error returns NULL with a message
 *   that names the problem and its 1-based character position ("... at 12").
 * - Properties are only those of the queryables given; every comparison is type-checked at
 *   parse time (a string queryable compared with a number is an error naming it).
 * - Logic is three-valued, as in SQL: a predicate on a NULL property is UNKNOWN (so
 *   `p = 1`, `p <> 1`, `p LIKE '%'`, `p IN (...)`, `p BETWEEN ...` are all not matched),
 *   NOT UNKNOWN is UNKNOWN (so `NOT p = 1` does not match a feature without p either),
 *   FALSE AND UNKNOWN is FALSE, TRUE OR UNKNOWN is TRUE; a feature matches only when the
 *   whole filter is TRUE. `p IS NULL` / `p IS NOT NULL` are the way to select on absence.
 * - Strings compare byte-wise (UTF-8 code point order), case-sensitively. LIKE: `%` any
 *   run, `_` one character (UTF-8 aware), `\` escapes `%`, `_` or `\`.
 * - Dates: DATE('YYYY-MM-DD') and TIMESTAMP('YYYY-MM-DDTHH:MM:SS[.f](Z|+HH:MM)') compare
 *   with date queryables on one time line, a date standing for its midnight UTC.
 * - S_INTERSECTS(geometry, <literal>) (either order): POINT, MULTIPOINT, LINESTRING,
 *   MULTILINESTRING, POLYGON (holes), MULTIPOLYGON, BBOX(w,s,e,n) (w > e crosses the
 *   antimeridian), ENVELOPE(w,e,n,s) (the older CQL order). The geometry property is the
 *   queryable of type CQL2_T_GEOMETRY, or `geometry` when the list has none.
 * Thread-safety: a parsed expression is read-only for cql2_eval (any number of threads);
 * cql2_transform changes it. */
#ifndef RBMAP_OGC_CQL2_H
#define RBMAP_OGC_CQL2_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CQL2_MAX_TEXT 8192
#define CQL2_MAX_DEPTH 32
#define CQL2_MAX_NODES 1000
#define CQL2_MAX_COORDS 10000

enum cql2_type { CQL2_T_STRING, CQL2_T_NUMBER, CQL2_T_BOOLEAN, CQL2_T_DATE, CQL2_T_GEOMETRY };
struct cql2_queryable {
    const char *name;
    enum cql2_type type;
};

struct cql2_value {
    enum cql2_type type;
    bool is_null;    /* the feature has no value for it */
    const char *str; /* CQL2_T_STRING (NULL counts as is_null) */
    double num;      /* CQL2_T_NUMBER (NaN counts as is_null) */
    bool boolean;    /* CQL2_T_BOOLEAN */
    int32_t day;     /* CQL2_T_DATE: days since 1970-01-01 (db/site_store.h day_from_iso) */
};

/* A geometry literal of the filter, lon/lat CRS84 unless transformed with cql2_transform. */
struct cql2_geometry;
struct cql2_expr;

/* How the evaluator reads one feature. `get` is called only for non-geometry queryables
 * (out is zeroed first; a value whose type differs from the queryable's counts as NULL);
 * `intersects` only for S_INTERSECTS (NULL: never intersects). */
struct cql2_feature {
    void *ctx;
    void (*get)(void *ctx, size_t queryable_index, struct cql2_value *out);
    bool (*intersects)(void *ctx, const struct cql2_geometry *g);
};

/* NULL with a message ("filter: unknown property 'foo' at 12; queryables: a, b") on any
 * error: syntax, unknown property, type mismatch, depth > 32, > 1000 nodes, > 10,000
 * coordinates, text > 8 KB. The queryables must outlive the expression. */
struct cql2_expr *cql2_parse(const char *text, const struct cql2_queryable *q, size_t nq,
                             char *err, size_t errlen);
/* true when the filter is TRUE for the feature (false for FALSE and UNKNOWN). */
bool cql2_eval(const struct cql2_expr *e, const struct cql2_feature *f);
void cql2_free(struct cql2_expr *e);

/* Geometry tests for `intersects` callbacks: boundaries count as intersecting; a point in
 * a hole does not intersect its polygon. */
bool cql2_geometry_intersects_point(const struct cql2_geometry *g, double x, double y);
bool cql2_geometry_intersects_box(const struct cql2_geometry *g, double minx, double miny,
                                  double maxx, double maxy);
/* The geometry's bounding box. */
void cql2_geometry_bounds(const struct cql2_geometry *g, double *minx, double *miny,
                          double *maxx, double *maxy);
/* WKT of the geometry (a BBOX as POLYGON or MULTIPOLYGON) for GEOS; false when it does not
 * fit in len bytes. */
bool cql2_geometry_to_wkt(const struct cql2_geometry *g, char *buf, size_t len);

/* Every vertex of every geometry literal, for filter-crs: fn changes x,y in place;
 * returns -1 if fn does (the expression is then unusable and must be freed). */
int cql2_transform(struct cql2_expr *e, int (*fn)(double *x, double *y, void *arg), void *arg);
/* A box that every matching feature must meet, when the filter implies one (S_INTERSECTS,
 * intersected under AND, joined under OR); false when it does not. Lets the caller use an
 * R-tree. */
bool cql2_spatial_bounds(const struct cql2_expr *e, double *minx, double *miny,
                         double *maxx, double *maxy);

#endif
