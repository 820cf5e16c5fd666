#include "ogc/ogc_meta.h"

#include <stdio.h>
#include <string.h>

#define CONF_PART1 "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
#define CONF_PART2 "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/"
#define CONF_PART3 "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
#define CONF_CQL2 "http://www.opengis.net/spec/cql2/1.0/conf/"

const char *const ogc_meta_params[] = {"f", "access_token", NULL};
const char *const ogc_item_params[] = {"f", "crs", "access_token", NULL};

const char *const *ogc_items_params(const struct ogc_collection *c, const char *out[32])
{
    static const char *const common[] = {"f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime",
                                         "properties", "sortby", "access_token", NULL};
    static const char *const filters[] = {"status", "territory", "field_type", "date", NULL};
    static const char *const cql2[] = {"filter", "filter-lang", "filter-crs", NULL};
    size_t n = 0;
    for (size_t i = 0; common[i]; i++)
        out[n++] = common[i];
    for (size_t i = 0; c->site_filters && filters[i]; i++)
        out[n++] = filters[i];
    if (c->zoom_param)
        out[n++] = "zoom";
    for (size_t i = 0; ogc_filter_enabled() && cql2[i]; i++)
        out[n++] = cql2[i];
    out[n] = NULL;
    return out;
}

static json_t *link(const char *href, const char *rel, const char *type, const char *title)
{
    return json_pack("{s:s,s:s,s:s,s:s}", "href", href, "rel", rel, "type", type, "title", title);
}

static json_t *linkf(const char *rel, const char *type, const char *title, const char *fmt, const char *base,
                     const char *id)
{
    char href[1024];
    snprintf(href, sizeof href, fmt, base, id ? id : "");
    return link(href, rel, type, title);
}

json_t *ogc_landing_doc(const char *base)
{
    json_t *links = json_array();
    json_array_append_new(links, linkf("self", "application/json", "this document", "%s%s", base, NULL));
    json_array_append_new(links, linkf("alternate", "text/html", "this document as HTML", "%s?f=html%s", base, NULL));
    json_array_append_new(links, linkf("service-desc", "application/vnd.oai.openapi+json;version=3.0",
                                       "the API definition (OpenAPI 3.0)", "%s/api%s", base, NULL));
    json_array_append_new(links, linkf("service-doc", "text/html", "the API documentation", "%s/api?f=html%s", base,
                                       NULL));
    json_array_append_new(links, linkf("conformance", "application/json", "conformance classes",
                                       "%s/conformance%s", base, NULL));
    json_array_append_new(links, linkf("data", "application/json", "the collections", "%s/collections%s", base,
                                       NULL));
    return json_pack("{s:s,s:s,s:o}", "title", "rbmap: Résorption-bidonvilles map data", "description",
                     "Sites, actions, clusters, territory aggregates and boundaries as OGC API Features "
                     "(GeoJSON). Credentials (a token or an API key) decide what is visible.",
                     "links", links);
}

json_t *ogc_conformance_doc(void)
{
    json_t *list = json_array();
    static const char *const classes[] = {CONF_PART1 "core", CONF_PART1 "oas30", CONF_PART1 "geojson",
                                          CONF_PART1 "html", CONF_PART2 "crs", NULL};
    for (size_t i = 0; classes[i]; i++)
        json_array_append_new(list, json_string(classes[i]));
    if (ogc_filter_enabled()) {
        static const char *const filter[] = {CONF_PART3 "queryables",
                                             CONF_PART3 "filter", CONF_PART3 "features-filter",
                                             CONF_CQL2 "basic-cql2", CONF_CQL2 "cql2-text",
                                             CONF_CQL2 "advanced-comparison-operators",
                                             CONF_CQL2 "basic-spatial-functions",
                                             CONF_CQL2 "basic-spatial-functions-plus", NULL};
        for (size_t i = 0; filter[i]; i++)
            json_array_append_new(list, json_string(filter[i]));
    }
    return json_pack("{s:o}", "conformsTo", list);
}

json_t *ogc_crs_list(void)
{
    json_t *list = json_array();
    char uri[96];
    ogc_crs_uri(NULL, uri, sizeof uri);
    json_array_append_new(list, json_string(uri));
    for (size_t i = 0; crs_at(i); i++)
        if (crs_at(i)->epsg) {
            ogc_crs_uri(crs_at(i), uri, sizeof uri);
            json_array_append_new(list, json_string(uri));
        }
    return list;
}

static json_t *iso_day(int32_t day)
{
    if (day == DAY_NONE)
        return json_null();
    char date[11], text[32];
    day_to_iso(day, date);
    snprintf(text, sizeof text, "%sT00:00:00Z", date);
    return json_string(text);
}

json_t *ogc_collection_doc(struct ogc_run *r, const struct ogc_collection *c, const char *base)
{
    json_t *links = json_array();
    json_array_append_new(links, linkf("self", "application/json", "this collection", "%s/collections/%s", base, c->id));
    json_array_append_new(links, linkf("alternate", "text/html", "this collection as HTML",
                                       "%s/collections/%s?f=html", base, c->id));
    json_array_append_new(links, linkf("items", "application/geo+json", "the features",
                                       "%s/collections/%s/items", base, c->id));
    json_array_append_new(links, linkf("items", "text/html", "the features as HTML",
                                       "%s/collections/%s/items?f=html", base, c->id));
    json_array_append_new(links, linkf("http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json",
                                       "the queryable properties", "%s/collections/%s/queryables", base, c->id));
    char crs84[96];
    ogc_crs_uri(NULL, crs84, sizeof crs84);
    json_t *doc = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:s}", "id", c->id, "title", c->title, "description",
                            c->description, "itemType", "feature", "links", links, "crs", ogc_crs_list(),
                            "storageCrs", crs84);
    struct ogc_extent e;
    int status = 0;
    char err[200];
    bool opened = !c->open || c->zoom_required || c->open(r, &status, err, sizeof err) == 0;
    if (opened) {
        c->extent(r, &e);
        if (c->close)
            c->close(r);
        json_t *extent = json_object();
        if (e.has_bbox)
            json_object_set_new(extent, "spatial",
                                json_pack("{s:[[f,f,f,f]],s:s}", "bbox", e.minlon, e.minlat, e.maxlon, e.maxlat,
                                          "crs", crs84));
        if (e.temporal && e.tmin != DAY_NONE)
            json_object_set_new(extent, "temporal",
                                json_pack("{s:[[o,o]],s:s}", "interval", iso_day(e.tmin), iso_day(e.tmax), "trs",
                                          "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"));
        json_object_set_new(doc, "extent", extent);
    }
    return doc;
}

json_t *ogc_collections_doc(struct ogc_run *r, const char *base)
{
    json_t *list = json_array();
    for (size_t i = 0; ogc_collections[i]; i++)
        if (ogc_collection_visible(ogc_collections[i], r->scope))
            json_array_append_new(list, ogc_collection_doc(r, ogc_collections[i], base));
    json_t *links = json_array();
    json_array_append_new(links, linkf("self", "application/json", "the collections", "%s/collections%s", base, NULL));
    json_array_append_new(links, linkf("alternate", "text/html", "the collections as HTML",
                                       "%s/collections?f=html%s", base, NULL));
    return json_pack("{s:o,s:o,s:o}", "links", links, "collections", list, "crs", ogc_crs_list());
}

json_t *ogc_queryables_doc(const struct ogc_run *r, const struct ogc_collection *c, const char *base)
{
    json_t *props = json_object();
    json_object_set_new(props, "geometry",
                        json_pack("{s:s,s:s}", "$ref", "https://geojson.org/schema/Geometry.json", "title",
                                  "the feature's geometry"));
    for (const struct prop_key *k = c->keys; k->name; k++) {
        if (!prop_key_granted(k, r->justice, r->flags))
            continue;
        json_t *p;
        switch (k->kind) {
        case 'i': p = json_pack("{s:s}", "type", "integer"); break;
        case 'b': p = json_pack("{s:s}", "type", "boolean"); break;
        case 'd': p = json_pack("{s:s,s:s}", "type", "string", "format", "date"); break;
        default: p = json_pack("{s:s}", "type", "string");
        }
        json_object_set_new(props, k->name, p);
    }
    char id[1024];
    snprintf(id, sizeof id, "%s/collections/%s/queryables", base, c->id);
    return json_pack("{s:s,s:s,s:s,s:s,s:o,s:b}", "$schema", "https://json-schema.org/draft/2019-09/schema", "$id", id,
                     "type", "object", "title", c->title, "properties", props, "additionalProperties", 0);
}
