/* GetFeatureInfo documents: HTML, GeoJSON, GML (msGMLOutput) and plain text. */
#include "wms/wms_featureinfo.h"

#include "wms/xml_write.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

/* A property value as text (strings as they are, numbers and booleans written). */
static void value_text(struct buf *out, json_t *v, bool xml)
{
    if (json_is_string(v)) {
        if (xml)
            xml_escape(out, json_string_value(v));
        else
            buf_puts(out, json_string_value(v));
    } else if (json_is_integer(v))
        buf_printf(out, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        buf_printf(out, "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        buf_puts(out, json_is_true(v) ? "true" : "false");
}

/* Property keys are ours (feature_props.h) but checked anyway before becoming tags. */
static bool xml_name(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '_')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

static void write_json(struct buf *out, const struct wms_info_layer *layers, size_t n)
{
    json_t *fc = json_pack("{s:s,s:[]}", "type", "FeatureCollection", "features");
    json_t *list = json_object_get(fc, "features");
    for (size_t k = 0; k < n; k++) {
        size_t i;
        json_t *f;
        json_array_foreach(layers[k].features, i, f) {
            json_t *lon = json_object_get(f, "lon"), *lat = json_object_get(f, "lat");
            json_t *geom = lon ? json_pack("{s:s,s:[O,O]}", "type", "Point", "coordinates", lon, lat) : json_null();
            json_array_append_new(list, json_pack("{s:s,s:O,s:s,s:o,s:O}", "type", "Feature", "id",
                                                  json_object_get(f, "id"), "layer", layers[k].name, "geometry", geom,
                                                  "properties", json_object_get(f, "properties")));
        }
    }
    char *text = json_dumps(fc, JSON_COMPACT | JSON_REAL_PRECISION(10));
    if (text)
        buf_puts(out, text);
    else
        out->overflow = true;
    free(text);
    json_decref(fc);
}

static void write_gml(struct buf *out, const struct wms_info_layer *layers, size_t n)
{
    buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<msGMLOutput xmlns:gml=\"http://www.opengis.net/gml\" "
                  "xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n");
    for (size_t k = 0; k < n; k++) {
        const char *name = layers[k].name;
        buf_printf(out, "<%s_layer>\n<gml:name>%s</gml:name>\n", name, name);
        size_t i;
        json_t *f;
        json_array_foreach(layers[k].features, i, f) {
            buf_printf(out, "<%s_feature>\n", name);
            json_t *lon = json_object_get(f, "lon"), *lat = json_object_get(f, "lat");
            if (lon) {
                double x = json_real_value(lon), y = json_real_value(lat);
                buf_printf(out, "<gml:boundedBy><gml:Box srsName=\"EPSG:4326\"><gml:coordinates>%.8f,%.8f %.8f,%.8f"
                                "</gml:coordinates></gml:Box></gml:boundedBy>\n<gml:pointProperty><gml:Point "
                                "srsName=\"EPSG:4326\"><gml:coordinates>%.8f,%.8f</gml:coordinates></gml:Point>"
                                "</gml:pointProperty>\n",
                           x, y, x, y, x, y);
            }
            const char *key;
            json_t *v;
            json_object_foreach(json_object_get(f, "properties"), key, v) {
                if (!xml_name(key))
                    continue;
                buf_printf(out, "<%s>", key);
                value_text(out, v, true);
                buf_printf(out, "</%s>\n", key);
            }
            buf_printf(out, "</%s_feature>\n", name);
        }
        buf_printf(out, "</%s_layer>\n", name);
    }
    buf_puts(out, "</msGMLOutput>\n");
}

static void write_html(struct buf *out, const struct wms_info_layer *layers, size_t n)
{
    buf_puts(out, "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>GetFeatureInfo</title>"
                  "<style>table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #ccc;padding:2px 6px;"
                  "text-align:left}</style></head><body>\n");
    for (size_t k = 0; k < n; k++) {
        size_t i;
        json_t *f;
        json_array_foreach(layers[k].features, i, f) {
            buf_puts(out, "<table class=\"feature\" data-layer=\"");
            xml_escape(out, layers[k].name);
            buf_puts(out, "\"><caption>");
            xml_escape(out, layers[k].name);
            buf_puts(out, "</caption>\n");
            const char *key;
            json_t *v;
            json_object_foreach(json_object_get(f, "properties"), key, v) {
                buf_puts(out, "<tr><th>");
                xml_escape(out, key);
                buf_puts(out, "</th><td>");
                value_text(out, v, true);
                buf_puts(out, "</td></tr>\n");
            }
            buf_puts(out, "</table>\n");
        }
    }
    buf_puts(out, "</body></html>\n");
}

static void write_text(struct buf *out, const struct wms_info_layer *layers, size_t n)
{
    buf_puts(out, "GetFeatureInfo results:\n");
    for (size_t k = 0; k < n; k++) {
        buf_printf(out, "\nLayer '%s'\n", layers[k].name);
        size_t i;
        json_t *f;
        json_array_foreach(layers[k].features, i, f) {
            buf_puts(out, "  Feature ");
            value_text(out, json_object_get(f, "id"), false);
            buf_puts(out, ":\n");
            const char *key;
            json_t *v;
            json_object_foreach(json_object_get(f, "properties"), key, v) {
                buf_printf(out, "    %s = '", key);
                value_text(out, v, false);
                buf_puts(out, "'\n");
            }
        }
    }
}

void wms_info_write(struct buf *out, enum wms_info_format format, const struct wms_info_layer *layers, size_t n)
{
    switch (format) {
    case WMS_INFO_HTML:
        write_html(out, layers, n);
        break;
    case WMS_INFO_JSON:
        write_json(out, layers, n);
        break;
    case WMS_INFO_GML:
        write_gml(out, layers, n);
        break;
    case WMS_INFO_TEXT:
        write_text(out, layers, n);
        break;
    }
}
