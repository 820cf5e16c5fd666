#include "wms/wms_capabilities.h"

#include "styles/legend.h"
#include "wms/xml_write.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define EDGE_STEPS 32

void wms_crs_name(const struct crs_info *crs, char *out, size_t outlen)
{
    if (crs->epsg)
        snprintf(out, outlen, "EPSG:%d", crs->epsg);
    else
        snprintf(out, outlen, "CRS:84");
}

bool wms_crs_advertised(const struct crs_info *crs, enum wms_version v)
{
    return crs->epsg || v == WMS_1_3_0;
}

/* A layer's extent within the CRS's area of use, in the CRS (x east, y north).
 * False when they do not meet. */
static bool crs_box(const struct crs_info *crs, const struct wms_extent *ext, double box[4])
{
    double w, s, e, n;
    crs_area_of_use(crs, &w, &s, &e, &n);
    w = fmax(w, ext->west);
    s = fmax(s, ext->south);
    e = fmin(e, ext->east);
    n = fmin(n, ext->north);
    if (!(w < e && s < n))
        return false;
    double x[4 * EDGE_STEPS], y[4 * EDGE_STEPS];
    for (int i = 0; i < EDGE_STEPS; i++) {
        double t = (double)i / EDGE_STEPS;
        x[i] = w + (e - w) * t, y[i] = s;
        x[EDGE_STEPS + i] = e, y[EDGE_STEPS + i] = s + (n - s) * t;
        x[2 * EDGE_STEPS + i] = e - (e - w) * t, y[2 * EDGE_STEPS + i] = n;
        x[3 * EDGE_STEPS + i] = w, y[3 * EDGE_STEPS + i] = n - (n - s) * t;
    }
    if (reproject_points_flags(crs_at(0), crs, x, y, 4 * EDGE_STEPS, REPROJECT_NO_AREA_CHECK, NULL, NULL, 0) !=
        REPROJECT_OK)
        return false;
    box[0] = box[1] = INFINITY;
    box[2] = box[3] = -INFINITY;
    for (int i = 0; i < 4 * EDGE_STEPS; i++) {
        box[0] = fmin(box[0], x[i]);
        box[1] = fmin(box[1], y[i]);
        box[2] = fmax(box[2], x[i]);
        box[3] = fmax(box[3], y[i]);
    }
    return box[0] < box[2] && box[1] < box[3];
}

static void online_resource(struct buf *b, const char *base, const char *suffix)
{
    buf_puts(b, "<OnlineResource xmlns:xlink=\"http://www.w3.org/1999/xlink\" xlink:type=\"simple\" xlink:href=\"");
    xml_escape(b, base);
    xml_escape(b, suffix);
    buf_puts(b, "\"/>");
}

static void element(struct buf *b, const char *name, const char *text)
{
    buf_printf(b, "<%s>", name);
    xml_escape(b, text);
    buf_printf(b, "</%s>", name);
}

static void dcp(struct buf *b, const char *base)
{
    buf_puts(b, "<DCPType><HTTP><Get>");
    online_resource(b, base, "/wms?");
    buf_puts(b, "</Get></HTTP></DCPType>");
}

static void operation(struct buf *b, const char *name, const char *const *formats, size_t n, const char *base)
{
    buf_printf(b, "<%s>", name);
    for (size_t i = 0; i < n; i++)
        element(b, "Format", formats[i]);
    dcp(b, base);
    buf_printf(b, "</%s>\n", name);
}

static void service(struct buf *b, const struct wms_capabilities_input *in)
{
    bool v13 = in->version == WMS_1_3_0;
    buf_puts(b, "<Service>");
    element(b, "Name", v13 ? "WMS" : "OGC:WMS");
    element(b, "Title", "Résorption-bidonvilles: sites, actions, territoires");
    element(b, "Abstract", "Shantytowns and squats followed by the Résorption-bidonvilles platform (France), their "
                           "actions, aggregates per territory and administrative boundaries. Site positions need "
                           "credentials (HTTP Basic API key or access_token=).");
    buf_puts(b, "<KeywordList>");
    static const char *const keywords[] = {"bidonvilles", "squats", "résorption", "France", "WMS"};
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        element(b, "Keyword", keywords[i]);
    buf_puts(b, "</KeywordList>");
    online_resource(b, in->base_url, "/wms");
    buf_puts(b, "<ContactInformation><ContactPersonPrimary><ContactPerson>Équipe Résorption-bidonvilles</ContactPerson>"
                "<ContactOrganization>DIHAL</ContactOrganization></ContactPersonPrimary>"
                "<ContactElectronicMailAddress>contact@resorption-bidonvilles.beta.gouv.fr</ContactElectronicMailAddress>"
                "</ContactInformation>");
    element(b, "Fees", "none");
    element(b, "AccessConstraints", "Site data restricted to authorised users and their territories.");
    if (v13)
        buf_printf(b, "<LayerLimit>%d</LayerLimit><MaxWidth>%d</MaxWidth><MaxHeight>%d</MaxHeight>", WMS_MAX_LAYERS,
                   in->max_width, in->max_height);
    buf_puts(b, "</Service>\n");
}

static void request_section(struct buf *b, const struct wms_capabilities_input *in)
{
    bool v13 = in->version == WMS_1_3_0;
    const char *caps = v13 ? "text/xml" : "application/vnd.ogc.wms_xml";
    buf_puts(b, "<Capability><Request>\n");
    operation(b, "GetCapabilities", &caps, 1, in->base_url);
    operation(b, "GetMap", wms_map_formats, 2, in->base_url);
    operation(b, "GetFeatureInfo", wms_info_formats, 4, in->base_url);
    const char *png = "image/png";
    operation(b, v13 ? "sld:GetLegendGraphic" : "GetLegendGraphic", &png, 1, in->base_url);
    buf_puts(b, "</Request>\n<Exception>");
    if (v13)
        buf_puts(b, "<Format>XML</Format><Format>INIMAGE</Format><Format>BLANK</Format>");
    else
        buf_puts(b, "<Format>application/vnd.ogc.se_xml</Format><Format>application/vnd.ogc.se_inimage</Format>"
                    "<Format>application/vnd.ogc.se_blank</Format>");
    buf_puts(b, "</Exception>\n");
}

/* CRS list, geographic box and a BoundingBox per CRS. */
static void extents(struct buf *b, enum wms_version v, const struct wms_extent *data)
{
    /* Written with 4 decimals, rounded outwards so the box still holds every point. */
    const struct wms_extent rounded = {floor(data->west * 1e4) / 1e4, floor(data->south * 1e4) / 1e4,
                                       ceil(data->east * 1e4) / 1e4, ceil(data->north * 1e4) / 1e4};
    const struct wms_extent *ext = &rounded;
    bool v13 = v == WMS_1_3_0;
    char name[32];
    for (size_t i = 0; i < crs_count(); i++) {
        const struct crs_info *crs = crs_at(i);
        if (!wms_crs_advertised(crs, v))
            continue;
        wms_crs_name(crs, name, sizeof name);
        element(b, v13 ? "CRS" : "SRS", name);
    }
    if (v13)
        buf_printf(b, "<EX_GeographicBoundingBox><westBoundLongitude>%.4f</westBoundLongitude>"
                      "<eastBoundLongitude>%.4f</eastBoundLongitude><southBoundLatitude>%.4f</southBoundLatitude>"
                      "<northBoundLatitude>%.4f</northBoundLatitude></EX_GeographicBoundingBox>",
                   ext->west, ext->east, ext->south, ext->north);
    else
        buf_printf(b, "<LatLonBoundingBox minx=\"%.4f\" miny=\"%.4f\" maxx=\"%.4f\" maxy=\"%.4f\"/>", ext->west,
                   ext->south, ext->east, ext->north);
    for (size_t i = 0; i < crs_count(); i++) {
        const struct crs_info *crs = crs_at(i);
        double box[4];
        if (!wms_crs_advertised(crs, v) || !crs_box(crs, ext, box))
            continue;
        wms_crs_name(crs, name, sizeof name);
        bool swap = v13 && crs->geographic && crs->epsg == 4326;
        int digits = crs->geographic ? 6 : 2;
        buf_printf(b, "<BoundingBox %s=\"%s\" minx=\"%.*f\" miny=\"%.*f\" maxx=\"%.*f\" maxy=\"%.*f\"/>",
                   v13 ? "CRS" : "SRS", name, digits, box[swap ? 1 : 0], digits, box[swap ? 0 : 1], digits,
                   box[swap ? 3 : 2], digits, box[swap ? 2 : 3]);
    }
}

static void styles(struct buf *b, const struct wms_capabilities_input *in, const struct wms_layer *l)
{
    for (size_t s = 0; s < style_count(); s++) {
        const struct style_def *st = style_at(s);
        struct legend_input li = {st, l->legend, in->types, in->n_types};
        int w, h;
        legend_size(&li, &w, &h);
        buf_puts(b, "<Style>");
        element(b, "Name", st->name);
        element(b, "Title", st->title);
        buf_printf(b, "<LegendURL width=\"%d\" height=\"%d\"><Format>image/png</Format>", w, h);
        char suffix[256];
        snprintf(suffix, sizeof suffix,
                 "/wms?SERVICE=WMS&VERSION=%s&REQUEST=GetLegendGraphic&FORMAT=image/png&LAYER=%s&STYLE=%s%s",
                 in->version == WMS_1_3_0 ? "1.3.0" : "1.1.1", l->name, st->name,
                 in->version == WMS_1_3_0 ? "&SLD_VERSION=1.1.0" : "");
        online_resource(b, in->base_url, suffix);
        buf_puts(b, "</LegendURL></Style>");
    }
}

void wms_capabilities_write(struct buf *b, const struct wms_capabilities_input *in)
{
    bool v13 = in->version == WMS_1_3_0;
    buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (v13)
        buf_printf(b, "<WMS_Capabilities version=\"1.3.0\" updateSequence=\"%llu\" xmlns=\"http://www.opengis.net/wms\" "
                      "xmlns:sld=\"http://www.opengis.net/sld\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
                      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"http://www.opengis.net/wms "
                      "http://schemas.opengis.net/wms/1.3.0/capabilities_1_3_0.xsd http://www.opengis.net/sld "
                      "http://schemas.opengis.net/sld/1.1.0/sld_capabilities.xsd\">\n",
                   in->update_sequence);
    else
        buf_printf(b, "<!DOCTYPE WMT_MS_Capabilities SYSTEM "
                      "\"http://schemas.opengis.net/wms/1.1.1/WMS_MS_Capabilities.dtd\">\n"
                      "<WMT_MS_Capabilities version=\"1.1.1\" updateSequence=\"%llu\">\n",
                   in->update_sequence);
    service(b, in);
    request_section(b, in);
    buf_puts(b, "<Layer>");
    element(b, "Title", "Résorption-bidonvilles");
    element(b, "Abstract", "Every layer of the platform's map.");
    struct wms_extent all = in->extents[0];
    for (size_t i = 1; i < wms_layer_count(); i++)
        wms_extent_union(&all, &in->extents[i]);
    extents(b, in->version, &all);
    buf_puts(b, "\n");
    for (size_t i = 0; i < wms_layer_count(); i++) {
        const struct wms_layer *l = wms_layer_at(i);
        buf_puts(b, "<Layer queryable=\"1\" opaque=\"0\">");
        element(b, "Name", l->name);
        element(b, "Title", l->title);
        element(b, "Abstract", l->abstract);
        buf_puts(b, "<KeywordList>");
        element(b, "Keyword", l->name);
        buf_puts(b, "</KeywordList>");
        extents(b, in->version, &in->extents[i]);
        styles(b, in, l);
        buf_puts(b, "</Layer>\n");
    }
    buf_puts(b, "</Layer>\n</Capability>\n");
    buf_puts(b, v13 ? "</WMS_Capabilities>\n" : "</WMT_MS_Capabilities>\n");
}
