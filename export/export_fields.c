#include "export/export_fields.h"

#include <stdio.h>
#include <string.h>

static const struct export_label site_labels[] = {
    {"id", "Identifiant", "id"},
    {"name", "Appellation", "nom"},
    {"status", "Statut", "statut"},
    {"resorbed", "Résorbé", "resorbe"},
    {"field_type", "Type de site", "type_site"},
    {"color", "Couleur du type de site", "couleur"},
    {"field_type_id", "Identifiant du type de site", "type_id"},
    {"population", "Nombre de personnes", "population"},
    {"water", "Accès à l'eau", "acces_eau"},
    {"built_at", "Date d'installation", "date_inst"},
    {"declared_at", "Date de signalement", "date_sign"},
    {"closed_at", "Date de fermeture", "date_ferm"},
    {"city_code", "Code INSEE", "code_insee"},
    {"city_name", "Commune", "commune"},
    {"departement", "Département", "dept"},
    {"address", "Adresse", "adresse"},
    {"owners", "Propriétaires", "proprios"},
    {"owner_complaint", "Dépôt de plainte par le propriétaire", "plainte"},
    {"justice_procedure", "Existence d'une procédure judiciaire", "procedure"},
    {"justice_rendered", "Décision de justice rendue", "decision"},
    {"justice_rendered_at", "Date de la décision de justice", "date_decis"},
    {"police_status", "Concours de la force publique", "cfp"},
    {"police_requested_at", "Date de demande du concours de la force publique", "cfp_dem"},
    {"police_granted_at", "Date d'octroi du concours de la force publique", "cfp_octroi"},
    {"bailiff", "Nom de l'étude d'huissiers", "huissier"},
    {"existing_litigation", "Contentieux", "contentieu"},
    {"evacuation_under_time_limit", "Arrêté d'évacuation sous délai", "evac_delai"},
    {"insalubrity_order", "Arrêté d'insalubrité", "insalubre"},
    {"administrative_order_evacuation_at", "Date de l'évacuation (arrêté)", "date_evac"},
    {NULL, NULL, NULL},
};

static const struct export_label action_labels[] = {
    {"action_id", "Identifiant de l'action", "action_id"},
    {"name", "Nom", "nom"},
    {"location_type", "Lieu", "lieu"},
    {"site_id", "Identifiant du site", "site_id"},
    {"topics", "Champs d'intervention", "themes"},
    {"started_at", "Date de début", "date_debut"},
    {"ended_at", "Date de fin", "date_fin"},
    {"operators", "Opérateurs", "operateurs"},
    {"departement", "Département", "dept"},
    {"finances", "Financements", "financemts"},
    {NULL, NULL, NULL},
};

static const struct prop_key boundary_keys[] = {
    {"level", 's', false, 0}, {"code", 's', false, 0}, {"name", 's', false, 0}, {NULL, 0, false, 0}};

static const struct export_label boundary_labels[] = {
    {"level", "Niveau", "niveau"}, {"code", "Code INSEE", "code"}, {"name", "Nom", "nom"}, {NULL, NULL, NULL}};

/* `sensitive` marks the per-status counts that the public scope does not get. */
static const struct prop_key territory_keys[] = {
    {"level", 's', false, 0},
    {"code", 's', false, 0},
    {"name", 's', false, 0},
    {"sites", 'i', false, 0},
    {"population", 'i', false, 0},
    {"status_open", 'i', false, 0},
    {"status_closed", 'i', false, 0},
    {"status_closed_by_justice", 'i', true, 0},
    {"status_closed_by_pref_admin", 'i', true, 0},
    {"status_closed_by_city_admin", 'i', true, 0},
    {"status_resorbed", 'i', true, 0},
    {"status_other", 'i', true, 0},
    {"status_unknown", 'i', true, 0},
    {NULL, 0, false, 0},
};

static const struct export_label territory_labels[] = {
    {"level", "Niveau", "niveau"},
    {"code", "Code INSEE", "code"},
    {"name", "Nom", "nom"},
    {"sites", "Nombre de sites", "sites"},
    {"population", "Nombre de personnes", "population"},
    {"status_open", "Sites existants", "existants"},
    {"status_closed", "Sites fermés", "fermes"},
    {"status_closed_by_justice", "Fermés par décision de justice", "f_justice"},
    {"status_closed_by_pref_admin", "Fermés par arrêté préfectoral", "f_pref"},
    {"status_closed_by_city_admin", "Fermés par arrêté municipal", "f_mairie"},
    {"status_resorbed", "Résorbés", "resorbes"},
    {"status_other", "Fermés pour une autre cause", "f_autre"},
    {"status_unknown", "Fermés pour une cause inconnue", "f_inconnu"},
    {NULL, NULL, NULL},
};

/* Coded values spelled out in spreadsheets, as the platform's screens and export say them. */
static const struct {
    const char *key, *value, *french;
} value_labels[] = {
    {"status", "open", "Existant"},
    {"status", "closed_by_justice", "Exécution d'une décision de justice"},
    {"status", "closed_by_pref_admin", "Exécution d'une décision administrative (préfecture)"},
    {"status", "closed_by_city_admin", "Exécution d'une décision administrative (mairie)"},
    {"status", "resorbed", "Résorption progressive du site"},
    {"status", "other", "Autre"},
    {"status", "unknown", "Raison inconnue"},
    {"water", "good", "Bon"},
    {"water", "toImprove", "À améliorer"},
    {"water", "bad", "Mauvais"},
    {"water", "unknown", "Inconnu"},
    {"police_status", "none", "Non demandé"},
    {"police_status", "requested", "Demandé"},
    {"police_status", "granted", "Obtenu"},
    {"location_type", "eti", "Espace temporaire d'insertion"},
    {"location_type", "logement", "Logement"},
    {"location_type", "sur_site", "Sur site"},
    {"location_type", "autre", "Autre"},
    {"level", "region", "Région"},
    {"level", "departement", "Département"},
    {"level", "epci", "EPCI"},
    {"level", "city", "Commune"},
};

const char *export_value_label(const char *key, const char *value)
{
    for (size_t i = 0; i < sizeof value_labels / sizeof value_labels[0]; i++)
        if (!strcmp(value_labels[i].key, key) && !strcmp(value_labels[i].value, value))
            return value_labels[i].french;
    return NULL;
}

const struct prop_key *export_collection_keys(enum export_collection c)
{
    switch (c) {
    case EXPORT_SITES: return site_prop_keys;
    case EXPORT_ACTIONS: return action_prop_keys;
    case EXPORT_BOUNDARIES: return boundary_keys;
    default: return territory_keys;
    }
}

const struct export_label *export_labels(enum export_collection c)
{
    switch (c) {
    case EXPORT_SITES: return site_labels;
    case EXPORT_ACTIONS: return action_labels;
    case EXPORT_BOUNDARIES: return boundary_labels;
    default: return territory_labels;
    }
}

const struct export_label *export_label_find(enum export_collection c, const char *key)
{
    for (const struct export_label *l = export_labels(c); l->key; l++)
        if (!strcmp(l->key, key))
            return l;
    return NULL;
}

const char *export_column_name(enum export_collection c, const char *key, enum export_naming naming)
{
    const struct export_label *l = naming == NAMING_KEYS ? NULL : export_label_find(c, key);
    if (!l)
        return key;
    return naming == NAMING_SHORT ? l->short_name : l->french;
}

void export_coordinate_columns(const char *crs_code, bool geographic, char *first, char *second, size_t len,
                               bool *first_is_y)
{
    if (geographic) {
        snprintf(first, len, "Latitude");
        snprintf(second, len, "Longitude");
        *first_is_y = true;
    } else {
        snprintf(first, len, "X (%s)", crs_code);
        snprintf(second, len, "Y (%s)", crs_code);
        *first_is_y = false;
    }
}
