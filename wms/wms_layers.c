#include "wms/wms_layers.h"

#include "styles/style.h"

#include <string.h>

static const struct wms_layer layers[] = {
    {"sites", "Sites (bidonvilles et squats)",
     "Sites of the Résorption-bidonvilles platform: the fill is the field type colour, the ring the water-access "
     "state, closed sites are fainter. Only sites of the caller's territories; none without credentials.",
     WMS_LAYER_SITES, -1, true, LEGEND_SITES},
    {"actions", "Actions", "Places of the platform's actions (addresses and sites). None without credentials.",
     WMS_LAYER_ACTIONS, -1, true, LEGEND_ACTIONS},
    {"clusters", "Sites regroupés", "Sites grouped by proximity at the map's scale, with their count.",
     WMS_LAYER_CLUSTERS, -1, true, LEGEND_CLUSTERS},
    {"territories", "Sites par territoire",
     "Number of sites per région, département or commune depending on the scale (public: régions and "
     "départements with at least 5 sites).",
     WMS_LAYER_TERRITORIES, -1, false, LEGEND_TERRITORIES},
    {"boundaries", "Limites administratives", "Régions, départements, EPCI and communes, each from its own scale.",
     WMS_LAYER_BOUNDARIES, -1, false, LEGEND_BOUNDARIES},
    {"boundaries_region", "Régions", "Limits of the régions at every scale.", WMS_LAYER_BOUNDARIES, BOUNDARY_REGION,
     false, LEGEND_BOUNDARIES},
    {"boundaries_departement", "Départements", "Limits of the départements at every scale.", WMS_LAYER_BOUNDARIES,
     BOUNDARY_DEPARTEMENT, false, LEGEND_BOUNDARIES},
    {"boundaries_epci", "EPCI", "Limits of the intercommunalities (EPCI) at every scale.", WMS_LAYER_BOUNDARIES,
     BOUNDARY_EPCI, false, LEGEND_BOUNDARIES},
    {"boundaries_city", "Communes", "Limits of the communes at every scale.", WMS_LAYER_BOUNDARIES,
     BOUNDARY_COMMUNE, false, LEGEND_BOUNDARIES},
};

_Static_assert(sizeof layers / sizeof layers[0] == WMS_LAYER_COUNT, "WMS_LAYER_COUNT is the table's size");

size_t wms_layer_count(void) { return WMS_LAYER_COUNT; }

const struct wms_layer *wms_layer_at(size_t i) { return i < wms_layer_count() ? &layers[i] : NULL; }

const struct wms_layer *wms_layer_lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < wms_layer_count(); i++)
        if (strlen(layers[i].name) == len && !memcmp(layers[i].name, name, len))
            return &layers[i];
    return NULL;
}
