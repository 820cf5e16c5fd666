#include "ogc/ogc_openapi.h"

#include "ogc/ogc_meta.h"
#include "tiles/layer_catalog.h"

#include <stdio.h>
#include <string.h>

static json_t *query_param(const char *name, const char *description, json_t *schema)
{
    return json_pack("{s:s,s:s,s:s,s:b,s:s,s:b,s:o}", "name", name, "in", "query", "description", description,
                     "required", 0, "style", "form", "explode", 0, "schema", schema);
}

static json_t *parameters(const struct ogc_run *r, long limit_default, long limit_max)
{
    json_t *p = json_object();
    json_object_set_new(p, "f", query_param("f", "Output format: json (GeoJSON for features) or html.",
                                            json_pack("{s:s,s:[s,s]}", "type", "string", "enum", "json", "html")));
    json_object_set_new(p, "limit",
                        query_param("limit",
                                    "Number of features per page. Values above the maximum are clamped to it "
                                    "(not an error).",
                                    json_pack("{s:s,s:i,s:I,s:I}", "type", "integer", "minimum", 1, "maximum",
                                              (json_int_t)limit_max, "default", (json_int_t)limit_default)));
    json_object_set_new(p, "offset",
                        query_param("offset", "Features to skip (vendor parameter; the next and prev links use it).",
                                    json_pack("{s:s,s:i,s:i}", "type", "integer", "minimum", 0, "default", 0)));
    json_object_set_new(p, "bbox",
                        query_param("bbox",
                                    "minx,miny,maxx,maxy (or with heights: minx,miny,minz,maxx,maxy,maxz) in "
                                    "bbox-crs, CRS84 lon,lat by default; EPSG:4326 is lat,lon.",
                                    json_pack("{s:s,s:i,s:i,s:{s:s}}", "type", "array", "minItems", 4, "maxItems", 6,
                                              "items", "type", "number")));
    json_object_set_new(p, "bbox-crs", query_param("bbox-crs", "CRS of bbox (a URI from the crs list).",
                                                   json_pack("{s:s,s:s,s:o}", "type", "string", "format", "uri",
                                                             "enum", ogc_crs_list())));
    json_object_set_new(p, "crs", query_param("crs", "CRS of the output coordinates (Content-Crs says which).",
                                              json_pack("{s:s,s:s,s:o}", "type", "string", "format", "uri", "enum",
                                                        ogc_crs_list())));
    json_object_set_new(p, "datetime",
                        query_param("datetime",
                                    "An RFC 3339 date or date-time, or an interval start/end with '..' for an open "
                                    "end. Sites: their life [declared_at (else built_at), closed_at) meets it; "
                                    "actions: [started_at, ended_at). Territories and clusters: an instant, the data "
                                    "as it stood that day. Boundaries: ignored.",
                                    json_pack("{s:s}", "type", "string")));
    json_object_set_new(p, "properties",
                        query_param("properties", "Comma list of the properties to return (see queryables).",
                                    json_pack("{s:s,s:{s:s}}", "type", "array", "items", "type", "string")));
    json_object_set_new(p, "sortby",
                        query_param("sortby", "Comma list of [+|-]property (ascending by default).",
                                    json_pack("{s:s,s:{s:s}}", "type", "array", "items", "type", "string")));
    json_object_set_new(p, "status",
                        query_param("status", "Comma list of open, closed, resorbed or raw statuses.",
                                    json_pack("{s:s}", "type", "string")));
    json_object_set_new(p, "territory",
                        query_param("territory", "Comma list of region:CODE, departement:CODE, epci:CODE, city:CODE.",
                                    json_pack("{s:s}", "type", "string")));
    json_object_set_new(p, "field_type", query_param("field_type", "Comma list of field type ids or labels.",
                                                     json_pack("{s:s}", "type", "string")));
    json_object_set_new(p, "date", query_param("date", "YYYY-MM-DD: the data as it stood that day.",
                                               json_pack("{s:s,s:s}", "type", "string", "format", "date")));
    json_object_set_new(p, "zoom",
                        query_param("zoom",
                                    "Zoom level (vendor parameter): required for clusters; for territories, the "
                                    "level shown at that zoom.",
                                    json_pack("{s:s,s:i,s:i}", "type", "integer", "minimum", 0, "maximum",
                                              TILE_LAYER_MAX_ZOOM)));
    json_object_set_new(p, "filter", query_param("filter", "A CQL2 text filter on the queryables.",
                                                 json_pack("{s:s}", "type", "string")));
    json_object_set_new(p, "filter-lang", query_param("filter-lang", "Language of filter: cql2-text.",
                                                      json_pack("{s:s,s:[s]}", "type", "string", "enum", "cql2-text")));
    json_object_set_new(p, "filter-crs", query_param("filter-crs", "CRS of the filter's geometries (CRS84 by default).",
                                                     json_pack("{s:s,s:s,s:o}", "type", "string", "format", "uri",
                                                               "enum", ogc_crs_list())));
    json_object_set_new(p, "access_token",
                        query_param("access_token",
                                    "A token, for clients that cannot send an Authorization header; carried into the "
                                    "next and prev links.",
                                    json_pack("{s:s}", "type", "string")));
    json_t *ids = json_array();
    for (size_t i = 0; ogc_collections[i]; i++)
        if (ogc_collection_visible(ogc_collections[i], r->scope))
            json_array_append_new(ids, json_string(ogc_collections[i]->id));
    json_object_set_new(p, "collectionId", json_pack("{s:s,s:s,s:s,s:b,s:{s:s,s:o}}", "name", "collectionId", "in",
                                                     "path", "description", "The collection's id.", "required", 1,
                                                     "schema", "type", "string", "enum", ids));
    json_object_set_new(p, "featureId", json_pack("{s:s,s:s,s:s,s:b,s:{s:s}}", "name", "featureId", "in", "path",
                                                  "description", "The feature's id.", "required", 1, "schema",
                                                  "type", "string"));
    return p;
}

static json_t *refs(const char *const *names)
{
    json_t *list = json_array();
    char ref[96];
    for (size_t i = 0; names[i]; i++) {
        snprintf(ref, sizeof ref, "#/components/parameters/%s", names[i]);
        json_array_append_new(list, json_pack("{s:s}", "$ref", ref));
    }
    return list;
}

static json_t *content(const char *const *types)
{
    json_t *c = json_object();
    for (size_t i = 0; types[i]; i++)
        json_object_set_new(c, types[i], json_pack("{s:{s:s}}", "schema", "type", strstr(types[i], "html") ? "string" : "object"));
    return c;
}

static json_t *operation(const char *id, const char *summary, json_t *params, const char *const *types, bool can_404)
{
    static const char *const json_types[] = {"application/json", NULL};
    json_t *responses = json_pack("{s:{s:s,s:o},s:{s:s,s:o}}", "200", "description", "success", "content",
                                  content(types), "400", "description", "bad request (the message names the parameter)",
                                  "content", content(json_types));
    if (can_404)
        json_object_set_new(responses, "404", json_pack("{s:s,s:o}", "description", "not found (or outside the scope)",
                                                        "content", content(json_types)));
    return json_pack("{s:{s:s,s:s,s:o,s:o}}", "get", "operationId", id, "summary", summary, "parameters", params,
                     "responses", responses);
}

json_t *ogc_openapi_doc(const struct ogc_run *r, const char *base, long limit_default, long limit_max)
{
    static const char *const json_html[] = {"application/json", "text/html", NULL};
    static const char *const geojson_html[] = {"application/geo+json", "text/html", NULL};
    static const char *const openapi[] = {"application/vnd.oai.openapi+json;version=3.0", "text/html", NULL};
    static const char *const schema[] = {"application/schema+json", NULL};
    json_t *paths = json_object();
    json_object_set_new(paths, "/", operation("getLandingPage", "Landing page", refs(ogc_meta_params), json_html, false));
    json_object_set_new(paths, "/conformance", operation("getConformance", "Conformance classes",
                                                         refs(ogc_meta_params), json_html, false));
    json_object_set_new(paths, "/api", operation("getAPI", "This document", refs(ogc_meta_params), openapi, false));
    json_object_set_new(paths, "/collections", operation("getCollections", "The collections", refs(ogc_meta_params),
                                                         json_html, false));
    /* The templated paths too: GDAL and QGIS read the page size (limit) from
     * /collections/{collectionId}/items. They declare what every collection accepts; the
     * explicit paths below (which take precedence) add each collection's own. */
    static const char *const common_items[] = {"f", "limit", "offset", "bbox", "bbox-crs", "crs", "datetime",
                                               "properties", "sortby", "access_token", "collectionId", NULL};
    static const char *const meta_with_id[] = {"f", "access_token", "collectionId", NULL};
    static const char *const item_with_id[] = {"f", "crs", "access_token", "collectionId", "featureId", NULL};
    json_object_set_new(paths, "/collections/{collectionId}",
                        operation("describeCollection", "Describe a collection", refs(meta_with_id), json_html, true));
    json_object_set_new(paths, "/collections/{collectionId}/items",
                        operation("getFeatures", "Features of a collection", refs(common_items), geojson_html, true));
    json_object_set_new(paths, "/collections/{collectionId}/items/{featureId}",
                        operation("getFeature", "One feature", refs(item_with_id), geojson_html, true));
    json_object_set_new(paths, "/collections/{collectionId}/queryables",
                        operation("getQueryables", "Queryable properties", refs(meta_with_id), schema, true));
    char path[256], id[128], summary[160];
    for (size_t i = 0; ogc_collections[i]; i++) {
        const struct ogc_collection *c = ogc_collections[i];
        if (!ogc_collection_visible(c, r->scope))
            continue;
        snprintf(path, sizeof path, "/collections/%s", c->id);
        snprintf(id, sizeof id, "describe_%s", c->id);
        snprintf(summary, sizeof summary, "Describe %s", c->id);
        json_object_set_new(paths, path, operation(id, summary, refs(ogc_meta_params), json_html, true));
        const char *names[32];
        snprintf(path, sizeof path, "/collections/%s/items", c->id);
        snprintf(id, sizeof id, "getFeatures_%s", c->id);
        snprintf(summary, sizeof summary, "Features of %s", c->id);
        json_object_set_new(paths, path, operation(id, summary, refs(ogc_items_params(c, names)), geojson_html, true));
        snprintf(path, sizeof path, "/collections/%s/items/{featureId}", c->id);
        snprintf(id, sizeof id, "getFeature_%s", c->id);
        snprintf(summary, sizeof summary, "One feature of %s", c->id);
        json_t *params = refs(ogc_item_params);
        json_array_append_new(params, json_pack("{s:s}", "$ref", "#/components/parameters/featureId"));
        json_object_set_new(paths, path, operation(id, summary, params, geojson_html, true));
        snprintf(path, sizeof path, "/collections/%s/queryables", c->id);
        snprintf(id, sizeof id, "getQueryables_%s", c->id);
        snprintf(summary, sizeof summary, "Queryable properties of %s", c->id);
        json_object_set_new(paths, path, operation(id, summary, refs(ogc_meta_params), schema, true));
    }
    return json_pack("{s:s,s:{s:s,s:s,s:s},s:[{s:s}],s:o,s:{s:o}}", "openapi", "3.0.3", "info", "title",
                     "rbmap OGC API Features", "version", "1.0.0", "description",
                     "Résorption-bidonvilles map data. Credentials: Authorization: Bearer <token>, HTTP Basic "
                     "(API key) or access_token=<token>.",
                     "servers", "url", base, "paths", paths, "components", "parameters",
                     parameters(r, limit_default, limit_max));
}
