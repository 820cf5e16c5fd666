/* GET,POST /reproject through handle_reproject directly: hand-made requests, no server,
 * req->ctx NULL except where the point limit comes from the configuration. */
#include "geo/proj.h"
#include "server/config.h"
#include "server/context.h"
#include "server/handlers.h"
#include "unit.h"

#include <jansson.h>

#define MM 0.001

struct call {
    struct request req;
    struct response res;
    json_t *doc; /* the parsed answer when it is JSON */
};

/* params: "key", "value", ..., NULL */
static void run(struct call *c, const char *method, const char *ctype, const char *body,
                struct server_ctx *ctx, ...)
{
    memset(c, 0, sizeof *c);
    c->req.method = method;
    c->req.path = "/reproject";
    c->req.ctx = ctx;
    va_list ap;
    va_start(ap, ctx);
    for (const char *k; (k = va_arg(ap, const char *)) && c->req.n_params < REQUEST_MAX_PARAMS;) {
        c->req.params[c->req.n_params].key = (char *)k;
        c->req.params[c->req.n_params++].value = va_arg(ap, char *);
    }
    va_end(ap);
    if (ctype) {
        c->req.headers[0] = (struct kv){(char *)"Content-Type", (char *)ctype};
        c->req.n_headers = 1;
    }
    c->req.body = body;
    c->req.body_len = body ? strlen(body) : 0;
    response_init(&c->res);
    handle_reproject(&c->req, &c->res);
    if (strstr(c->res.content_type, "json"))
        c->doc = json_loads(c->res.body.data ? c->res.body.data : "", 0, NULL);
}

static void done(struct call *c)
{
    json_decref(c->doc);
    response_free(&c->res);
}

static const char *message(const struct call *c)
{
    const char *m = json_string_value(json_object_get(json_object_get(c->doc, "error"), "message"));
    return m ? m : "(no error message)";
}

/* 400 whose message starts with `prefix` and contains `also` (if given). */
static int is_400(const struct call *c, const char *prefix, const char *also)
{
    const char *m = message(c);
    int ok = c->res.status == 400 && !strncmp(m, prefix, strlen(prefix)) && (!also || strstr(m, also));
    if (!ok)
        fprintf(stderr, "  got %d: %s\n  (want 400 '%s...'%s%s)\n", c->res.status, m, prefix,
                also ? " with " : "", also ? also : "");
    return ok;
}

static double coord(const struct call *c, size_t i, size_t k)
{
    return json_number_value(json_array_get(json_array_get(json_object_get(c->doc, "coordinates"), i), k));
}

static void test_get(void)
{
    struct call c;
    run(&c, "GET", NULL, NULL, NULL, "from", "EPSG:4326", "to", "EPSG:2154", "coords",
        "3,46.5;2.294481,48.858370", NULL);
    CHECK(c.res.status == 200);
    CHECK_STR(c.res.content_type, "application/json");
    CHECK_STR(json_string_value(json_object_get(c.doc, "from")), "EPSG:4326");
    CHECK_STR(json_string_value(json_object_get(c.doc, "to")), "EPSG:2154");
    CHECK(json_array_size(json_object_get(c.doc, "coordinates")) == 2);
    CHECK_NEAR(coord(&c, 0, 0), 700000, MM);
    CHECK_NEAR(coord(&c, 0, 1), 6600000, MM);
    CHECK_NEAR(coord(&c, 1, 0), 648235.8777, MM);
    CHECK_NEAR(coord(&c, 1, 1), 6862268.3583, MM);
    /* Metres to 1 µm: the printed numbers are what reproject_points computed, rounded. */
    double x = 2.294481, y = 48.858370;
    size_t bad;
    char err[256];
    CHECK(reproject_points(crs_lookup("EPSG:4326", NULL, 0), crs_lookup("EPSG:2154", NULL, 0),
                           &x, &y, 1, &bad, err, sizeof err) == 0);
    CHECK_NEAR(coord(&c, 1, 0), x, 0.5e-6);
    CHECK_NEAR(coord(&c, 1, 1), y, 0.5e-6);
    CHECK(c.res.body.data && strstr(c.res.body.data, "\"coordinates\":[[700000,6600000],[648235.877747,6862268.358286]]}"));
    done(&c);

    /* Canonical codes in the answer; spaces around numbers are fine; inverse direction. */
    run(&c, "GET", NULL, NULL, NULL, "from", "http://www.opengis.net/def/crs/EPSG/0/2154", "to",
        "crs:84", "coords", " 700000 , 6600000 ", NULL);
    CHECK(c.res.status == 200);
    CHECK_STR(json_string_value(json_object_get(c.doc, "from")), "EPSG:2154");
    CHECK_STR(json_string_value(json_object_get(c.doc, "to")), "OGC:CRS84");
    CHECK_NEAR(coord(&c, 0, 0), 3, 1e-9);
    CHECK_NEAR(coord(&c, 0, 1), 46.5, 1e-9);
    done(&c);

    /* Degrees to 1e-10, trailing zeros dropped, no "-0". */
    run(&c, "GET", NULL, NULL, NULL, "from", "4326", "to", "EPSG:4326", "coords",
        "2.35,48.85;-61.533056,-0.5;1e-12,-1e-12;-179.99999999996,12.00000000004", NULL);
    CHECK(c.res.status == 200);
    CHECK(c.res.body.data && strstr(c.res.body.data, "\"coordinates\":[[2.35,48.85],"
                                    "[-61.533056,-0.5],[0,0],[-180,12]]"));
    done(&c);
    /* Web Mercator's edge, the largest numbers we print. */
    run(&c, "GET", NULL, NULL, NULL, "from", "4326", "to", "3857", "coords", "180,0;-180,-85", NULL);
    CHECK(c.res.body.data && strstr(c.res.body.data, "[[20037508.342789,0],[-20037508.342789,-19971868.880409]]"));
    done(&c);
}

static void test_get_errors(void)
{
    static const struct { const char *from, *to, *coords, *prefix, *also; } cases[] = {
        {NULL, "EPSG:2154", "2,48", "from: missing", NULL},
        {"EPSG:4326", NULL, "2,48", "to: missing", NULL},
        {"", "EPSG:2154", "2,48", "from: missing", NULL},
        {"EPSG:9999", "EPSG:2154", "2,48", "from: unsupported CRS 'EPSG:9999'; supported:", "EPSG:2154"},
        {"EPSG:4326", "lambert", "2,48", "to: unsupported CRS 'lambert'", NULL},
        {"EPSG:4326", "EPSG:2154", NULL, "coords: missing", NULL},
        {"EPSG:4326", "EPSG:2154", "", "coords: point 1: '' must be two numbers", NULL},
        {"EPSG:4326", "EPSG:2154", "1,2;3", "coords: point 2: '3' must be two numbers x,y", NULL},
        {"EPSG:4326", "EPSG:2154", "1,2;", "coords: point 2:", NULL},
        {"EPSG:4326", "EPSG:2154", "1,2,3", "coords: point 1: '1,2,3' must be two numbers", NULL},
        {"EPSG:4326", "EPSG:2154", "abc,1", "coords: point 1: x 'abc' is not a number", NULL},
        {"EPSG:4326", "EPSG:2154", "2,48;1e999,2", "coords: point 2: x '1e999' is not a finite number", NULL},
        {"EPSG:4326", "EPSG:2154", "2,NaN", "coords: point 1: y 'NaN' is not a number", NULL},
        {"EPSG:4326", "EPSG:2154", "inf,48", "coords: point 1: x 'inf' is not a number", NULL},
        {"EPSG:4326", "EPSG:2154", "0x10,48", "coords: point 1: x '0x10' is not a number", NULL},
        {"EPSG:4326", "EPSG:2154", "2,", "coords: point 1: y '' is empty", NULL},
        {"EPSG:4326", "EPSG:2154", "1.0000000000000000000000000000000000000000000000000000000000000001,2",
         "coords: point 1: x", "is too long"},
        {"EPSG:4326", "EPSG:2154", "2.35,48.85;55.450675,-20.882057",
         "coords: point 2 (55.450675,-20.882057) is outside the area of use of EPSG:2154 (RGF93 v1 / Lambert-93)", NULL},
        {"EPSG:4326", "EPSG:3857", "2,85.3", "coords: point 1 (2,85.3) is outside the area of use of EPSG:3857", NULL},
        {"EPSG:2154", "EPSG:4326", "2.35,48.85", "coords: point 1 (2.35,48.85) (lon,lat", "area of use of EPSG:2154"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct call c;
        const char *kv[6];
        size_t n = 0;
        if (cases[i].from) kv[n++] = "from", kv[n++] = cases[i].from;
        if (cases[i].to) kv[n++] = "to", kv[n++] = cases[i].to;
        if (cases[i].coords) kv[n++] = "coords", kv[n++] = cases[i].coords;
        while (n < 6) kv[n++] = NULL;
        run(&c, "GET", NULL, NULL, NULL, kv[0], kv[1], kv[2], kv[3], kv[4], kv[5], NULL);
        if (!is_400(&c, cases[i].prefix, cases[i].also)) {
            fprintf(stderr, "  case %zu\n", i);
            unit_current_failed = 1;
        }
        done(&c);
    }
}

static void test_limits(void)
{
    struct config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.reproject_max_points = 3;
    struct server_ctx ctx = {.cfg = &cfg};
    struct call c;
    run(&c, "GET", NULL, NULL, &ctx, "from", "4326", "to", "2154", "coords", "2,48;2,48;2,48", NULL);
    CHECK(c.res.status == 200);
    done(&c);
    run(&c, "GET", NULL, NULL, &ctx, "from", "4326", "to", "2154", "coords", "2,48;2,48;2,48;2,48", NULL);
    CHECK(is_400(&c, "coords: too many points (4, at most 3", NULL));
    done(&c);
    run(&c, "POST", "application/json", "[[2,48],[2,48],[2,48],[2,48]]", &ctx, "from", "4326", "to", "2154", NULL);
    CHECK(is_400(&c, "body: too many points", "at most 3"));
    done(&c);
    /* A flat array of many numbers is refused before jansson builds it. */
    static char flat[200000];
    strcpy(flat, "[1");
    for (size_t i = 2; i + 4 < sizeof flat; i += 2)
        memcpy(flat + i, ",1", 2);
    strcpy(flat + sizeof flat - 4, "]");
    run(&c, "POST", "application/json", flat, &ctx, "from", "4326", "to", "2154", NULL);
    CHECK(is_400(&c, "body: too many points (at most 3)", NULL));
    done(&c);
    run(&c, "POST", "text/csv", "x,y\n2,48\n2,48\n\n2,48\n2,48\n", &ctx, "from", "4326", "to", "2154", NULL);
    CHECK(is_400(&c, "body: too many points (more than 3)", NULL));
    done(&c);
    run(&c, "POST", "text/csv", "x,y\n2,48\n2,48\n\n2,48\n", &ctx, "from", "4326", "to", "2154", NULL);
    CHECK(c.res.status == 200);
    done(&c);
    /* Without a configuration the default limit (100000) applies. */
    cfg.reproject_max_points = 0;
    run(&c, "GET", NULL, NULL, &ctx, "from", "4326", "to", "2154", "coords", "2,48;2,48;2,48;2,48", NULL);
    CHECK(c.res.status == 200);
    done(&c);
}

static void test_post_json(void)
{
    struct call c;
    run(&c, "POST", "application/json; charset=utf-8", "[[3,46.5],[-61.533056,16.241111]]", NULL,
        "from", "EPSG:4326", "to", "EPSG:2154", NULL);
    CHECK(is_400(&c, "body: point 2 (-61.533056,16.241111) is outside the area of use of EPSG:2154", NULL));
    done(&c);
    run(&c, "POST", NULL, "{\"coordinates\": [[-61.533056, 16.241111], [-61.058906, 14.616065]]}",
        NULL, "from", "EPSG:4326", "to", "EPSG:5490", NULL);
    CHECK(c.res.status == 200);
    CHECK_NEAR(coord(&c, 0, 0), 656775.592, MM);
    CHECK_NEAR(coord(&c, 0, 1), 1796167.427, MM);
    CHECK_NEAR(coord(&c, 1, 0), 709084.927, MM);
    CHECK_NEAR(coord(&c, 1, 1), 1616755.762, MM);
    done(&c);
    run(&c, "POST", "application/json", "[]", NULL, "from", "4326", "to", "2154", NULL);
    CHECK(c.res.status == 200 && json_array_size(json_object_get(c.doc, "coordinates")) == 0);
    done(&c);

    enum { N = 10000 };
    struct buf body;
    buf_init(&body, 0);
    buf_putc(&body, '[');
    for (int i = 0; i < N; i++)
        buf_printf(&body, "%s[%.6f,%.6f]", i ? "," : "", -4.5 + 13.0 * i / N, 42.5 + 8.0 * (i % 97) / 97);
    buf_putc(&body, ']');
    run(&c, "POST", "application/json", body.data, NULL, "from", "4326", "to", "2154", NULL);
    CHECK(c.res.status == 200);
    CHECK(json_array_size(json_object_get(c.doc, "coordinates")) == N);
    CHECK_NEAR(coord(&c, 0, 0), 83542.4415, MM); /* (-4.5, 42.5), cs2cs */
    CHECK(coord(&c, N - 1, 0) > 1000000);
    done(&c);
    buf_free(&body);

    static const struct { const char *ct, *body, *prefix; } bad[] = {
        {"application/json", "[[1,2],[3,4]", "body: invalid JSON at line 1"},
        {"application/json", "[[2,48],[2]]", "body: point 2 must be [x, y], two numbers"},
        {"application/json", "[[2,48],[2,\"48\"]]", "body: point 2 must be [x, y]"},
        {"application/json", "[[2,48,0]]", "body: point 1 must be [x, y]"},
        {"application/json", "[[1e999,48]]", "body: invalid JSON"},
        {"application/json", "[[NaN,48]]", "body: invalid JSON"},
        {"application/json", "{\"points\": []}", "body: expected an array of [x,y] pairs"},
        {"application/json", "\"2,48\"", "body: invalid JSON"},
        {"application/json", "", "body: empty"},
        {"application/xml", "<p/>", "Content-Type: 'application/xml' is not supported"},
        {"application/x-www-form-urlencoded", "[[2,48]]", "Content-Type: 'application/x-www-form-urlencoded'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        run(&c, "POST", bad[i].ct, bad[i].body, NULL, "from", "4326", "to", "2154", NULL);
        if (!is_400(&c, bad[i].prefix, NULL))
            unit_current_failed = 1;
        done(&c);
    }
    run(&c, "PUT", NULL, "[]", NULL, "from", "4326", "to", "2154", NULL);
    CHECK(c.res.status == 405);
    done(&c);
}

static void test_post_csv(void)
{
    struct call c;
    /* ';' separator, header naming lon/lat, quoted field with the separator, CRLF, BOM. */
    run(&c, "POST", "text/csv",
        "\xEF\xBB\xBFid;lon;lat;\"nom; ville\"\r\n"
        "1;3;46.5;\"Origine; centre\"\r\n"
        "\r\n"
        "2;\"2.294481\";48.858370;Tour Eiffel\r\n",
        NULL, "from", "EPSG:4326", "to", "EPSG:2154", NULL);
    CHECK(c.res.status == 200);
    CHECK_STR(c.res.content_type, "text/csv; charset=utf-8");
    const char *b = c.res.body.data ? c.res.body.data : "";
    CHECK(!strncmp(b, "id;x;y;\"nom; ville\"\r\n1;700000;6600000;\"Origine; centre\"\r\n2;648235.877", 66));
    double x, y;
    const char *row2 = strstr(b, "\r\n2;");
    CHECK(row2 && sscanf(row2, "\r\n2;%lf;%lf;Tour Eiffel\r\n", &x, &y) == 2);
    CHECK_NEAR(x, 648235.8777, MM);
    CHECK_NEAR(y, 6862268.3583, MM);
    CHECK(strlen(b) > 4 && !strcmp(b + strlen(b) - 13, "Tour Eiffel\r\n"));
    done(&c);

    /* No header, ',' separator, extra columns passed through, projected -> geographic. */
    run(&c, "POST", "text/csv", "700000,6600000,a\n648235.8777,6862268.3583,\"b,c\"", NULL,
        "from", "EPSG:2154", "to", "CRS:84", NULL);
    CHECK(c.res.status == 200);
    b = c.res.body.data ? c.res.body.data : "";
    double lon1, lat1, lon2, lat2;
    CHECK(sscanf(b, "%lf,%lf,a\n%lf,%lf,\"b,c\"\n", &lon1, &lat1, &lon2, &lat2) == 4);
    CHECK_NEAR(lon1, 3, 1e-9);
    CHECK_NEAR(lat1, 46.5, 1e-9);
    CHECK_NEAR(lon2, 2.294481, 1e-8);
    CHECK_NEAR(lat2, 48.858370, 1e-8);
    CHECK(strlen(b) > 7 && !strcmp(b + strlen(b) - 7, ",\"b,c\"\n"));
    done(&c);

    /* Header in lat,lon order: the pair is found by name and replaced in place. */
    run(&c, "POST", "text/csv", "name,Latitude,Longitude\norigin,46.5,3\n", NULL,
        "from", "4326", "to", "2154", NULL);
    CHECK(c.res.status == 200);
    CHECK_STR(c.res.body.data, "name,y,x\norigin,6600000,700000\n");
    done(&c);

    static const struct { const char *body, *prefix; } bad[] = {
        {"x,y\n2,48\nabc,48\n", "body: line 3: x 'abc' is not a number"},
        {"x;y\n2;48\n2,35;48,85\n", "body: line 3: x '2,35' is not a number (the decimal separator is '.')"},
        {"x,y\n2,48\n2\n", "body: line 3: 1 field, expected at least 2"},
        {"a,b\n2,48\n", "body: line 1: neither two numbers nor a header"},
        {"x,y\n2,48\n\"2,48\n", "body: line 3: a quoted field is not closed"},
        {"x,y\n2,48\n2,1e999\n", "body: line 3: y '1e999' is not a finite number"},
        {"x,y\n2,48\n\n55.45,-20.88\n", "body: line 4: point 2 (55.45,-20.88) is outside the area of use of EPSG:2154"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        run(&c, "POST", "text/csv", bad[i].body, NULL, "from", "4326", "to", "2154", NULL);
        if (!is_400(&c, bad[i].prefix, NULL))
            unit_current_failed = 1;
        done(&c);
    }
}

int main(void)
{
    RUN(test_get);
    RUN(test_get_errors);
    RUN(test_limits);
    RUN(test_post_json);
    RUN(test_post_csv);
    proj_thread_release();
    return UNIT_REPORT();
}
