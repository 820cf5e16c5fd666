#include "db/demo_words.h"

#include <stdio.h>
#include <string.h>

static const char *const FIRST_NAMES[] = {
    "Marie", "Jean", "Sophie", "Karim", "Fatou", "Nicolas", "Camille", "Léa", "Thomas", "Julie",
    "Mehdi", "Ioana", "Andrei", "Claire", "Lucas", "Amina", "Hugo", "Chloé", "Yannick", "Nadia",
    "Élodie", "Mathieu", "Sarah", "Olivier", "Inès", "Romain", "Aïcha", "Pierre", "Lucie", "Samir",
    "Florin", "Manon", "Julien", "Héloïse", "Moussa", "Anne", "Bastien", "Zoé", "Mihaela", "Cédric",
};

static const char *const LAST_NAMES[] = {
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
    "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Diallo",
    "Benali", "Popescu", "Nguyen", "Traoré", "Lemoine", "Chevalier", "Gauthier", "Perrin", "Faure", "Rolland",
};

const char *demo_first_name(struct demo_rng *r) { return DEMO_PICK_STR(r, FIRST_NAMES); }
const char *demo_last_name(struct demo_rng *r) { return DEMO_PICK_STR(r, LAST_NAMES); }

void demo_of(const char *prefix, const char *name, char *out, size_t outlen)
{
    static const char *const VOWELS_UTF8[] = {"\xc3\x89", "\xc3\x88", "\xc3\x8a", "\xc3\x8e", "\xc3\x94"};
    if (!strncmp(name, "Le ", 3)) {
        snprintf(out, outlen, "%s du %s", prefix, name + 3);
        return;
    }
    if (!strncmp(name, "Les ", 4)) {
        snprintf(out, outlen, "%s des %s", prefix, name + 4);
        return;
    }
    int vowel = name[0] && strchr("AEIOUYaeiouy", name[0]) != NULL;
    for (size_t i = 0; i < DEMO_ARRAY_LEN(VOWELS_UTF8); i++)
        vowel |= !strncmp(name, VOWELS_UTF8[i], 2);
    snprintf(out, outlen, vowel ? "%s d'%s" : "%s de %s", prefix, name);
}

static const char *const PLACES[] = {
    "du Canal", "de la Gare", "des Poissonniers", "du Pont Noir", "des Glaises", "de la Briqueterie",
    "du Moulin", "des Acacias", "de l'Échangeur", "du Stade", "des Maraîchers", "de la Voie Ferrée",
    "du Chemin Vert", "des Rives", "de la Friche", "du Bois Sec", "des Tilleuls", "de la Zone Nord",
    "de la Sablière", "du Petit Marais", "des Jardins", "de l'Ancienne Usine", "du Dépôt",
    "de la Croix Blanche", "des Cheminots", "du Quai", "des Lilas", "de la Carrière", "du Fort",
    "des Peupliers", "de la Rocade", "du Port", "des Hauts Prés", "de la Digue",
};
static const char *const SITE_KINDS[] = {"Campement", "Terrain", "Bidonville", "Platz", "Camp", "Site"};
static const char *const BUILDING_KINDS[] = {"Squat", "Immeuble", "Ancien hôtel", "Entrepôt", "Bâtiment"};

/* Cuts at a character boundary so that the limit holds in characters, as varchar(35)
 * counts them. */
static void truncate_chars(char *s, size_t max_chars)
{
    size_t chars = 0;
    for (char *p = s; *p; p++) {
        if (((unsigned char)*p & 0xC0) != 0x80 && chars++ == max_chars) {
            *p = '\0';
            return;
        }
    }
}

void demo_site_name(struct demo_rng *r, int building, char *out, size_t outlen)
{
    const char *kind = building ? DEMO_PICK_STR(r, BUILDING_KINDS) : DEMO_PICK_STR(r, SITE_KINDS);
    const char *place = DEMO_PICK_STR(r, PLACES);
    if (demo_chance(r, 0.15))
        snprintf(out, outlen, "%s %s %d", kind, place, demo_range(r, 1, 4));
    else
        snprintf(out, outlen, "%s %s", kind, place);
    truncate_chars(out, 35);
}

static const char *const STREET_TYPES[] = {"Rue", "Rue", "Rue", "Avenue", "Chemin", "Boulevard", "Allée",
                                           "Impasse", "Route", "Quai"};
static const char *const STREET_NAMES[] = {
    "des Lilas", "Jean Jaurès", "Victor Hugo", "de la République", "Gabriel Péri", "Paul Vaillant-Couturier",
    "du Général de Gaulle", "Pasteur", "Jules Ferry", "de Paris", "des Écoles", "du Moulin", "de la Gare",
    "Émile Zola", "Anatole France", "Louise Michel", "Jean Moulin", "du Stade", "des Prés", "de Verdun",
    "Marcel Cachin", "Henri Barbusse", "Danielle Casanova", "des Acacias", "du Canal", "de l'Industrie",
    "des Vignes", "de la Liberté", "Salvador Allende", "Pierre Sémard", "des Carrières", "du Port",
};

void demo_address(struct demo_rng *r, const char *insee, const char *dept, const char *commune, int with_number,
                  char *out, size_t outlen)
{
    /* A made-up but well-formed postcode: département prefix (20 for Corsica, three
     * digits overseas) and a round number drawn from the INSEE code. */
    char postcode[8];
    unsigned suffix = 0;
    for (const char *p = insee; *p; p++)
        suffix = suffix * 31u + (unsigned char)*p;
    if (strlen(dept) == 3)
        snprintf(postcode, sizeof postcode, "%s%02u", dept, (suffix % 9 + 1) * 10 % 100);
    else if (dept[0] == '2' && (dept[1] == 'A' || dept[1] == 'B'))
        snprintf(postcode, sizeof postcode, "20%03u", (suffix % 90 + 10) * 10 % 1000);
    else
        snprintf(postcode, sizeof postcode, "%.2s%03u", dept, (suffix % 90 + 10) * 10 % 1000);
    const char *type = DEMO_PICK_STR(r, STREET_TYPES);
    const char *name = DEMO_PICK_STR(r, STREET_NAMES);
    if (with_number)
        snprintf(out, outlen, "%d %s %s %s %s", demo_range(r, 1, 180), type, name, postcode, commune);
    else
        snprintf(out, outlen, "%s %s %s %s", type, name, postcode, commune);
}

static const char *const ACCESS_DETAILS[] = {
    "Accès par le chemin de halage",
    "Derrière la station-service, après le rond-point",
    "Entrée par le portail vert,\nà côté du terrain de sport",
    "Sous le pont de l'autoroute",
    "Au bout de l'impasse, après le parking",
    "Terrain en contrebas de la voie ferrée ; accès piéton uniquement",
    "Parcelle le long du canal\nPas d'accès véhicule les jours de marché",
    "Entre l'entrepôt et la déchetterie",
};
const char *demo_access_details(struct demo_rng *r) { return DEMO_PICK_STR(r, ACCESS_DETAILS); }

const char *demo_closing_context(struct demo_rng *r, const char *status)
{
    static const char *const JUSTICE[] = {
        "Expulsion après décision de justice, concours de la force publique accordé.",
        "Évacuation à l'expiration du délai accordé par le juge.\nDiagnostic social réalisé en amont.",
    };
    static const char *const ADMIN[] = {
        "Arrêté de mise en demeure et d'évacuation ; évacuation dans le délai.",
        "Arrêté municipal de mise en sécurité après un incendie.",
    };
    static const char *const RESORBED[] = {
        "Résorption progressive : relogement ou hébergement de toutes les familles.",
        "Sortie du site accompagnée par l'opérateur ;\nles dernières familles sont en logement adapté.",
    };
    static const char *const OTHER[] = {
        "Départ spontané des habitants.",
        "Incendie sur le site ; hébergement d'urgence pour une partie des familles.",
        "Site vide lors du dernier passage de la maraude.",
    };
    if (!strcmp(status, "closed_by_justice"))
        return DEMO_PICK_STR(r, JUSTICE);
    if (!strcmp(status, "closed_by_pref_admin") || !strcmp(status, "closed_by_city_admin"))
        return DEMO_PICK_STR(r, ADMIN);
    if (!strcmp(status, "resorbed"))
        return DEMO_PICK_STR(r, RESORBED);
    return DEMO_PICK_STR(r, OTHER);
}

static const char *const REINSTALLATION[] = {
    "Familles venant d'un site évacué de la commune voisine.",
    "Réinstallation après l'évacuation du terrain de la gare.",
    "Une partie des familles vivait sur le site fermé l'an dernier.",
};
const char *demo_reinstallation_comment(struct demo_rng *r) { return DEMO_PICK_STR(r, REINSTALLATION); }

static const char *const PESTS[] = {"Rats signalés près des déchets", "Présence de rongeurs et de punaises",
                                    "Nuisibles autour du point d'eau"};
const char *demo_pest_details(struct demo_rng *r) { return DEMO_PICK_STR(r, PESTS); }

static const char *const WATER[] = {"Coupures fréquentes l'été", "Accès limité la nuit",
                                    "Point d'eau partagé avec le voisinage"};
const char *demo_water_details(struct demo_rng *r) { return DEMO_PICK_STR(r, WATER); }

static const char *const SOLUTION_MESSAGES[] = {
    "Familles orientées par le SIAO.",
    "Orientation vers un dispositif d'insertion.",
    "Suivi assuré par l'opérateur après la fermeture.",
};
const char *demo_solution_message(struct demo_rng *r) { return DEMO_PICK_STR(r, SOLUTION_MESSAGES); }

static const char *const GOALS[] = {
    "Accompagner les familles vers le droit commun : domiciliation, santé, scolarisation.",
    "Scolariser tous les enfants du site et suivre l'assiduité.",
    "Accompagner vers l'emploi et la formation ;\nlever les freins (mobilité, langue).",
    "Sortir les familles du site vers un hébergement ou un logement.",
    "Stabiliser le site : eau, électricité, ramassage des déchets, sécurité incendie.",
};
const char *demo_action_goals(struct demo_rng *r) { return DEMO_PICK_STR(r, GOALS); }

static const char *const CENSUS_BY[] = {"DDETS", "Opérateur", "Mairie", "Préfecture", "Association locale"};
const char *demo_census_by(struct demo_rng *r) { return DEMO_PICK_STR(r, CENSUS_BY); }

static const char *const INSALUBRITY_TYPES[] = {"Arrêté de péril", "Arrêté d'insalubrité",
                                                "Arrêté de mise en sécurité"};
const char *demo_insalubrity_type(struct demo_rng *r) { return DEMO_PICK_STR(r, INSALUBRITY_TYPES); }

void demo_court(struct demo_rng *r, const char *departement, char *out, size_t outlen)
{
    static const char *const COURTS[] = {"Tribunal judiciaire", "Tribunal administratif",
                                         "Juge des référés, tribunal judiciaire", "Cour d'appel"};
    snprintf(out, outlen, "%s (%s)", DEMO_PICK_STR(r, COURTS), departement);
}

void demo_bailiff(struct demo_rng *r, char *out, size_t outlen)
{
    if (demo_chance(r, 0.5))
        snprintf(out, outlen, "Maître %s", demo_last_name(r));
    else {
        const char *a = demo_last_name(r);
        snprintf(out, outlen, "SCP %s & %s", a, demo_last_name(r));
    }
}

void demo_owner_name(struct demo_rng *r, int is_public, const char *commune, const char *departement, char *out,
                     size_t outlen)
{
    if (is_public) {
        switch (demo_below(r, 6)) {
        case 0: demo_of("Commune", commune, out, outlen); break;
        case 1: snprintf(out, outlen, "Département (%s)", departement); break;
        case 2: snprintf(out, outlen, "SNCF Réseau"); break;
        case 3: snprintf(out, outlen, "Établissement public foncier"); break;
        case 4: snprintf(out, outlen, "État (Préfecture, %s)", departement); break;
        default: snprintf(out, outlen, "Voies navigables de France"); break;
        }
        return;
    }
    switch (demo_below(r, 4)) {
    case 0: snprintf(out, outlen, "SCI %s", DEMO_PICK_STR(r, PLACES)); break;
    case 1: snprintf(out, outlen, "M. %s", demo_last_name(r)); break;
    case 2: snprintf(out, outlen, "Mme %s", demo_last_name(r)); break;
    default: snprintf(out, outlen, "Société %s Immobilier", demo_last_name(r)); break;
    }
}

void demo_parcels(struct demo_rng *r, char *out, size_t outlen)
{
    char section[3] = {(char)('A' + demo_below(r, 26)), (char)('A' + demo_below(r, 26)), '\0'};
    int first = demo_range(r, 1, 900);
    if (demo_chance(r, 0.5))
        snprintf(out, outlen, "%s %d", section, first);
    else
        snprintf(out, outlen, "%s %d, %s %d", section, first, section, first + demo_range(r, 1, 5));
}

void demo_action_name(struct demo_rng *r, int topic, const char *place, char *out, size_t outlen)
{
    static const char *const BY_TOPIC[5][3] = {
        {"Médiation santé", "Maraude santé", "Accès aux soins"},
        {"Médiation scolaire", "Scolarisation des enfants", "Camion école"},
        {"Insertion professionnelle", "Accompagnement vers l'emploi", "Chantier d'insertion"},
        {"Accès au logement", "Espace temporaire d'insertion", "Sortie de bidonville"},
        {"Stabilisation du site", "Sécurisation incendie", "Accès à l'eau et à l'électricité"},
    };
    const char *label = BY_TOPIC[topic % 5][demo_below(r, 3)];
    snprintf(out, outlen, "%s – %s", label, place);
}

void demo_location_other(struct demo_rng *r, const char *commune, char *out, size_t outlen)
{
    switch (demo_below(r, 4)) {
    case 0: demo_of("Permanence en mairie", commune, out, outlen); break;
    case 1: snprintf(out, outlen, "Locaux associatifs, %s", commune); break;
    case 2: demo_of("Centre social", commune, out, outlen); break;
    default: snprintf(out, outlen, "Accueil de jour, %s", commune); break;
    }
}

static const char *const ORGS[DEMO_ORGANIZATION_COUNT][2] = {
    {"Association Horizons Solidaires", "AHS"},
    {"Collectif Accueil et Droits", "CAD"},
    {"Les Chemins de l'Insertion", "LCI"},
    {"Solidarité Habitat Nomade", "SHN"},
    {"Santé Sans Frontières Locales", "SSFL"},
    {"Réseau École pour Tous", "REPT"},
    {"Fondation Toit Commun", "FTC"},
    {"Médiation et Voyageurs", "MEV"},
    {"Entraide des Quartiers", "EDQ"},
    {"Passerelles Emploi", "PE"},
    {"Direction départementale de l'emploi, du travail et des solidarités", "DDETS"},
    {"Préfecture", "PREF"},
    {"Délégation interministérielle à l'hébergement et à l'accès au logement", "DIHAL"},
    {"Centre communal d'action sociale", "CCAS"},
};
const char *demo_organization_name(int i) { return ORGS[i][0]; }
const char *demo_organization_abbreviation(int i) { return ORGS[i][1]; }
