/* The export column tables: every property of every collection has a French label and
 * a shapefile name; shapefile names fit dBase (≤ 10 ASCII characters) and never collide
 * (dBase compares them case-insensitively); French labels are unique per collection. */
#include "export/export_fields.h"
#include "export/export_format.h"
#include "tests/unit/unit.h"

#include <ctype.h>
#include <strings.h>

static void test_every_key_has_a_label(void)
{
    for (int c = 0; c < EXPORT_COLLECTIONS; c++)
        for (const struct prop_key *k = export_collection_keys((enum export_collection)c); k->name; k++) {
            const struct export_label *l = export_label_find((enum export_collection)c, k->name);
            if (!l)
                fprintf(stderr, "  no label for %s.%s\n", export_collection_name((enum export_collection)c), k->name);
            CHECK(l != NULL);
        }
}

static void test_short_names_fit_dbase_and_are_unique(void)
{
    for (int c = 0; c < EXPORT_COLLECTIONS; c++) {
        const struct export_label *labels = export_labels((enum export_collection)c);
        for (size_t i = 0; labels[i].key; i++) {
            const char *s = labels[i].short_name;
            CHECK(strlen(s) >= 1 && strlen(s) <= 10);
            for (const char *p = s; *p; p++)
                CHECK(isalnum((unsigned char)*p) || *p == '_');
            for (size_t j = 0; j < i; j++) {
                if (!strcasecmp(labels[j].short_name, s))
                    fprintf(stderr, "  %s and %s share the short name %s\n", labels[j].key, labels[i].key, s);
                CHECK(strcasecmp(labels[j].short_name, s) != 0);
                CHECK(strcmp(labels[j].french, labels[i].french) != 0);
                CHECK(strcmp(labels[j].key, labels[i].key) != 0);
            }
        }
    }
}

static void test_platform_column_names(void)
{
    CHECK_STR(export_column_name(EXPORT_SITES, "departement", NAMING_FRENCH), "Département");
    CHECK_STR(export_column_name(EXPORT_SITES, "city_name", NAMING_FRENCH), "Commune");
    CHECK_STR(export_column_name(EXPORT_SITES, "city_code", NAMING_FRENCH), "Code INSEE");
    CHECK_STR(export_column_name(EXPORT_SITES, "built_at", NAMING_FRENCH), "Date d'installation");
    CHECK_STR(export_column_name(EXPORT_SITES, "declared_at", NAMING_FRENCH), "Date de signalement");
    CHECK_STR(export_column_name(EXPORT_SITES, "closed_at", NAMING_FRENCH), "Date de fermeture");
    CHECK_STR(export_column_name(EXPORT_SITES, "population", NAMING_FRENCH), "Nombre de personnes");
    CHECK_STR(export_column_name(EXPORT_SITES, "field_type", NAMING_FRENCH), "Type de site");
    CHECK_STR(export_column_name(EXPORT_SITES, "population", NAMING_KEYS), "population");
    CHECK_STR(export_column_name(EXPORT_SITES, "evacuation_under_time_limit", NAMING_SHORT), "evac_delai");
    char first[64], second[64];
    bool first_is_y;
    export_coordinate_columns("EPSG:4326", true, first, second, sizeof first, &first_is_y);
    CHECK_STR(first, "Latitude");
    CHECK_STR(second, "Longitude");
    CHECK(first_is_y);
    export_coordinate_columns("EPSG:2154", false, first, second, sizeof first, &first_is_y);
    CHECK_STR(first, "X (EPSG:2154)");
    CHECK(!first_is_y);
}

static void test_names_parse(void)
{
    enum export_collection c;
    const struct export_format *f;
    char err[256];
    CHECK(export_parse_name("sites.shp.zip", &c, &f, err, sizeof err) == 0);
    CHECK(c == EXPORT_SITES);
    CHECK_STR(f->driver, "ESRI Shapefile");
    CHECK(export_parse_name("territories.xlsx", &c, &f, err, sizeof err) == 0);
    CHECK(c == EXPORT_TERRITORIES && f->spreadsheet);
    CHECK(export_parse_name("sites.shp", &c, &f, err, sizeof err) < 0);
    CHECK(strstr(err, "format") != NULL);
    CHECK(export_parse_name("people.csv", &c, &f, err, sizeof err) < 0);
    CHECK(strstr(err, "collection") != NULL);
    CHECK(export_parse_name("sites", &c, &f, err, sizeof err) < 0);
    CHECK(export_parse_name("", &c, &f, err, sizeof err) < 0);
}

int main(void)
{
    RUN(test_every_key_has_a_label);
    RUN(test_short_names_fit_dbase_and_are_unique);
    RUN(test_platform_column_names);
    RUN(test_names_parse);
    return UNIT_REPORT();
}
