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
void site_props_emit_details(const struct prop_sink *sink, const struct site *s, unsigned flags);

/* One point of an action (an eti address or the site of a sur_site action). */
void action_props_emit(const struct prop_sink *sink, const struct action_point *p, unsigned flags);

/* The SCOPE_FLAG_* bits whose fields this scope reads: none for the public; finances
 * only reach a national scope (auth_scope drops the flag elsewhere, checked again here).
 * `owners` (details of sites) needs SCOPE_FLAG_OWNERS, `finances` (actions)
 * SCOPE_FLAG_FINANCES; tiles carry neither. */
unsigned feature_flags(const struct scope *scope);

/* The keys site_props_emit may write, in its order, with justice ones flagged; for
 * schemas (queryables, export columns, TileJSON fields). Ends with a NULL name. */
struct prop_key {
    const char *name;
    char kind; /* 's' string, 'i' integer, 'b' boolean, 'd' date (as a string) */
    bool sensitive;
    unsigned flag; /* the SCOPE_FLAG_* a caller needs for this key (owners, finances); 0: none */
};

/* Whether a caller given `flags` (feature_flags) and justice fields or not gets key k. */
bool prop_key_granted(const struct prop_key *k, bool justice, unsigned flags);
extern const struct prop_key site_prop_keys[];
extern const struct prop_key action_prop_keys[];

#endif
