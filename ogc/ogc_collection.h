/* The collections of /ogc and what the generic items code (ogc/ogc_items.c) asks of
 * each: sites, actions, boundaries, territories, clusters (one file each).
 *
 * What a collection promises:
 * - match() gives every item the caller's scope may see that passes the DESIGN.md
 *   filters, the bbox and the datetime of the query, in a stable order (the default
 *   paging order); an item outside the scope is never a candidate, so it is as absent
 *   as a missing one, including for find() (items/{fid} answers 404).
 * - props() writes the item's properties through a prop_sink: sites and actions only
 *   through db/feature_props.h, so every output shows the same fields to the same scope.
 * - keys lists every property props() may write (justice ones flagged sensitive) for
 *   queryables, properties= and sortby=. */
#ifndef RBMAP_OGC_COLLECTION_H
#define RBMAP_OGC_COLLECTION_H
#include "db/action_store.h"
#include "db/feature_props.h"
#include "db/site_filter.h"
#include "db/site_store.h"
#include "ogc/ogc_geojson.h"
#include "ogc/ogc_query.h"
#include "server/http.h"

#include <stdbool.h>
#include <stdint.h>

struct boundary_set;
struct territory_points;
struct cql2_geometry;

struct u32list {
    uint32_t *items;
    size_t len, cap;
};
bool u32list_push(struct u32list *l, uint32_t v);
void u32list_free(struct u32list *l);

/* One request's view of the data: snapshots acquired once, the caller's scope and
 * the DESIGN.md filters. */
struct ogc_run {
    const struct request *req;
    const struct scope *scope;
    bool justice; /* sensitive fields may be shown */
    unsigned flags; /* feature_flags: owners, finances */
    const struct site_snapshot *sites;
    const struct action_snapshot *actions;
    const struct boundary_set *boundaries;
    const struct territory_points *territories;
    struct site_filter filter;
    struct ogc_query q;
    void *state; /* the collection's own (a cluster view, territory bubbles) */
};

struct ogc_extent {
    bool has_bbox;
    double minlon, minlat, maxlon, maxlat;
    bool temporal;
    int32_t tmin;     /* DAY_NONE: unknown */
    int32_t tmax;     /* DAY_NONE: open (still going) */
    bool ongoing;     /* some item has no end: tmax stays DAY_NONE */
};

/* An empty extent; the collections grow it item by item. */
void ogc_extent_init(struct ogc_extent *e, bool temporal);
void ogc_extent_add_box(struct ogc_extent *e, double minlon, double minlat, double maxlon, double maxlat);
/* An item living from start to end (DAY_NONE: unknown start, or no end yet). */
void ogc_extent_add_days(struct ogc_extent *e, int32_t start, int32_t end);

struct ogc_collection {
    const char *id, *title, *description;
    bool public_ok;     /* the public scope may read it */
    bool site_filters;  /* status, territory, field_type, date apply */
    bool zoom_param;    /* zoom= declared */
    bool zoom_required;
    bool temporal;      /* datetime filters items; otherwise accepted and ignored */
    const struct prop_key *keys;
    /* Prepares state (may fail: 503 or 400 with a message, *status set). */
    int (*open)(struct ogc_run *r, int *status, char *err, size_t errlen);
    void (*close)(struct ogc_run *r);
    int (*match)(struct ogc_run *r, struct u32list *out);
    /* The item's id as written in "id" and accepted by find. */
    void (*begin)(struct ogc_run *r, uint32_t item, struct ogc_writer *w);
    void (*geometry)(struct ogc_run *r, uint32_t item, struct ogc_writer *w);
    void (*props)(struct ogc_run *r, uint32_t item, const struct prop_sink *sink);
    int (*find)(struct ogc_run *r, const char *fid, uint32_t *item);
    void (*extent)(struct ogc_run *r, struct ogc_extent *out);
    /* Does the item's geometry meet g (lon/lat)? CQL2 S_INTERSECTS. */
    bool (*meets)(struct ogc_run *r, uint32_t item, const struct cql2_geometry *g);
};

extern const struct ogc_collection ogc_sites, ogc_actions, ogc_boundaries, ogc_territories, ogc_clusters;

/* Every collection, in listing order; NULL-terminated. */
extern const struct ogc_collection *const ogc_collections[];

/* A non-negative integer fid ("123"); -1 when the text is not one. */
long ogc_parse_int_fid(const char *fid);

/* The collection of that id the scope may read; NULL otherwise. */
const struct ogc_collection *ogc_collection_find(const char *id, const struct scope *scope);
bool ogc_collection_visible(const struct ogc_collection *c, const struct scope *scope);
/* Is key a property of the collection this run may see? */
const struct prop_key *ogc_collection_key(const struct ogc_collection *c, const struct ogc_run *r, const char *key);

#endif
