/* Action points in memory: the addresses of `eti` actions and the sites of `sur_site`
 * actions (logement and autre actions have no point of their own). Actions number in
 * the hundreds, so any change reloads them all; readers hold immutable snapshots. */
#ifndef RBMAP_DB_ACTION_STORE_H
#define RBMAP_DB_ACTION_STORE_H
#include "db/scope.h"
#include "db/site_filter.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

struct action_point {
    int32_t action_id;
    int32_t site_id;          /* sur_site: the site; 0 for an eti address */
    double lon, lat;
    int32_t started_day, ended_day; /* DAY_NONE when open-ended */
    char location_type[12];   /* eti, sur_site */
    char departement_code[4], region_code[3], city_code[6], main_city_code[6], epci_code[10];
    const char *name;
    const char *topics;       /* comma list of topic uids, e.g. "health,school" */
    const char *operators;    /* comma list of operator organisations */
    /* Finances per year as a JSON array text [{"year", "type", "amount", "real_amount"}]
     * ("" when none); sensitive: national scopes with SCOPE_FLAG_FINANCES only. */
    const char *finances;
};

struct action_snapshot {
    size_t count;
    const struct action_point *points; /* sorted by action id, then site id */
    void *impl;
};

struct action_store;

struct action_store *action_store_create(void);
void action_store_destroy(struct action_store *store);
int action_store_load_all(struct action_store *store, PGconn *conn, char *err, size_t errlen);
const struct action_snapshot *action_store_acquire(struct action_store *store);
void action_store_release(const struct action_snapshot *snap);

/* Territory and date filters apply to actions (an action is shown on day D when it
 * started on or before D and had not ended); status and field_type concern sites and
 * do not filter actions. Actions are scoped through their département, as the
 * platform does. */
bool action_point_match(const struct site_filter *f, const struct action_point *p);
bool scope_allows_action(const struct scope *scope, const struct action_point *p);

#endif
