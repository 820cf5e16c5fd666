/* Unit tests of the small foundation modules: buffers, UTF-8, scopes, configuration,
 * routing and metrics. */
#include "db/scope.h"
#include "server/config.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/routes.h"
#include "tests/unit/unit.h"
#include "util/buf.h"
#include "util/text.h"

#include <stdlib.h>
#include <string.h>

static void test_buf_grows_and_respects_its_limit(void)
{
    struct buf b;
    buf_init(&b, 10);
    CHECK(buf_puts(&b, "12345"));
    CHECK(buf_printf(&b, "%d", 6789));
    CHECK_STR(b.data, "123456789");
    CHECK(!buf_puts(&b, "ab"));
    CHECK(b.overflow);
    CHECK(b.len == 9);
    CHECK(!buf_puts(&b, "a")); /* stays refused once overflowed */
    buf_free(&b);
    buf_init(&b, 0);
    for (int i = 0; i < 10000; i++)
        buf_putc(&b, 'x');
    CHECK(b.len == 10000 && b.data[10000] == '\0');
    size_t len;
    char *p = buf_detach(&b, &len);
    CHECK(len == 10000 && b.data == NULL);
    free(p);
}

static void test_utf8_validation_and_lossy_strings(void)
{
    CHECK(utf8_valid("Île-de-France", strlen("Île-de-France")));
    CHECK(!utf8_valid("\xff", 1));
    CHECK(!utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    CHECK(!utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!utf8_valid("\xe2\x82", 2));         /* truncated */
    json_t *s = json_string_lossy("a\xffz\xc3\xa9");
    CHECK_STR(json_string_value(s), "a?zé");
    json_decref(s);
}

static void test_territory_lists_parse_and_name_bad_items(void)
{
    struct territory_ref refs[4];
    char err[256];
    CHECK(territory_ref_parse_list("region:11,departement:2A,epci:200054781,city:75056", refs, 4, err, sizeof err) == 4);
    CHECK(refs[1].level == TERRITORY_DEPARTEMENT);
    CHECK_STR(refs[1].code, "2A");
    CHECK(refs[2].level == TERRITORY_EPCI);
    CHECK(territory_ref_parse_list("departement:971", refs, 4, err, sizeof err) == 1);
    CHECK(territory_ref_parse_list("city:2B033", refs, 4, err, sizeof err) == 1);
    CHECK(territory_ref_parse_list("commune:75056", refs, 4, err, sizeof err) == -1);
    CHECK(strstr(err, "commune") != NULL);
    CHECK(territory_ref_parse_list("city:7505", refs, 4, err, sizeof err) == -1);
    CHECK(strstr(err, "7505") != NULL);
    CHECK(territory_ref_parse_list("city:75056'--", refs, 4, err, sizeof err) == -1);
    CHECK(territory_ref_parse_list("departement:93,", refs, 4, err, sizeof err) == -1);
    CHECK(territory_ref_parse_list("", refs, 4, err, sizeof err) == -1);
    CHECK(territory_ref_parse_list("region:11,region:24,region:27,region:28,region:32", refs, 4, err, sizeof err) == -1);
    CHECK(strstr(err, "too many") != NULL);
    CHECK(territory_ref_parse_list("departement", refs, 4, err, sizeof err) == -1);
}

static void test_scope_description_is_stable(void)
{
    struct scope s;
    char text[128];
    scope_public(&s);
    scope_describe(&s, text, sizeof text);
    CHECK_STR(text, "public");
    scope_national(&s, SCOPE_FLAG_JUSTICE | SCOPE_FLAG_FINANCES);
    scope_describe(&s, text, sizeof text);
    CHECK_STR(text, "national+justice+finances");
    char err[128];
    s.kind = SCOPE_TERRITORIAL;
    s.flags = SCOPE_FLAG_OWNERS;
    s.n_areas = (size_t)territory_ref_parse_list("departement:93,city:75056", s.areas, SCOPE_MAX_AREAS, err, sizeof err);
    scope_describe(&s, text, sizeof text);
    CHECK_STR(text, "departement:93,city:75056+owners");
    char tiny[8];
    scope_describe(&s, tiny, sizeof tiny);
    CHECK(strlen(tiny) == 7);
}

static void test_config_settings_are_validated(void)
{
    struct config cfg;
    char err[256];
    config_defaults(&cfg);
    CHECK(cfg.listen_port == 8080);
    CHECK(config_set(&cfg, "listen", "0.0.0.0:9000", err, sizeof err) == 0);
    CHECK_STR(cfg.listen_host, "0.0.0.0");
    CHECK(cfg.listen_port == 9000);
    CHECK(config_set(&cfg, "listen", "0.0.0.0:99999", err, sizeof err) == -1);
    CHECK(config_set(&cfg, "listen", ":80", err, sizeof err) == -1);
    CHECK(config_set(&cfg, "threads", "12", err, sizeof err) == 0 && cfg.threads == 12);
    CHECK(config_set(&cfg, "threads", "12x", err, sizeof err) == -1);
    CHECK(strstr(err, "threads") != NULL);
    CHECK(config_set(&cfg, "statement_timeout_ms", "-1", err, sizeof err) == -1);
    CHECK(config_set(&cfg, "migrate", "no", err, sizeof err) == 0 && cfg.migrate_on_start == 0);
    CHECK(config_set(&cfg, "migrate", "maybe", err, sizeof err) == -1);
    CHECK(config_set(&cfg, "max_body_bytes", "2048", err, sizeof err) == 0 && cfg.max_body_bytes == 2048);
    CHECK(config_set(&cfg, "bogus", "1", err, sizeof err) == -1);
    CHECK(strstr(err, "bogus") != NULL);
}

static void test_routes_match_paths_and_methods(void)
{
    CHECK(routes_match("GET", "/health") >= 0);
    CHECK(routes_match("HEAD", "/health") >= 0);
    CHECK(routes_match("POST", "/health") == -2);
    CHECK(routes_match("GET", "/healthz") == -1);
    CHECK(routes_match("POST", "/reproject") >= 0);
    struct request req;
    memset(&req, 0, sizeof req);
    req.method = "GET";
    req.path = "/nope";
    struct response res;
    response_init(&res);
    CHECK(http_dispatch(&req, &res) < 0);
    CHECK(res.status == 404);
    CHECK(strstr(res.body.data, "/nope") != NULL);
    response_free(&res);
}

static void test_metrics_render_cumulative_histograms(void)
{
    static const char *const names[] = {"a", "b"};
    struct metrics *m = metrics_create(names, 2);
    metrics_observe(m, 0, 200, 0.002);
    metrics_observe(m, 0, 200, 0.2);
    metrics_observe(m, 0, 404, 20.0);
    metrics_observe(m, 7, 404, 0.0); /* out of range: counted as unmatched */
    struct buf out;
    buf_init(&out, 0);
    metrics_render(m, &out);
    CHECK(strstr(out.data, "rbmap_http_requests_total{route=\"a\",status=\"200\"} 2\n") != NULL);
    CHECK(strstr(out.data, "rbmap_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n") != NULL);
    CHECK(strstr(out.data, "route=\"a\",le=\"0.005\"} 1\n") != NULL);
    CHECK(strstr(out.data, "route=\"a\",le=\"0.25\"} 2\n") != NULL);
    CHECK(strstr(out.data, "route=\"a\",le=\"10\"} 2\n") != NULL);
    CHECK(strstr(out.data, "route=\"a\",le=\"+Inf\"} 3\n") != NULL);
    CHECK(strstr(out.data, "route=\"b\"") == NULL); /* nothing observed */
    buf_free(&out);
    metrics_destroy(m);
}

/* Found by the fuzzers: an error message quoting client text cut inside a UTF-8
 * sequence (or invalid UTF-8 itself) made jansson refuse it, leaving an empty body. */
static void test_error_messages_are_always_json(void)
{
    struct response res;
    response_init(&res);
    response_error(&res, 400, "unsupported CRS '%.5s'", "EPSG\xC3\xA9\xFF<script>");
    CHECK(res.status == 400);
    json_error_t jerr;
    json_t *doc = json_loadb(res.body.data ? res.body.data : "", res.body.len, 0, &jerr);
    CHECK(doc != NULL);
    const char *msg = json_string_value(json_object_get(json_object_get(doc, "error"), "message"));
    CHECK(msg != NULL && utf8_valid(msg, strlen(msg)) && !strncmp(msg, "unsupported CRS 'EPSG", 21));
    json_decref(doc);
    response_free(&res);
}

int main(void)
{
    RUN(test_buf_grows_and_respects_its_limit);
    RUN(test_utf8_validation_and_lossy_strings);
    RUN(test_territory_lists_parse_and_name_bad_items);
    RUN(test_scope_description_is_stable);
    RUN(test_config_settings_are_validated);
    RUN(test_routes_match_paths_and_methods);
    RUN(test_metrics_render_cumulative_histograms);
    RUN(test_error_messages_are_always_json);
    return UNIT_REPORT();
}
