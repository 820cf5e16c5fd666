/* The DESIGN.md filters and the scope check, on hand-made sites. */
#include "db/site_filter.h"
#include "tests/unit/unit.h"

static struct site make_site(int status, const char *declared, const char *closed, int solutions)
{
    struct site s;
    memset(&s, 0, sizeof s);
    s.id = 1;
    s.status = (uint8_t)status;
    s.declared_day = day_from_iso(declared);
    s.built_day = DAY_NONE;
    s.closed_day = closed ? day_from_iso(closed) : DAY_NONE;
    s.closed_with_solutions = (int8_t)solutions;
    s.field_type_id = 2;
    strcpy(s.city_code, "13203");
    strcpy(s.main_city_code, "13055");
    strcpy(s.departement_code, "13");
    strcpy(s.region_code, "93");
    strcpy(s.epci_code, "200054807");
    s.name = s.address = s.city_name = "";
    return s;
}

static void test_dates_round_trip_and_reject_nonsense(void)
{
    CHECK(day_from_iso("1970-01-01") == 0);
    CHECK(day_from_iso("2024-02-29") == 19782);
    CHECK(day_from_iso("2023-02-29") == DAY_NONE);
    CHECK(day_from_iso("2023-13-01") == DAY_NONE);
    CHECK(day_from_iso("2023-1-01") == DAY_NONE);
    CHECK(day_from_iso("abcd-ef-gh") == DAY_NONE);
    char text[11];
    for (int32_t d = day_from_iso("0001-01-01"); d <= day_from_iso("9999-12-31"); d += 997) {
        day_to_iso(d, text);
        CHECK(day_from_iso(text) == d);
    }
    day_to_iso(day_from_iso("2026-11-22"), text);
    CHECK_STR(text, "2026-11-22");
}

static void test_status_keywords(void)
{
    struct site open = make_site(SITE_OPEN, "2021-01-01", NULL, -1);
    struct site justice = make_site(SITE_CLOSED_BY_JUSTICE, "2020-01-01", "2022-06-01", 0);
    struct site resorbed = make_site(SITE_CLOSED_BY_PREF_ADMIN, "2020-01-01", "2022-06-01", 1);
    struct site_filter f;
    char err[256];
    site_filter_init(&f);
    CHECK(site_filter_match(&f, &open) && site_filter_match(&f, &justice));
    CHECK(site_filter_parse_status(&f, "open", err, sizeof err) == 0);
    CHECK(site_filter_match(&f, &open) && !site_filter_match(&f, &justice));
    site_filter_init(&f);
    CHECK(site_filter_parse_status(&f, "closed", err, sizeof err) == 0);
    CHECK(!site_filter_match(&f, &open) && site_filter_match(&f, &justice) && site_filter_match(&f, &resorbed));
    site_filter_init(&f);
    CHECK(site_filter_parse_status(&f, "resorbed", err, sizeof err) == 0);
    CHECK(!site_filter_match(&f, &justice) && site_filter_match(&f, &resorbed));
    site_filter_init(&f);
    CHECK(site_filter_parse_status(&f, "closed_by_justice,open", err, sizeof err) == 0);
    CHECK(site_filter_match(&f, &justice) && site_filter_match(&f, &open) && !site_filter_match(&f, &resorbed));
    CHECK(site_filter_parse_status(&f, "demolished", err, sizeof err) == -1);
    CHECK(strstr(err, "status") && strstr(err, "demolished"));
    CHECK(site_filter_parse_status(&f, "open,", err, sizeof err) == -1);
}

static void test_date_shows_the_map_as_it_stood(void)
{
    struct site s = make_site(SITE_CLOSED_BY_JUSTICE, "2020-03-01", "2022-06-01", 0);
    struct site_filter f;
    char err[256];
    site_filter_init(&f);
    CHECK(site_filter_parse_status(&f, "open", err, sizeof err) == 0);
    CHECK(site_filter_parse_date(&f, "2021-01-01", err, sizeof err) == 0);
    CHECK(site_filter_match(&f, &s)); /* open on that day */
    CHECK(site_filter_parse_date(&f, "2020-02-29", err, sizeof err) == 0);
    CHECK(!site_filter_match(&f, &s)); /* not declared yet */
    CHECK(site_filter_parse_date(&f, "2022-06-01", err, sizeof err) == 0);
    CHECK(!site_filter_match(&f, &s)); /* closed that day */
    CHECK(site_status_on(&s, day_from_iso("2022-05-31")) == SITE_OPEN);
    CHECK(site_status_on(&s, day_from_iso("2022-06-01")) == SITE_CLOSED_BY_JUSTICE);
    CHECK(site_filter_parse_date(&f, "2022-02-30", err, sizeof err) == -1);
    CHECK(strstr(err, "date") != NULL);
    CHECK(site_filter_parse_date(&f, "2022-01-01T00:00", err, sizeof err) == -1);
    /* built_at stands in when declared_at is missing */
    s.declared_day = DAY_NONE;
    s.built_day = day_from_iso("2019-01-01");
    CHECK(site_status_on(&s, day_from_iso("2019-06-01")) == SITE_OPEN);
}

static void test_territory_matches_arrondissements_and_every_level(void)
{
    struct site s = make_site(SITE_OPEN, "2021-01-01", NULL, -1);
    struct site_filter f;
    char err[256];
    const char *matching[] = {"city:13055", "city:13203", "departement:13", "region:93", "epci:200054807",
                              "city:75056,departement:13"};
    for (size_t i = 0; i < sizeof matching / sizeof *matching; i++) {
        site_filter_init(&f);
        CHECK(site_filter_parse_territory(&f, matching[i], err, sizeof err) == 0);
        CHECK(site_filter_match(&f, &s));
    }
    site_filter_init(&f);
    CHECK(site_filter_parse_territory(&f, "departement:93", err, sizeof err) == 0);
    CHECK(!site_filter_match(&f, &s));
    CHECK(site_filter_parse_territory(&f, "departement:9'3", err, sizeof err) == -1);
    CHECK(strstr(err, "territory") != NULL);
}

static void test_field_types_by_id_or_label(void)
{
    struct site s = make_site(SITE_OPEN, "2021-01-01", NULL, -1);
    struct field_type types[] = {{1, "Inconnu", "cccccc"}, {2, "Terrain", "ef8c00"}};
    struct site_snapshot snap = {.n_field_types = 2, .field_types = types};
    struct site_filter f;
    char err[256];
    site_filter_init(&f);
    CHECK(site_filter_parse_field_type(&f, "terrain", err, sizeof err) == 0);
    CHECK(site_filter_resolve(&f, &snap, err, sizeof err) == 0);
    CHECK(site_filter_match(&f, &s));
    site_filter_init(&f);
    CHECK(site_filter_parse_field_type(&f, "1", err, sizeof err) == 0);
    CHECK(!site_filter_match(&f, &s));
    site_filter_init(&f);
    CHECK(site_filter_parse_field_type(&f, "Château", err, sizeof err) == 0);
    CHECK(site_filter_resolve(&f, &snap, err, sizeof err) == -1);
    CHECK(strstr(err, "Château") != NULL);
}

static void test_scope_allows_only_its_territory(void)
{
    struct site s = make_site(SITE_OPEN, "2021-01-01", NULL, -1);
    struct scope scope;
    char err[128];
    scope_public(&scope);
    CHECK(!scope_allows_site(&scope, &s));
    scope_national(&scope, 0);
    CHECK(scope_allows_site(&scope, &s));
    scope.kind = SCOPE_TERRITORIAL;
    scope.n_areas = (size_t)territory_ref_parse_list("departement:93", scope.areas, SCOPE_MAX_AREAS, err, sizeof err);
    CHECK(!scope_allows_site(&scope, &s));
    scope.n_areas = (size_t)territory_ref_parse_list("departement:93,city:13055", scope.areas, SCOPE_MAX_AREAS, err,
                                                     sizeof err);
    CHECK(scope_allows_site(&scope, &s));
}

static void test_filter_keys_differ_when_filters_differ(void)
{
    struct site_filter a, b;
    char err[64], ka[256], kb[256];
    site_filter_init(&a);
    site_filter_init(&b);
    site_filter_key(&a, ka, sizeof ka);
    site_filter_key(&b, kb, sizeof kb);
    CHECK_STR(ka, kb);
    CHECK(site_filter_parse_status(&b, "open", err, sizeof err) == 0);
    site_filter_key(&b, kb, sizeof kb);
    CHECK(strcmp(ka, kb) != 0);
    site_filter_init(&b);
    CHECK(site_filter_parse_date(&b, "2020-01-01", err, sizeof err) == 0);
    site_filter_key(&b, kb, sizeof kb);
    CHECK(strcmp(ka, kb) != 0);
}

int main(void)
{
    RUN(test_dates_round_trip_and_reject_nonsense);
    RUN(test_status_keywords);
    RUN(test_date_shows_the_map_as_it_stood);
    RUN(test_territory_matches_arrondissements_and_every_level);
    RUN(test_field_types_by_id_or_label);
    RUN(test_scope_allows_only_its_territory);
    RUN(test_filter_keys_differ_when_filters_differ);
    return UNIT_REPORT();
}
