/* Sites in memory. The store loads every site from PostGIS once, then applies changes
 * by id (from LISTEN/NOTIFY, db/layer_sync.h). Readers take an immutable snapshot and
 * keep it as long as they like; a change builds a new snapshot and swaps it in, so a
 * tile being encoded never sees half an update and never waits for a writer.
 * Site records are immutable and shared between snapshots (reference counted), so a
 * change of one site costs one pointer-array copy, not a copy of every site. */
#ifndef RBMAP_DB_SITE_STORE_H
#define RBMAP_DB_SITE_STORE_H
#include "db/scope.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum site_status {
    SITE_OPEN,
    SITE_CLOSED_BY_JUSTICE,
    SITE_CLOSED_BY_PREF_ADMIN,
    SITE_CLOSED_BY_CITY_ADMIN,
    SITE_RESORBED,
    SITE_OTHER,
    SITE_UNKNOWN,
    SITE_STATUS_COUNT
};

/* The platform's water-access status per site (living conditions). */
enum water_status { WATER_UNKNOWN, WATER_GOOD, WATER_TO_IMPROVE, WATER_BAD, WATER_STATUS_COUNT };

#define DAY_NONE INT32_MIN /* a missing date; dates are days since 1970-01-01 */

struct site_justice {
    int8_t owner_complaint, justice_procedure, justice_rendered; /* -1 unknown, 0, 1 */
    int8_t police_status;   /* -1 unknown, 0 none, 1 requested, 2 granted */
    int32_t justice_rendered_day, police_requested_day, police_granted_day;
    int8_t existing_litigation, evacuation_under_time_limit, insalubrity_order; /* -1, 0, 1 */
    int32_t administrative_order_evacuation_day;
    const char *bailiff; /* may be NULL */
};

struct site {
    int32_t id;
    double lon, lat;
    uint8_t status;           /* enum site_status */
    uint8_t water;            /* enum water_status */
    int8_t closed_with_solutions; /* -1 unknown/NULL, 0 no, 1 yes */
    int32_t field_type_id;
    int32_t population;       /* -1 when unknown */
    int32_t built_day, declared_day, closed_day; /* DAY_NONE when NULL */
    int64_t updated_epoch;    /* updated_at, seconds since 1970 */
    char city_code[6], main_city_code[6], departement_code[4], region_code[3], epci_code[10];
    const char *name;         /* never NULL ("" when absent) */
    const char *address;
    const char *city_name;
    struct site_justice justice; /* sensitive: only for scopes with SCOPE_FLAG_JUSTICE */
    /* Active parcel owners as a JSON array text [{"name": ..., "type": ...}] (NULL: none);
     * sensitive: only for scopes with SCOPE_FLAG_OWNERS. */
    const char *owners;
};

struct field_type {
    int32_t id;
    char label[64];
    char color[8]; /* "rrggbb" */
};

/* A summary of every site's id, position, status and update time, computed the same
 * way here and in SQL, so a reconcile can tell cheaply whether memory and database
 * still agree. */
struct site_fingerprint {
    int64_t count, sum_id, sum_lat_e6, sum_lon_e6, sum_updated, sum_status;
};

struct rtree;

struct site_snapshot {
    size_t count;
    /* Spatial index over (lon, lat) of sites[]; item i is sites[i]. Built with the
     * snapshot, so every reader of one snapshot sees one consistent index. */
    const struct rtree *index;
    struct site_fingerprint fingerprint;
    const struct site *const *sites; /* sorted by id */
    size_t n_field_types;
    const struct field_type *field_types;
    uint64_t version;      /* grows with every applied change */
    void *impl;
};

struct site_store;

struct site_store *site_store_create(void);
void site_store_destroy(struct site_store *store);

/* Called by the writer with every new snapshot, indexed and with its version, before it
 * becomes current, so that structures derived from a snapshot (tiles/render.h) are
 * ready before its first reader instead of built by it. The snapshot is not current
 * yet: readers keep getting the previous one meanwhile. */
typedef void (*site_snapshot_prepare_fn)(const struct site_snapshot *snap, void *ctx);
/* Sets the hook (NULL: none); call it before the first load. */
void site_store_set_prepare(struct site_store *store, site_snapshot_prepare_fn fn, void *ctx);

/* Loads every site and field type; replaces the current snapshot. */
int site_store_load_all(struct site_store *store, PGconn *conn, char *err, size_t errlen);
/* Reloads the given site ids (present: inserted or replaced; gone: removed). */
int site_store_apply_ids(struct site_store *store, PGconn *conn, const int32_t *ids, size_t n, char *err,
                         size_t errlen);

/* The current snapshot; release it when done. Never NULL (an empty one before loading). */
const struct site_snapshot *site_store_acquire(struct site_store *store);
void site_store_release(struct site_store *store, const struct site_snapshot *snap);

/* Reads the database's fingerprint (see struct site_fingerprint). */
int site_store_db_fingerprint(PGconn *conn, struct site_fingerprint *out, char *err, size_t errlen);
bool site_fingerprint_equal(const struct site_fingerprint *a, const struct site_fingerprint *b);

const struct site *site_snapshot_find(const struct site_snapshot *snap, int32_t id);
const struct field_type *site_snapshot_field_type(const struct site_snapshot *snap, int32_t id);

const char *site_status_name(enum site_status s);
int site_status_parse(const char *text); /* -1 when unknown */
const char *water_status_name(enum water_status w);

/* "YYYY-MM-DD" <-> days since 1970-01-01. */
int32_t day_from_iso(const char *text); /* DAY_NONE when not a valid date */
void day_to_iso(int32_t day, char out[11]);

#endif
