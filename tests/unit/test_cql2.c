/* CQL2 text filters: every operator, precedence, NULL logic, LIKE, dates, geometry, every
 * error class and limit, and a random/mutated-input loop (run under ASan). */
#include "ogc/cql2.h"
#include "tests/unit/unit.h"

#include <stdint.h>
#include <time.h>

enum { Q_NAME, Q_POP, Q_JUSTICE, Q_DECLARED, Q_GEOM, Q_CITY, Q_DATE_NAMED };
static const struct cql2_queryable queryables[] = {
    {"name", CQL2_T_STRING},    {"population", CQL2_T_NUMBER}, {"justice", CQL2_T_BOOLEAN},
    {"declared", CQL2_T_DATE},  {"geometry", CQL2_T_GEOMETRY}, {"city name", CQL2_T_STRING},
    {"date", CQL2_T_DATE},
};
#define NQ (sizeof queryables / sizeof queryables[0])

struct feature {
    const char *name; /* NULL: absent */
    double population; /* NaN: absent */
    int justice;      /* -1: absent */
    int32_t declared; /* INT32_MIN: absent */
    const char *city;
    double x, y;
    int gets;         /* how many values the evaluator read */
};

static void get(void *ctx, size_t qi, struct cql2_value *out)
{
    struct feature *f = ctx;
    f->gets++;
    switch (qi) {
    case Q_NAME: out->str = f->name; out->is_null = !f->name; break;
    case Q_POP: out->num = f->population; break;
    case Q_JUSTICE: out->boolean = f->justice == 1; out->is_null = f->justice < 0; break;
    case Q_DECLARED: case Q_DATE_NAMED: out->day = f->declared; break;
    case Q_CITY: out->str = f->city; break;
    default: out->is_null = true;
    }
}

static bool intersects(void *ctx, const struct cql2_geometry *g)
{
    struct feature *f = ctx;
    return cql2_geometry_intersects_point(g, f->x, f->y);
}

static struct feature base(void)
{
    /* 2024-03-15 is day 19797 */
    return (struct feature){"Camp des Roses", 42, 1, 19797, "Saint-Denis", 2.35, 48.93, 0};
}

static char last_error[512];

/* 1 match, 0 no match, -1 parse error (message in last_error). */
static int match(const char *filter, struct feature *f)
{
    struct cql2_expr *e = cql2_parse(filter, queryables, NQ, last_error, sizeof last_error);
    if (!e)
        return -1;
    struct cql2_feature cf = {f, get, intersects};
    int r = cql2_eval(e, &cf);
    cql2_free(e);
    return r;
}

static int m(const char *filter)
{
    struct feature f = base();
    return match(filter, &f);
}

/* The error message of a filter that must fail, "" when it parsed. */
static const char *error_of(const char *filter)
{
    struct cql2_expr *e = cql2_parse(filter, queryables, NQ, last_error, sizeof last_error);
    if (e) {
        cql2_free(e);
        return "";
    }
    return last_error;
}

static bool error_has(const char *filter, const char *part)
{
    const char *err = error_of(filter);
    if (!strstr(err, part)) {
        fprintf(stderr, "  filter <%.60s> gave error <%s>, wanted <%s>\n", filter, err, part);
        return false;
    }
    return true;
}

static void test_comparisons(void)
{
    CHECK(m("population = 42") == 1);
    CHECK(m("population = 41") == 0);
    CHECK(m("population <> 41") == 1);
    CHECK(m("population <> 42") == 0);
    CHECK(m("population < 43") == 1 && m("population < 42") == 0);
    CHECK(m("population <= 42") == 1 && m("population <= 41.999") == 0);
    CHECK(m("population > 41") == 1 && m("population > 42") == 0);
    CHECK(m("population >= 42") == 1 && m("population >= 42.0001") == 0);
    CHECK(m("42 = population") == 1 && m("43 > population") == 1 && m("41 > population") == 0);
    CHECK(m("population = 4.2e1") == 1 && m("population = 420E-1") == 1);
    CHECK(m("population > -1") == 1 && m("population > -.5") == 1 && m("population>+41") == 1);
    CHECK(m("name = 'Camp des Roses'") == 1);
    CHECK(m("name = 'camp des roses'") == 0); /* case-sensitive */
    CHECK(m("name > 'Camp'") == 1 && m("name < 'Camp'") == 0);
    CHECK(m("name <> 'x'") == 1);
    CHECK(m("justice = TRUE") == 1 && m("justice = false") == 0 && m("justice <> FALSE") == 1);
    CHECK(m("\"city name\" = 'Saint-Denis'") == 1);
    CHECK(m("\"name\" = 'Camp des Roses'") == 1);
    CHECK(m("TRUE") == 1 && m("FALSE") == 0 && m("1 = 1") == 1 && m("'a' = 'b'") == 0);
    /* strings: '' and \' are quotes */
    struct feature f = base();
    f.name = "l'île";
    CHECK(match("name = 'l''île'", &f) == 1);
    CHECK(match("name = 'l\\'île'", &f) == -1); /* no backslash escape: unterminated */
    CHECK(match("name='l''ile'", &f) == 0);
}

static void test_logic_and_precedence(void)
{
    /* AND binds tighter than OR; NOT tighter than AND. */
    CHECK(m("population = 1 AND population = 2 OR population = 42") == 1);
    CHECK(m("population = 42 OR population = 1 AND population = 2") == 1);
    CHECK(m("(population = 42 OR population = 1) AND population = 2") == 0);
    CHECK(m("NOT population = 1 AND population = 42") == 1);
    CHECK(m("NOT (population = 42 AND population = 1)") == 1);
    CHECK(m("NOT population = 42 OR population = 42") == 1);
    CHECK(m("NOT NOT population = 42") == 1);
    CHECK(m("not (population = 42) or FALSE") == 0);
    CHECK(m("population = 42 and name like 'Camp%' AnD justice = true") == 1);
    CHECK(m("((((population = 42))))") == 1);
    CHECK(m("population=42AND name='x'") == -1); /* 42AND is not a number */
    CHECK(m("population = 1 OR population = 2 OR population = 3 OR population = 42") == 1);
}

static void test_null_semantics(void)
{
    struct feature f = base();
    f.population = NAN;
    f.name = NULL;
    f.justice = -1;
    f.declared = INT32_MIN;
    /* Any predicate on a NULL value is UNKNOWN, and so is its negation (SQL semantics). */
    CHECK(match("population = 1", &f) == 0);
    CHECK(match("population <> 1", &f) == 0);
    CHECK(match("NOT population = 1", &f) == 0);
    CHECK(match("NOT population <> 1", &f) == 0);
    CHECK(match("name LIKE '%'", &f) == 0 && match("name NOT LIKE '%'", &f) == 0);
    CHECK(match("population IN (1, 2)", &f) == 0 && match("population NOT IN (1)", &f) == 0);
    CHECK(match("population BETWEEN 0 AND 1e9", &f) == 0);
    CHECK(match("population NOT BETWEEN 0 AND 1", &f) == 0);
    CHECK(match("justice = TRUE", &f) == 0 && match("justice <> TRUE", &f) == 0);
    CHECK(match("declared < DATE('2100-01-01')", &f) == 0);
    /* UNKNOWN OR TRUE is TRUE; UNKNOWN AND FALSE is FALSE, NOT of that is TRUE. */
    CHECK(match("population = 1 OR TRUE", &f) == 1);
    CHECK(match("NOT (population = 1 AND FALSE)", &f) == 1);
    CHECK(match("NOT (population = 1 OR FALSE)", &f) == 0);
    /* IS NULL is the way to select on absence. */
    CHECK(match("population IS NULL", &f) == 1 && match("population IS NOT NULL", &f) == 0);
    CHECK(match("name is null and justice IS NULL and declared IS NULL", &f) == 1);
    CHECK(match("population IS NULL OR NOT population = 1", &f) == 1);
    CHECK(m("population IS NULL") == 0 && m("population IS NOT NULL") == 1);
    /* A NULL string pointer or a wrong type from the callback is NULL too. */
    f = base();
    f.city = NULL;
    CHECK(match("\"city name\" IS NULL", &f) == 1);
    /* IN with a NULL item and no match is UNKNOWN */
    f = base();
    CHECK(match("population IN (1, 42)", &f) == 1 && match("population NOT IN (1, 42)", &f) == 0);
    CHECK(match("population NOT IN (1, 2)", &f) == 1);
}

static void test_like(void)
{
    CHECK(m("name LIKE 'Camp des Roses'") == 1);
    CHECK(m("name LIKE 'Camp%'") == 1 && m("name LIKE '%Roses'") == 1);
    CHECK(m("name LIKE '%des%'") == 1 && m("name LIKE '%xyz%'") == 0);
    CHECK(m("name LIKE 'Camp'") == 0 && m("name LIKE '%'") == 1 && m("name LIKE '%%%'") == 1);
    CHECK(m("name LIKE 'C_mp des Roses'") == 1 && m("name LIKE 'C_p%'") == 0);
    CHECK(m("name NOT LIKE 'Camp%'") == 0 && m("name NOT LIKE 'x%'") == 1);
    CHECK(m("name like 'camp%'") == 0); /* case-sensitive */
    struct feature f = base();
    f.name = "";
    CHECK(match("name LIKE ''", &f) == 1 && match("name LIKE '%'", &f) == 1);
    CHECK(match("name LIKE '_'", &f) == 0);
    f.name = "100%_sûr\\";
    CHECK(match("name LIKE '100\\%\\_s_r\\\\'", &f) == 1); /* _ matches the 2-byte û */
    CHECK(match("name LIKE '100\\%\\_s__r%'", &f) == 0);
    CHECK(match("name LIKE '1_0\\%%'", &f) == 1);
    CHECK(match("name LIKE '100a%'", &f) == 0);
    f.name = "abcabcabd";
    CHECK(match("name LIKE '%abd'", &f) == 1 && match("name LIKE 'a%c%d'", &f) == 1);
    CHECK(match("name LIKE 'a%c%e'", &f) == 0);
    /* A pathological pattern on a long string finishes quickly (no exponential backtrack). */
    static char text[4001], pattern[600];
    memset(text, 'a', 4000);
    f.name = text;
    strcpy(pattern, "name LIKE '");
    for (int i = 0; i < 100; i++)
        strcat(pattern, "%a");
    strcat(pattern, "%b'");
    clock_t t0 = clock();
    CHECK(match(pattern, &f) == 0);
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
}

static void test_in_and_between(void)
{
    CHECK(m("population IN (1, 42, 3)") == 1 && m("population IN (1, 2)") == 0);
    CHECK(m("population NOT IN (1, 2)") == 1 && m("population not in (42)") == 0);
    CHECK(m("name IN ('a', 'Camp des Roses')") == 1);
    CHECK(m("declared IN (DATE('2024-03-15'))") == 1);
    CHECK(m("population BETWEEN 42 AND 42") == 1 && m("population BETWEEN 40 AND 50") == 1);
    CHECK(m("population BETWEEN 43 AND 50") == 0 && m("population BETWEEN 50 AND 40") == 0);
    CHECK(m("population NOT BETWEEN 43 AND 50") == 1);
    CHECK(m("population BETWEEN 40 AND 50 AND name = 'x'") == 0);
    CHECK(m("population BETWEEN 40 AND 50 OR name = 'x'") == 1);
    CHECK(m("declared BETWEEN DATE('2024-01-01') AND DATE('2024-12-31')") == 1);
}

static void test_dates(void)
{
    CHECK(m("declared = DATE('2024-03-15')") == 1);
    CHECK(m("declared > date('2024-03-14') AND declared < DATE('2024-03-16')") == 1);
    CHECK(m("declared >= DATE('2024-03-16')") == 0);
    /* a date is its midnight UTC on the timestamp line */
    CHECK(m("declared = TIMESTAMP('2024-03-15T00:00:00Z')") == 1);
    CHECK(m("declared < TIMESTAMP('2024-03-15T00:00:01Z')") == 1);
    CHECK(m("declared > TIMESTAMP('2024-03-14T23:59:59.5Z')") == 1);
    CHECK(m("declared = TIMESTAMP('2024-03-15T01:00:00+01:00')") == 1);
    CHECK(m("declared < TIMESTAMP('2024-03-14T23:00:00-01:30')") == 1);
    /* a queryable called "date" stays a property when no '(' follows */
    CHECK(m("date = DATE('2024-03-15')") == 1);
    CHECK(m("DATE('1970-01-01') < declared") == 1);
    CHECK(error_has("declared = DATE('2023-02-29')", "invalid date"));
    CHECK(error_has("declared = DATE('2024-3-15')", "invalid date"));
    CHECK(error_has("declared = DATE('2024-03-15 ')", "invalid date"));
    CHECK(error_has("declared = DATE(20240315)", "expected a quoted date"));
    CHECK(error_has("declared = TIMESTAMP('2024-03-15T25:00:00Z')", "invalid timestamp"));
    CHECK(error_has("declared = TIMESTAMP('2024-03-15T10:00:00')", "invalid timestamp"));
    CHECK(m("DATE('2024-02-29') = DATE('2024-02-29')") == 1);
}

static int geom_match(const char *filter, double x, double y)
{
    struct feature f = base();
    f.x = x, f.y = y;
    return match(filter, &f);
}

static void test_geometry_points_and_polygons(void)
{
    /* A 10x10 square with a 2x2 hole at 4..6 */
    const char *holed = "S_INTERSECTS(geometry, POLYGON((0 0, 10 0, 10 10, 0 10, 0 0),"
                        "(4 4, 6 4, 6 6, 4 6, 4 4)))";
    CHECK(geom_match(holed, 1, 1) == 1);
    CHECK(geom_match(holed, 5, 5) == 0);   /* in the hole */
    CHECK(geom_match(holed, 4, 5) == 1);   /* on the hole's edge: touches */
    CHECK(geom_match(holed, 10, 5) == 1);  /* on the shell */
    CHECK(geom_match(holed, 11, 5) == 0 && geom_match(holed, -0.001, 5) == 0);
    CHECK(geom_match("s_intersects(POINT(2.35 48.93), geometry)", 2.35, 48.93) == 1);
    CHECK(geom_match("S_INTERSECTS(geometry, POINT(2.35 48.93))", 2.36, 48.93) == 0);
    CHECK(geom_match("S_INTERSECTS(geometry, MULTIPOINT((1 1), (2 2)))", 2, 2) == 1);
    CHECK(geom_match("S_INTERSECTS(geometry, MULTIPOINT(1 1, 2 2))", 1, 1) == 1);
    CHECK(geom_match("S_INTERSECTS(geometry, MULTIPOINT(1 1, 2 2))", 1.5, 1.5) == 0);
    CHECK(geom_match("S_INTERSECTS(geometry, LINESTRING(0 0, 10 10))", 5, 5) == 1);
    CHECK(geom_match("S_INTERSECTS(geometry, LINESTRING(0 0, 10 10))", 5, 5.1) == 0);
    CHECK(geom_match("S_INTERSECTS(geometry, MULTILINESTRING((0 0, 1 0), (5 5, 5 9)))", 5,
                     7) == 1);
    const char *multi = "S_INTERSECTS(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)),"
                        "((10 10, 20 10, 20 20, 10 20, 10 10), (12 12, 18 12, 18 18, 12 12))))";
    CHECK(geom_match(multi, 0.8, 0.2) == 1 && geom_match(multi, 0.2, 0.8) == 0);
    CHECK(geom_match(multi, 11, 15) == 1 && geom_match(multi, 17, 13) == 0);
    CHECK(geom_match("S_INTERSECTS(geometry, BBOX(2, 48, 3, 49))", 2.35, 48.93) == 1);
    CHECK(geom_match("S_INTERSECTS(geometry, BBOX(2, 48, 3, 48.5))", 2.35, 48.93) == 0);
    CHECK(geom_match("S_INTERSECTS(geometry, BBOX(2, 48, 0, 3, 49, 100))", 2.5, 48.5) == 1);
    CHECK(geom_match("S_INTERSECTS(geometry, ENVELOPE(2, 3, 49, 48))", 2.5, 48.5) == 1);
    /* West > east crosses the antimeridian (Wallis-et-Futuna to Polynesia) */
    const char *anti = "S_INTERSECTS(geometry, BBOX(170, -20, -140, -10))";
    CHECK(geom_match(anti, 176.2, -13.3) == 1 && geom_match(anti, -149.5, -17.5) == 1);
    CHECK(geom_match(anti, 0, -15) == 0);
    /* combined with scalar predicates */
    CHECK(geom_match("population = 42 AND S_INTERSECTS(geometry, BBOX(0,0,10,10))", 5, 5) == 1);
    CHECK(geom_match("NOT S_INTERSECTS(geometry, BBOX(0,0,10,10))", 5, 5) == 0);
    /* z ordinates are accepted and dropped */
    CHECK(geom_match("S_INTERSECTS(geometry, POINT(1 2 3))", 1, 2) == 1);
}

static struct cql2_expr *parse_ok(const char *text)
{
    struct cql2_expr *e = cql2_parse(text, queryables, NQ, last_error, sizeof last_error);
    if (!e)
        fprintf(stderr, "  parse failed: %s\n", last_error);
    return e;
}

struct grab {
    const struct cql2_geometry *g;
};

static bool grab_geometry(void *ctx, const struct cql2_geometry *g)
{
    ((struct grab *)ctx)->g = g;
    return false;
}

static const struct cql2_geometry *geometry_of(struct cql2_expr *e)
{
    struct grab gr = {NULL};
    struct cql2_feature f = {&gr, NULL, grab_geometry};
    cql2_eval(e, &f);
    return gr.g;
}

static void test_geometry_boxes_bounds_wkt(void)
{
    struct cql2_expr *e = parse_ok("S_INTERSECTS(geometry, POLYGON((0 0, 10 0, 10 10, 0 10, "
                                   "0 0), (2 2, 8 2, 8 8, 2 8, 2 2)))");
    CHECK(e);
    if (!e)
        return;
    const struct cql2_geometry *g = geometry_of(e);
    CHECK(g);
    CHECK(cql2_geometry_intersects_box(g, -5, -5, 1, 1));     /* overlaps a corner */
    CHECK(cql2_geometry_intersects_box(g, -5, -5, 15, 15));   /* contains it */
    CHECK(cql2_geometry_intersects_box(g, 0.5, 0.5, 1.5, 1.5)); /* inside the shell */
    CHECK(!cql2_geometry_intersects_box(g, 3, 3, 7, 7));      /* inside the hole */
    CHECK(cql2_geometry_intersects_box(g, 3, 3, 9, 7));       /* hole to shell */
    CHECK(cql2_geometry_intersects_box(g, 10, 10, 11, 11));   /* touches a corner */
    CHECK(!cql2_geometry_intersects_box(g, 10.1, 0, 11, 11));
    CHECK(!cql2_geometry_intersects_box(g, 5, 5, 4, 4));      /* inverted box: nothing */
    double b[4];
    CHECK(cql2_spatial_bounds(e, &b[0], &b[1], &b[2], &b[3]));
    CHECK(b[0] == 0 && b[1] == 0 && b[2] == 10 && b[3] == 10);
    char wkt[512];
    CHECK(cql2_geometry_to_wkt(g, wkt, sizeof wkt));
    CHECK_STR(wkt, "POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,8 2,8 8,2 8,2 2))");
    CHECK(!cql2_geometry_to_wkt(g, wkt, 20) && wkt[0] == '\0');
    cql2_free(e);

    e = parse_ok("S_INTERSECTS(geometry, LINESTRING(0 0, 10 10))");
    g = e ? geometry_of(e) : NULL;
    CHECK(g && cql2_geometry_intersects_box(g, 4, 4, 6, 6));
    CHECK(g && cql2_geometry_intersects_box(g, 4, 4.5, 6, 5)); /* crossed, no vertex in */
    CHECK(g && !cql2_geometry_intersects_box(g, 4, 6, 4.5, 7));
    cql2_free(e);

    e = parse_ok("S_INTERSECTS(geometry, MULTIPOINT(1 1, 5 5))");
    g = e ? geometry_of(e) : NULL;
    CHECK(g && cql2_geometry_intersects_box(g, 4, 4, 6, 6) && !cql2_geometry_intersects_box(g, 2, 2, 3, 3));
    CHECK(g && cql2_geometry_to_wkt(g, wkt, sizeof wkt) && !strcmp(wkt, "MULTIPOINT((1 1),(5 5))"));
    cql2_free(e);

    /* bounds: AND intersects, OR joins, NOT and scalar-only filters give none */
    e = parse_ok("S_INTERSECTS(geometry, BBOX(0,0,10,10)) AND population > 1 AND "
                 "S_INTERSECTS(geometry, BBOX(5,5,20,20))");
    CHECK(e && cql2_spatial_bounds(e, &b[0], &b[1], &b[2], &b[3]));
    CHECK(b[0] == 5 && b[1] == 5 && b[2] == 10 && b[3] == 10);
    cql2_free(e);
    e = parse_ok("S_INTERSECTS(geometry, POINT(1 2)) OR S_INTERSECTS(geometry, POINT(3 -4))");
    CHECK(e && cql2_spatial_bounds(e, &b[0], &b[1], &b[2], &b[3]));
    CHECK(b[0] == 1 && b[1] == -4 && b[2] == 3 && b[3] == 2);
    cql2_free(e);
    e = parse_ok("S_INTERSECTS(geometry, POINT(1 2)) OR population = 1");
    CHECK(e && !cql2_spatial_bounds(e, &b[0], &b[1], &b[2], &b[3]));
    cql2_free(e);
    e = parse_ok("NOT S_INTERSECTS(geometry, POINT(1 2))");
    CHECK(e && !cql2_spatial_bounds(e, &b[0], &b[1], &b[2], &b[3]));
    cql2_free(e);
}

static int shift_and_scale(double *x, double *y, void *arg)
{
    (void)arg;
    *x = *x * 2 + 100;
    *y = *y * 2;
    return 0;
}

static int refuse(double *x, double *y, void *arg)
{
    (void)x, (void)y, (void)arg;
    return -1;
}

static void test_transform(void)
{
    struct cql2_expr *e = parse_ok("S_INTERSECTS(geometry, BBOX(0, 0, 10, 10)) OR "
                                   "S_INTERSECTS(POINT(1 1), geometry)");
    CHECK(e && cql2_transform(e, shift_and_scale, NULL) == 0);
    double b[4];
    CHECK(e && cql2_spatial_bounds(e, &b[0], &b[1], &b[2], &b[3]));
    CHECK(b[0] == 100 && b[1] == 0 && b[2] == 120 && b[3] == 20);
    struct feature f = base();
    f.x = 115, f.y = 15;
    struct cql2_feature cf = {&f, get, intersects};
    CHECK(e && cql2_eval(e, &cf));
    f.x = 5, f.y = 5;
    CHECK(e && !cql2_eval(e, &cf));
    f.x = 102, f.y = 2;
    CHECK(e && cql2_eval(e, &cf)); /* the transformed point */
    CHECK(e && cql2_transform(e, refuse, NULL) == -1);
    cql2_free(e);
    e = parse_ok("population = 1");
    CHECK(e && cql2_transform(e, refuse, NULL) == 0); /* no geometry: fn never called */
    cql2_free(e);
}

static void test_errors_name_the_problem_and_position(void)
{
    CHECK(error_has("foo = 1", "filter: unknown property 'foo' at 1; queryables: name, "
                               "population, justice"));
    CHECK(error_has("population = 1 AND colour = 'red'", "unknown property 'colour' at 20"));
    CHECK(error_has("name = 1", "property 'name' is a string, compared with a number at 8"));
    CHECK(error_has("1 = name", "property 'name' is a string, compared with a number at 1"));
    CHECK(error_has("population = 'x'", "property 'population' is a number, compared with a "
                                        "string"));
    CHECK(error_has("name = population", "property 'name' is a string, compared with "
                                         "property 'population'"));
    CHECK(error_has("justice < TRUE", "booleans are only compared with = and <>"));
    CHECK(error_has("declared = '2024-01-01'", "property 'declared' is a date"));
    CHECK(error_has("population LIKE '4%'", "LIKE needs a string: property 'population'"));
    CHECK(error_has("name LIKE name", "LIKE needs a quoted pattern"));
    CHECK(error_has("name BETWEEN 'a' AND 'b'", "BETWEEN needs a number or a date"));
    CHECK(error_has("population BETWEEN 1 OR 2", "expected AND in BETWEEN"));
    CHECK(error_has("population IN (1, 'a')", "compared with a string"));
    CHECK(error_has("population IN ()", "expected a property or a value, found ')'"));
    CHECK(error_has("population IN (1, 2", "expected ',' or ')' in the IN list"));
    CHECK(error_has("population IS 1", "expected NULL after IS"));
    CHECK(error_has("population", "expected a comparison, IS, LIKE, IN or BETWEEN, found "
                                  "end of filter at 11"));
    CHECK(error_has("population NOT = 1", "expected LIKE, IN or BETWEEN after NOT"));
    CHECK(error_has("population = ", "expected a property or a value, found end of filter"));
    CHECK(error_has("population = 1 population = 2", "unexpected 'population' (missing AND"));
    CHECK(error_has("(population = 1", "expected ')', found end of filter at 16"));
    CHECK(error_has("population = 1)", "unexpected ')'"));
    CHECK(error_has("population = 1 AND", "found end of filter"));
    CHECK(error_has("AND population = 1", "expected a property or a value, found 'AND' at 1"));
    CHECK(error_has("", "filter: empty filter at 1"));
    CHECK(error_has("   ", "empty filter"));
    CHECK(error_has("name = 'abc", "unterminated string at 8"));
    CHECK(error_has("\"name = 1", "unterminated quoted property name at 1"));
    CHECK(error_has("\"\" = 1", "empty quoted property name"));
    CHECK(error_has("population = 1e999", "number out of range at 14"));
    CHECK(error_has("population = 1e", "malformed number exponent"));
    CHECK(error_has("population = 0x10", "malformed number"));
    CHECK(error_has("population = 12abc", "malformed number"));
    CHECK(error_has("population != 1", "unknown operator '!=' (use '<>')"));
    CHECK(error_has("population = 1; DROP TABLE sites", "unexpected character ';' at 15"));
    CHECK(error_has("population = \x01", "unexpected character 0x01"));
    CHECK(error_has("CASEI(name) = 'a'", "unsupported function 'CASEI'"));
    CHECK(error_has("POINT(1 2) = name", "a geometry is only allowed in S_INTERSECTS"));
    CHECK(error_has("geometry = 1", "property 'geometry' is a geometry: use S_INTERSECTS"));
    CHECK(error_has("S_INTERSECTS(name, POINT(1 2))", "property 'name' is a string, not a "
                                                      "geometry"));
    CHECK(error_has("S_INTERSECTS(geom, POINT(1 2))", "unknown property 'geom'"));
    CHECK(error_has("S_INTERSECTS(POINT(1 2), POINT(1 2))", "needs the geometry property"));
    CHECK(error_has("S_INTERSECTS(geometry, geometry)", "needs the geometry property"));
    CHECK(error_has("S_INTERSECTS(geometry, POINT(1))", "expected a coordinate"));
    CHECK(error_has("S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 1)))",
                    "a polygon ring needs at least 4 positions, the last equal to the first"));
    CHECK(error_has("S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 0 0)))", "at least 4"));
    CHECK(error_has("S_INTERSECTS(geometry, LINESTRING(0 0))", "at least 2 positions"));
    CHECK(error_has("S_INTERSECTS(geometry, BBOX(0, 0, 1))", "BBOX has 4 or 6 numbers"));
    CHECK(error_has("S_INTERSECTS(geometry, BBOX(0, 5, 1, 4))", "south 5 is greater than north"));
    CHECK(error_has("S_INTERSECTS(geometry, BBOX(200, 0, 100, 1))", "west 200 is greater"));
    CHECK(error_has("S_INTERSECTS(geometry, ENVELOPE(0, 1, 2, 3, 4, 5))", "ENVELOPE has 4 numbers"));
    CHECK(error_has("S_INTERSECTS(geometry, CIRCLE(0 0))", "unsupported geometry 'CIRCLE'"));
    CHECK(error_has("S_INTERSECTS(geometry, 1)", "expected the geometry property or"));
    /* A property name with invalid UTF-8 gives a message that is still valid UTF-8. */
    const char *err = error_of("\xff\xfe = 1");
    CHECK(strstr(err, "unknown property '?" "?'") != NULL);
    /* A short error buffer truncates without overflow. */
    char tiny[16];
    CHECK(!cql2_parse("foo = 1", queryables, NQ, tiny, sizeof tiny) && strlen(tiny) == 15);
    CHECK(!cql2_parse("foo = 1", queryables, NQ, NULL, 0));
    CHECK(!cql2_parse(NULL, queryables, NQ, tiny, sizeof tiny));
    /* No queryables at all */
    CHECK(!cql2_parse("a = 1", NULL, 0, last_error, sizeof last_error));
    CHECK(strstr(last_error, "queryables: (none)") != NULL);
    /* With no geometry queryable, `geometry` is the geometry property. */
    struct cql2_expr *e = cql2_parse("S_INTERSECTS(geometry, POINT(0 0))", queryables, 2,
                                     last_error, sizeof last_error);
    CHECK(e != NULL);
    cql2_free(e);
}

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t len = strlen(head) + strlen(unit) * n + strlen(tail) + 1;
    char *s = malloc(len);
    strcpy(s, head);
    char *w = s + strlen(head);
    for (size_t i = 0; i < n; i++, w += strlen(unit))
        memcpy(w, unit, strlen(unit));
    strcpy(w, tail);
    return s;
}

static void test_limits(void)
{
    /* Depth: 32 levels pass, 33 fail; 10,000 '(' or NOTs fail cleanly. */
    char *s = repeat("", "(", 32, "population = 42");
    char *full = repeat(s, ")", 32, "");
    CHECK(m(full) == 1);
    free(s), free(full);
    s = repeat("", "(", 33, "population = 42");
    full = repeat(s, ")", 33, "");
    CHECK(error_has(full, "nesting deeper than 32 at 33"));
    free(s), free(full);
    s = repeat("", "(", 8000, "");
    CHECK(error_has(s, "nesting deeper than 32"));
    free(s);
    s = repeat("", "NOT ", 2000, "population = 1");
    CHECK(error_has(s, "nesting deeper than 32"));
    free(s);
    s = repeat("", "NOT (", 1600, "");
    CHECK(error_has(s, "nesting deeper than 32"));
    free(s);
    /* Text: 8 KB pass, more fails. */
    s = repeat("population = 1", " ", 8192 - 14, "");
    CHECK(m(s) == 0);
    free(s);
    s = repeat("population = 1", " ", 8192 - 13, "");
    CHECK(error_has(s, "filter: longer than 8192 bytes"));
    free(s);
    /* Nodes: a long OR chain (3 nodes per comparison) trips the 1000-node limit. */
    s = repeat("population = 0", " OR population = 1", 320, "");
    CHECK(m(s) == 0);
    free(s);
    s = repeat("population = 0", " OR population = 1", 340, "");
    CHECK(error_has(s, "more than 1000 nodes"));
    free(s);
    s = repeat("population IN (0", ",1", 1100, ")");
    CHECK(error_has(s, "more than 1000 nodes"));
    free(s);
    /* Many coordinates within 8 KB */
    s = repeat("S_INTERSECTS(geometry, MULTIPOINT(0 0", ",1 1", 1900, "))");
    CHECK(m(s) == 0);
    free(s);
}

static void test_coordinate_limit(void)
{
    /* Written coordinates need 4 bytes each, so 8 KB of text hold about 2,000; the stored
     * vertices count, and a BBOX across the antimeridian stores 2 x 65 (densified edges):
     * 76 of them (9,880) pass, 77 (10,010) fail. */
    char *s = repeat("S_INTERSECTS(geometry, BBOX(9,0,-9,1))", " OR S_INTERSECTS(geometry, "
                     "BBOX(9,0,-9,1))", 75, "");
    struct cql2_expr *e = parse_ok(s);
    CHECK(e != NULL);
    cql2_free(e);
    free(s);
    s = repeat("S_INTERSECTS(geometry, BBOX(9,0,-9,1))", " OR S_INTERSECTS(geometry, "
               "BBOX(9,0,-9,1))", 76, "");
    CHECK(error_has(s, "more than 10000 coordinates"));
    free(s);
}

/* Random and mutated text: every outcome is a clean parse or a message with a position. */
static void test_random_and_mutated_inputs(void)
{
    static const char *const seeds[] = {
        "population = 42 AND name LIKE 'Camp%'",
        "NOT (justice = TRUE OR declared < DATE('2020-01-01'))",
        "population BETWEEN 1 AND 10 OR name IN ('a', 'b''c')",
        "S_INTERSECTS(geometry, POLYGON((0 0, 10 0, 10 10, 0 10, 0 0),(4 4,6 4,6 6,4 6,4 4)))",
        "\"city name\" IS NOT NULL AND declared >= TIMESTAMP('2024-01-01T00:00:00Z')",
        "S_INTERSECTS(geometry, BBOX(170, -20, -140, -10)) AND population <> -1.5e3",
    };
    static const char *const pieces[] = {
        "(", ")", " AND ", " OR ", "NOT ", "population", "name", "'x'", "''", "1", "-2.5e3",
        " = ", "<>", "<=", " LIKE ", " IN (", ",", " BETWEEN ", " IS NULL", "TRUE",
        "DATE('2024-01-01')", "S_INTERSECTS(geometry,", "POINT(1 2)", "BBOX(0,0,1,1)", "\"",
        "'", "\\", "%", "_", "\xc3\xa9", "\xff", "POLYGON((0 0,1 0,1 1,0 0))", " ",
    };
    unsigned seed = 12345;
    char text[600];
    int parsed = 0, failed = 0;
    for (int iter = 0; iter < 30000; iter++) {
        seed = seed * 1103515245u + 12345u;
        size_t len = 0;
        if (iter % 2) {
            /* random concatenation of pieces */
            int n = 1 + (int)((seed >> 8) % 20);
            for (int k = 0; k < n; k++) {
                seed = seed * 1103515245u + 12345u;
                const char *piece = pieces[(seed >> 8) % (sizeof pieces / sizeof pieces[0])];
                size_t pl = strlen(piece);
                if (len + pl >= sizeof text)
                    break;
                memcpy(text + len, piece, pl);
                len += pl;
            }
        } else {
            /* a seed with a few bytes flipped, deleted or inserted */
            const char *s0 = seeds[(seed >> 8) % (sizeof seeds / sizeof seeds[0])];
            len = strlen(s0);
            memcpy(text, s0, len);
            for (int k = 0; k < 1 + (int)((seed >> 20) % 4) && len > 1; k++) {
                seed = seed * 1103515245u + 12345u;
                size_t at = (seed >> 8) % len;
                switch ((seed >> 4) % 3) {
                case 0: text[at] = (char)((seed >> 16) % 255 + 1); break;
                case 1: memmove(text + at, text + at + 1, len - at - 1), len--; break;
                default:
                    if (len + 1 < sizeof text) {
                        memmove(text + at + 1, text + at, len - at);
                        text[at] = "()',\"%_ 0-"[(seed >> 16) % 10];
                        len++;
                    }
                }
            }
        }
        text[len] = '\0';
        char err[256];
        struct cql2_expr *e = cql2_parse(text, queryables, NQ, err, sizeof err);
        if (e) {
            parsed++;
            struct feature f = base();
            struct cql2_feature cf = {&f, get, intersects};
            cql2_eval(e, &cf);
            f.name = NULL, f.population = NAN;
            cql2_eval(e, &cf);
            double b[4];
            cql2_spatial_bounds(e, &b[0], &b[1], &b[2], &b[3]);
            cql2_free(e);
        } else {
            failed++;
            if (strncmp(err, "filter: ", 8) != 0 || !strstr(err, " at ")) {
                fprintf(stderr, "  bad message <%s> for <%s>\n", err, text);
                CHECK(0);
            }
        }
    }
    CHECK(parsed > 500 && failed > 1000);
    printf("random inputs: %d parsed, %d refused\n", parsed, failed);
}

int main(void)
{
    RUN(test_comparisons);
    RUN(test_logic_and_precedence);
    RUN(test_null_semantics);
    RUN(test_like);
    RUN(test_in_and_between);
    RUN(test_dates);
    RUN(test_geometry_points_and_polygons);
    RUN(test_geometry_boxes_bounds_wkt);
    RUN(test_transform);
    RUN(test_errors_name_the_problem_and_position);
    RUN(test_limits);
    RUN(test_coordinate_limit);
    RUN(test_random_and_mutated_inputs);
    return UNIT_REPORT();
}
