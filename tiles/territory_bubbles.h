/* The `territories` tile layer: the platform's own territory bubbles (CartoNationale:
 * one bubble per région up to z7, per département z8-z11, per commune z12-z13), each at
 * the territory's reference point (regions/departements/cities latitude, longitude).
 *
 * What this module promises:
 * - Filters and scope apply before counting: a bubble counts exactly the sites this
 *   caller may see that match the filters (site_filter_match, scope_allows_site); a
 *   territory with no such site has no bubble. A commune's arrondissements count in the
 *   commune (main_city_code).
 * - Properties: `level` (region, departement, city), `code`, `name`, `sites`,
 *   `population` (sum of known populations), `status_open`, `status_closed` (as of the
 *   date filter); non-public scopes also get `status_<raw status>` for every status.
 * - The public scope (no credential) counts every site, but sees only région and
 *   département bubbles (at z12-z13 it keeps the département bubbles), and a bubble of
 *   fewer than public_min_count sites is omitted, not labelled "<5": a bubble that says
 *   "fewer than 5" still tells that a family lives in that territory. Its open/closed
 *   split is withheld when either part is between 1 and public_min_count - 1 (both go,
 *   since sites - open = closed). A public request filtered on a commune or an EPCI
 *   (territory=city:…, epci:…) gets no bubble: it would be that commune's count.
 * - A public status filter is answered from the unfiltered aggregate: only `open`,
 *   `closed` (every closing status) or both are answered, a bubble appears under
 *   `open` or `closed` only where its split is shown, its `sites` is that part, and it
 *   has no `population` (none per status is kept): otherwise a bubble's total minus its
 *   filtered count would be a withheld part of 1-4 sites. A public région or département
 *   filter likewise selects bubbles of the unfiltered aggregate (the région's own bubble
 *   only for territory=region:…) instead of recounting.
 * - Aggregates are computed once per (snapshot version, filters, counting scope) over
 *   all sites and kept in a small LRU (TERRITORY_CACHE_ENTRIES); the public and national
 *   scopes share one (same sites counted, suppression happens when encoding). Thread-safe.
 * - A tile depends on sites anywhere in its territories: callers that cache tiles must
 *   evict every territories tile when any site changes. */
#ifndef RBMAP_TILES_TERRITORY_BUBBLES_H
#define RBMAP_TILES_TERRITORY_BUBBLES_H
#include "tiles/mvt.h"
#include "tiles/render.h"

#include <libpq-fe.h>

/* The zooms of each level (the platform's {7:'regions', 11:'departements', 13:'cities'}). */
#define TERRITORY_REGION_MAXZOOM 7
#define TERRITORY_DEPARTEMENT_MAXZOOM 11
#define TERRITORY_CITY_MAXZOOM 13

/* Smallest count the public scope may see (issue 8): the configuration's public_min_count,
 * which the server sets at start and on SIGHUP; every output reads it through this
 * module (tiles, OGC territories, WMS, exports). Values below 1 are refused. */
#define TERRITORY_PUBLIC_MIN_COUNT_DEFAULT 5
void territory_public_min_count_set(int n);
int territory_public_min_count(void);

#define TERRITORY_CACHE_ENTRIES 8

/* Bubbles are drawn as circles up to 45 px wide (marqueurLocationDefault.js): a bubble is
 * written in every tile within 64 px (of a 512 px tile) so it is never cut at tile edges. */
#define TERRITORY_BUBBLE_BUFFER 512

enum territory_bubble_level { BUBBLE_REGION, BUBBLE_DEPARTEMENT, BUBBLE_CITY, BUBBLE_LEVELS };

struct territory_points;

/* Reads every région, département and commune (not arrondissements) with its name and
 * reference point. NULL with a message on failure. Immutable once loaded. */
struct territory_points *territory_points_load(PGconn *conn, char *err, size_t errlen);
void territory_points_free(struct territory_points *tp);
size_t territory_points_count(const struct territory_points *tp);

/* The level shown at zoom z for this scope; -1 when the layer shows nothing there. */
int territory_bubble_level(int z, const struct scope *scope);

/* Adds the `territories` layer to tile (when a bubble reaches it); *features gets the
 * number written. Nothing while the points are not loaded (src->territories NULL).
 * 0, or -1 when memory ran out. */
int territory_layer_render(const struct tile_request *rq, const struct tile_sources *src, struct mvt_tile *tile,
                           size_t *features);

/* One bubble as the tiles show it, for outputs other than tiles (OGC API Features). */
struct territory_bubble {
    int level;              /* enum territory_bubble_level */
    const char *level_name; /* "region", "departement", "city" */
    const char *code, *name;
    double lon, lat;        /* the territory's reference point */
    uint32_t sites;
    int64_t population;
    bool population_shown;  /* false for a public answer under a status filter */
    bool split_shown;       /* status_open/status_closed may be given (public suppression) */
    uint32_t open, closed;
    const uint32_t *status; /* per enum site_status; NULL for the public scope */
};

/* Calls visit for every bubble of `level` this scope may see with these filters, with
 * the same counting and public suppression as the tile layer, in code order, until
 * visit returns false. The public scope gets nothing at BUBBLE_CITY. 0, or -1 when
 * memory ran out. */
int territory_bubbles_visit(const struct site_snapshot *snap, const struct territory_points *tp,
                            const struct site_filter *f, const struct scope *scope, int level,
                            bool (*visit)(const struct territory_bubble *b, void *arg), void *arg);

/* Drops every cached aggregate (tests). */
void territory_cache_clear(void);

#endif
