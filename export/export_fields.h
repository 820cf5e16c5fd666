/* Column names of exported files, in one table per collection: for every property key
 * (db/feature_props.h for sites and actions; the boundary and territory fields below)
 * its readable French label (the platform's own export names: Département, Commune,
 * Code INSEE, Date d'installation...) for csv and xlsx, and a deliberate name of at most
 * 10 characters for shapefiles, so no two fields ever collide by truncation. */
#ifndef RBMAP_EXPORT_EXPORT_FIELDS_H
#define RBMAP_EXPORT_EXPORT_FIELDS_H
#include "db/feature_props.h"
#include "export/export_format.h"

struct export_label {
    const char *key;
    const char *french;
    const char *short_name; /* ≤ 10 ASCII characters, unique within its collection */
};

/* The fields of a collection, in column order; ends with a NULL name. Sites and actions
 * are site_prop_keys and action_prop_keys. */
const struct prop_key *export_collection_keys(enum export_collection c);

/* The labels of a collection; ends with a NULL key. */
const struct export_label *export_labels(enum export_collection c);
/* NULL when the table has no entry for key (a new property without a label). */
const struct export_label *export_label_find(enum export_collection c, const char *key);
/* The column name of key for a naming: the key itself, the short name or the label. */
const char *export_column_name(enum export_collection c, const char *key, enum export_naming naming);

/* The French wording of a coded value in spreadsheets ("open" -> "Existant", water
 * "toImprove" -> "À améliorer", level "city" -> "Commune"); NULL to keep the value. */
const char *export_value_label(const char *key, const char *value);

/* The coordinate columns of csv and xlsx: Latitude/Longitude for a geographic CRS,
 * "X (EPSG:2154)"/"Y (EPSG:2154)" for a projected one (first the one holding y when
 * geographic, as the platform puts Latitude before Longitude). */
void export_coordinate_columns(const char *crs_code, bool geographic, char *first, char *second, size_t len,
                               bool *first_is_y);

#endif
