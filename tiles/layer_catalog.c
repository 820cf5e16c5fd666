#include "tiles/layer_catalog.h"

#include "tiles/territory_bubbles.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const struct layer_field site_fields[] = {
    {"id", FIELD_NUMBER, "site id (shantytown_id)", false},
    {"name", FIELD_STRING, "name of the site, when it has one", false},
    {"status", FIELD_STRING, "open, closed_by_justice, closed_by_pref_admin, closed_by_city_admin, resorbed, other, unknown (as of the date filter)", false},
    {"resorbed", FIELD_BOOLEAN, "closed with solutions for its inhabitants", false},
    {"field_type", FIELD_STRING, "type of land (field_types.label)", false},
    {"field_type_id", FIELD_NUMBER, "field_types.field_type_id", false},
    {"color", FIELD_STRING, "field type colour, #rrggbb", false},
    {"population", FIELD_NUMBER, "number of people, when known", false},
    {"water", FIELD_STRING, "water access: good, toImprove, bad, unknown", false},
    {"built_at", FIELD_STRING, "installation date, YYYY-MM-DD", false},
    {"declared_at", FIELD_STRING, "reporting date, YYYY-MM-DD", false},
    {"closed_at", FIELD_STRING, "closing date, YYYY-MM-DD", false},
    {"city_code", FIELD_STRING, "INSEE code of the commune (or arrondissement)", false},
    {"city_name", FIELD_STRING, "name of the commune", false},
    {"departement", FIELD_STRING, "département code", false},
    {"owner_complaint", FIELD_BOOLEAN, "the owner filed a complaint", true},
    {"justice_procedure", FIELD_BOOLEAN, "a court procedure is under way", true},
    {"justice_rendered", FIELD_BOOLEAN, "a court decision was rendered", true},
    {"justice_rendered_at", FIELD_STRING, "date of the decision", true},
    {"police_status", FIELD_STRING, "police assistance: none, requested, granted", true},
    {"police_requested_at", FIELD_STRING, "date police assistance was requested", true},
    {"police_granted_at", FIELD_STRING, "date police assistance was granted", true},
    {"bailiff", FIELD_STRING, "bailiff in charge", true},
    {"existing_litigation", FIELD_BOOLEAN, "litigation exists", true},
    {"evacuation_under_time_limit", FIELD_BOOLEAN, "evacuation order with a time limit", true},
    {"insalubrity_order", FIELD_BOOLEAN, "an insalubrity order exists", true},
    {"administrative_order_evacuation_at", FIELD_STRING, "date of the administrative evacuation", true},
};

static const struct layer_field action_fields[] = {
    {"action_id", FIELD_NUMBER, "action id", false},
    {"name", FIELD_STRING, "name of the action", false},
    {"location_type", FIELD_STRING, "eti (own address) or sur_site (on a site)", false},
    {"site_id", FIELD_NUMBER, "the site of a sur_site action", false},
    {"topics", FIELD_STRING, "comma list: health, school, work, housing, safety", false},
    {"started_at", FIELD_STRING, "start date, YYYY-MM-DD", false},
    {"ended_at", FIELD_STRING, "end date, YYYY-MM-DD", false},
    {"operators", FIELD_STRING, "operator organisations, comma separated", false},
    {"departement", FIELD_STRING, "département of the action", false},
};

static const struct layer_field boundary_fields[] = {
    {"level", FIELD_STRING, "region, departement, epci or city", false},
    {"code", FIELD_STRING, "INSEE code (SIREN for EPCI)", false},
    {"name", FIELD_STRING, "name of the territory", false},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct layer_field cluster_only_fields[] = {
    {"cluster", FIELD_BOOLEAN, "true on a cluster (absent on a single site, which has the sites layer's fields)", false},
    {"cluster_id", FIELD_NUMBER, "cluster id for /clusters/sites/{id}/...; only valid with the same filters and credentials", false},
    {"point_count", FIELD_NUMBER, "number of sites in the cluster", false},
    {"point_count_abbreviated", FIELD_STRING, "point_count as supercluster abbreviates it: a number below 1000, else 1.2k, 12k", false},
    {"population", FIELD_NUMBER, "a site's population, or a cluster's sum of known populations", false},
    {"status_open", FIELD_NUMBER, "sites of the cluster open (as of the date filter)", false},
    {"status_closed_by_justice", FIELD_NUMBER, "sites closed by justice", false},
    {"status_closed_by_pref_admin", FIELD_NUMBER, "sites closed by the prefecture", false},
    {"status_closed_by_city_admin", FIELD_NUMBER, "sites closed by the city", false},
    {"status_resorbed", FIELD_NUMBER, "sites resorbed", false},
    {"status_other", FIELD_NUMBER, "sites closed otherwise", false},
    {"status_unknown", FIELD_NUMBER, "sites of unknown status (clusters also carry field_type_<id>: sites per field type)", false},
};

static const struct layer_field territory_fields[] = {
    {"level", FIELD_STRING, "region (z0-7), departement (z8-11), city (z12-13; arrondissements count in their commune)", false},
    {"code", FIELD_STRING, "INSEE code of the territory", false},
    {"name", FIELD_STRING, "name of the territory", false},
    {"sites", FIELD_NUMBER, "sites in the territory this caller may see that match the filters (public: bubbles under 5 are omitted)", false},
    {"population", FIELD_NUMBER, "sum of the known populations of those sites", false},
    {"status_open", FIELD_NUMBER, "those sites open (as of the date filter); withheld for the public when 1-4", false},
    {"status_closed", FIELD_NUMBER, "those sites closed (as of the date filter); withheld for the public when 1-4", false},
    {"status_closed_by_justice", FIELD_NUMBER, "sites closed by justice (not for the public, nor the other status_ counts below)", false},
    {"status_closed_by_pref_admin", FIELD_NUMBER, "sites closed by the prefecture", false},
    {"status_closed_by_city_admin", FIELD_NUMBER, "sites closed by the city", false},
    {"status_resorbed", FIELD_NUMBER, "sites resorbed", false},
    {"status_other", FIELD_NUMBER, "sites closed otherwise", false},
    {"status_unknown", FIELD_NUMBER, "sites of unknown status", false},
};

/* The clusters layer's fields: an unclustered site's (the sites layer's), then a
 * cluster's; filled once, on first use, so that the site fields are written once. */
static struct layer_field cluster_fields[COUNT(site_fields) + COUNT(cluster_only_fields)];
static pthread_once_t cluster_fields_once = PTHREAD_ONCE_INIT;

static void cluster_fields_fill(void)
{
    memcpy(cluster_fields, site_fields, sizeof site_fields);
    memcpy(cluster_fields + COUNT(site_fields), cluster_only_fields, sizeof cluster_only_fields);
}

static const struct tile_layer_def layers[LAYER_COUNT] = {
    [LAYER_SITES] = {"sites", "shantytown sites (points)", 0, TILE_LAYER_MAX_ZOOM, site_fields, COUNT(site_fields), true},
    [LAYER_ACTIONS] = {"actions", "action points: eti addresses and the sites of sur_site actions", 0,
                       TILE_LAYER_MAX_ZOOM, action_fields, COUNT(action_fields), true},
    [LAYER_BOUNDARIES] = {"boundaries", "région (z0+), département (z4+), EPCI (z7+) and commune (z9+) polygons", 0,
                          TILE_LAYER_MAX_ZOOM, boundary_fields, COUNT(boundary_fields), false},
    [LAYER_CLUSTERS] = {"clusters", "sites clustered as supercluster does (by default radius 40/512 of a tile, up to z16; cluster_* settings), filters and scope applied first",
                        0, TILE_LAYER_MAX_ZOOM, cluster_fields, COUNT(cluster_fields), true},
    [LAYER_TERRITORIES] = {"territories", "the platform's bubbles: sites per région (z0-7), département (z8-11), commune (z12-13) at its reference point; the public sees région and département counts of 5 or more",
                           0, TERRITORY_CITY_MAXZOOM, territory_fields, COUNT(territory_fields), false},
};

const struct tile_layer_def *tile_layer_def(enum tile_layer_id id)
{
    pthread_once(&cluster_fields_once, cluster_fields_fill);
    return &layers[id];
}

int tile_layer_lookup(const char *name, size_t len)
{
    for (int i = 0; i < LAYER_COUNT; i++)
        if (strlen(layers[i].name) == len && !memcmp(layers[i].name, name, len))
            return i;
    return -1;
}

const char *field_kind_name(enum field_kind kind)
{
    return kind == FIELD_NUMBER ? "Number" : kind == FIELD_BOOLEAN ? "Boolean" : "String";
}

int tile_layers_parse(const char *text, size_t len, unsigned *mask, char *err, size_t errlen)
{
    *mask = 0;
    size_t start = 0;
    while (start <= len) {
        size_t end = start;
        while (end < len && text[end] != ',')
            end++;
        int id = tile_layer_lookup(text + start, end - start);
        if (id < 0) {
            snprintf(err, errlen, "unknown layer '%.*s' (sites, actions, boundaries, clusters, territories)",
                     (int)(end - start > 40 ? 40 : end - start), text + start);
            return -1;
        }
        *mask |= 1u << id;
        start = end + 1;
    }
    return 0;
}
