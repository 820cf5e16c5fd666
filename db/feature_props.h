/* The properties of a site or an action, written once for every output: MVT tiles,
 * GeoJSON (OGC API Features), WMS GetFeatureInfo and file exports all read a feature's
 * fields through this module, so a field added or hidden here (the justice fields of a
 * scope without the justice flag) changes every output the same way.
 * A property with no value (unknown population, no closing date) is not emitted. */
#ifndef RBMAP_DB_FEATURE_PROPS_H
#define RBMAP_DB_FEATURE_PROPS_H
#include "db/action_store.h"
#include "db/site_store.h"

#include <stdbool.h>
#include <stdint.h>

/* Receives properties in a stable order. Dates come as "YYYY-MM-DD" strings. */
struct prop_sink {
    void *ctx;
    void (*add_string)(void *ctx, const char *key, const char *value);
    void (*add_int)(void *ctx, const char *key, int64_t value);
    void (*add_bool)(void *ctx, const char *key, bool value);
};

/* A site as it stood on `day` (DAY_NONE = now), whose status on that day is `status`
 * (site_status_on). `justice`: the caller's scope grants the justice flag. */
void site_props_emit(const struct prop_sink *sink, const struct site_snapshot *snap, const struct site *s,
                     int status, int32_t day, bool justice);

/* The details a tile leaves out to stay within its size budget (the address), for
 * outputs that show one feature or a list of them (GeoJSON, GetFeatureInfo, exports).
 * Call after site_props_emit. */
void site_props_emit_details(const struct prop_sink *sink, const struct site *s);

/* One point of an action (an eti address or the site of a sur_site action). */
void action_props_emit(const struct prop_sink *sink, const struct action_point *p);

/* The keys site_props_emit may write, in its order, with justice ones flagged; for
 * schemas (queryables, export columns, TileJSON fields). Ends with a NULL name. */
struct prop_key {
    const char *name;
    char kind; /* 's' string, 'i' integer, 'b' boolean, 'd' date (as a string) */
    bool sensitive;
};
extern const struct prop_key site_prop_keys[];
extern const struct prop_key action_prop_keys[];

#endif
