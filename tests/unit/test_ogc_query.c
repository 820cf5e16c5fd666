/* OGC API Features query parsing (ogc/ogc_query.h, ogc/ogc_datetime.h) and the GeoJSON
 * writer's coordinates (ogc/ogc_geojson.h), without a server. */
#include "db/site_store.h"
#include "geo/proj.h"
#include "ogc/ogc_datetime.h"
#include "ogc/ogc_geojson.h"
#include "ogc/ogc_query.h"
#include "unit.h"

#include <stdint.h>

static struct request make_request(const char *const *kv)
{
    struct request req;
    memset(&req, 0, sizeof req);
    for (size_t i = 0; kv[i]; i += 2) {
        req.params[req.n_params].key = (char *)kv[i];
        req.params[req.n_params++].value = (char *)kv[i + 1];
    }
    return req;
}

static int parse(const char *const *kv, struct ogc_query *q, int *status)
{
    struct request req = make_request(kv);
    struct response res;
    response_init(&res);
    int rc = ogc_parse_query(&req, 10, 10000, 22, q, &res);
    *status = res.status;
    response_free(&res);
    return rc;
}

static void test_datetime(void)
{
    bool given, instant;
    int32_t a, b;
    CHECK(ogc_datetime_parse("2024-05-01", &given, &instant, &a, &b) == 0 && instant);
    CHECK(a == day_from_iso("2024-05-01") && b == a);
    CHECK(ogc_datetime_parse("2024-05-01T23:30:00-02:00", &given, &instant, &a, &b) == 0);
    CHECK(a == day_from_iso("2024-05-02")); /* its UTC day */
    CHECK(ogc_datetime_parse("../2024-05-01", &given, &instant, &a, &b) == 0 && !instant);
    CHECK(a == INT32_MIN && b == day_from_iso("2024-05-01"));
    CHECK(ogc_datetime_parse("2024-05-01/", &given, &instant, &a, &b) == 0 && b == INT32_MAX);
    CHECK(ogc_datetime_parse("2024-01-31/P1M", &given, &instant, &a, &b) == 0 && b == day_from_iso("2024-02-29"));
    CHECK(ogc_datetime_parse("2023-12-30/P1Y2D", &given, &instant, &a, &b) == 0 && b == day_from_iso("2025-01-01"));
    CHECK(ogc_datetime_parse("2024-01-01/PT1H", &given, &instant, &a, &b) == 0 && b == day_from_iso("2024-01-02"));
    const char *bad[] = {"", "..", "../..", "2024-02-30", "2024-05-01T12:00", "2024-05-01T25:00:00Z",
                         "2024-05-02/2024-05-01", "2024-05-01/P", "2024-05-01/P1X", "../P1D", "a/b/c", NULL};
    for (size_t i = 0; bad[i]; i++)
        CHECK(ogc_datetime_parse(bad[i], &given, &instant, &a, &b) < 0);
}

static void test_limit_and_bbox(void)
{
    struct ogc_query q;
    int status;
    CHECK(parse((const char *[]){NULL}, &q, &status) == 0 && q.limit == 10 && !q.has_bbox);
    CHECK(parse((const char *[]){"limit", "20000", NULL}, &q, &status) == 0 && q.limit == 10000);
    CHECK(parse((const char *[]){"limit", "unlimited", NULL}, &q, &status) < 0 && status == 400);
    CHECK(parse((const char *[]){"limit", "0", NULL}, &q, &status) < 0 && status == 400);
    CHECK(parse((const char *[]){"bbox", "1,2,3,4", NULL}, &q, &status) == 0 && q.n_boxes == 1);
    CHECK(q.boxes[0].minlon == 1 && q.boxes[0].minlat == 2 && q.boxes[0].maxlon == 3 && q.boxes[0].maxlat == 4);
    CHECK(parse((const char *[]){"bbox", "1,2,-5,3,4,100", NULL}, &q, &status) == 0 && q.boxes[0].maxlat == 4);
    CHECK(parse((const char *[]){"bbox", "48,2,49,3", "bbox-crs", "http://www.opengis.net/def/crs/EPSG/0/4326", NULL},
                &q, &status) == 0);
    CHECK(q.boxes[0].minlon == 2 && q.boxes[0].minlat == 48); /* EPSG:4326 is lat,lon */
    CHECK(parse((const char *[]){"bbox", "170,-10,-170,10", NULL}, &q, &status) == 0 && q.n_boxes == 2);
    CHECK(parse((const char *[]){"bbox", "640000,6850000,670000,6880000", "bbox-crs", "EPSG:2154", NULL}, &q,
                &status) == 0);
    CHECK(q.boxes[0].minlon > 2.1 && q.boxes[0].maxlon < 2.7 && q.boxes[0].minlat > 48.6 && q.boxes[0].maxlat < 49.2);
    const char *bad[] = {"1,2,3", "1,2,3,4,5", "1,2,3,4,5,6,7", "1,,3,4", "nan,1,2,3", "1,95,2,96", "3,2,1,1e999",
                         "1,2,3,4,", NULL};
    for (size_t i = 0; bad[i]; i++)
        CHECK(parse((const char *[]){"bbox", bad[i], NULL}, &q, &status) < 0 && status == 400);
    CHECK(parse((const char *[]){"crs", "EPSG:9999", NULL}, &q, &status) < 0 && status == 400);
    CHECK(parse((const char *[]){"sortby", "-population,+name", NULL}, &q, &status) == 0 && q.n_sort == 2);
    CHECK(q.sort[0].descending && !strcmp(q.sort[0].name, "population") && !q.sort[1].descending);
}

static void test_params_declared(void)
{
    static const char *const allowed[] = {"f", "limit", NULL};
    struct request req = make_request((const char *[]){"limit", "1", "access_token", "x", NULL});
    struct response res;
    response_init(&res);
    CHECK(ogc_check_params(&req, allowed, &res) == 0);
    req = make_request((const char *[]){"limit", "1", "limit", "2", NULL});
    CHECK(ogc_check_params(&req, allowed, &res) < 0 && res.status == 400);
    req = make_request((const char *[]){"LIMIT", "1", NULL});
    CHECK(ogc_check_params(&req, allowed, &res) < 0 && strstr(res.body.data, "LIMIT"));
    response_free(&res);
}

static void test_coordinates(void)
{
    struct buf b;
    buf_init(&b, 0);
    struct ogc_writer w;
    ogc_writer_init(&w, &b, NULL);
    ogc_geometry_point(&w, 2.3554835, -48.5);
    CHECK_STR(b.data, "\"geometry\":{\"type\":\"Point\",\"coordinates\":[2.3554835,-48.5]},");
    buf_reset(&b);
    ogc_writer_init(&w, &b, crs_lookup("EPSG:4326", NULL, 0));
    ogc_geometry_point(&w, 2.25, 48.0000001);
    CHECK_STR(b.data, "\"geometry\":{\"type\":\"Point\",\"coordinates\":[48.0000001,2.25]},");
    buf_reset(&b);
    ogc_writer_init(&w, &b, crs_lookup("EPSG:2154", NULL, 0));
    ogc_geometry_point(&w, 3, 46.5); /* the Lambert-93 origin: 700000, 6600000 */
    CHECK_STR(b.data, "\"geometry\":{\"type\":\"Point\",\"coordinates\":[700000,6600000]},");
    buf_reset(&b);
    CHECK(ogc_json_string(&b, "a\"b\\c\n\x01é") && !strcmp(b.data, "\"a\\\"b\\\\c\\n\\u0001é\""));
    buf_free(&b);
    proj_thread_release();
}

int main(void)
{
    RUN(test_datetime);
    RUN(test_limit_and_bbox);
    RUN(test_params_declared);
    RUN(test_coordinates);
    return UNIT_REPORT();
}
