/* French-looking text for `rbmap demo-data`: people, organisations, site names,
 * street addresses, comments. Promises: every function draws only from the rng it is
 * given (deterministic), writes NUL-terminated UTF-8 that fits its buffer, and site
 * names fit the platform's 35-character limit. Every name is invented. */
#ifndef RBMAP_DB_DEMO_WORDS_H
#define RBMAP_DB_DEMO_WORDS_H
#include "db/demo_random.h"

#include <stddef.h>

const char *demo_first_name(struct demo_rng *r);
const char *demo_last_name(struct demo_rng *r);

/* A site's "appellation", at most 35 characters; `building` for squats in buildings. */
void demo_site_name(struct demo_rng *r, int building, char *out, size_t outlen);

/* A BAN-like label "12 Rue des Lilas 93240 Saint-Denis" (number optional). The postcode
 * is a plausible one built from the département and INSEE code, not La Poste's. */
void demo_address(struct demo_rng *r, const char *insee, const char *dept, const char *commune, int with_number,
                  char *out, size_t outlen);

/* Free texts, some spanning several lines (which COPY must escape). */
const char *demo_access_details(struct demo_rng *r);
const char *demo_closing_context(struct demo_rng *r, const char *status);
const char *demo_reinstallation_comment(struct demo_rng *r);
const char *demo_pest_details(struct demo_rng *r);
const char *demo_water_details(struct demo_rng *r);
const char *demo_solution_message(struct demo_rng *r);
const char *demo_action_goals(struct demo_rng *r);
const char *demo_census_by(struct demo_rng *r);
const char *demo_insalubrity_type(struct demo_rng *r);

/* "<prefix> de <name>" with French elision and contraction: "Maire d'Arles",
 * "Maire du Havre", "Maire des Mureaux", "Maire de Paris". */
void demo_of(const char *prefix, const char *name, char *out, size_t outlen);

/* A court, a bailiff, a public or private owner. */
void demo_court(struct demo_rng *r, const char *departement, char *out, size_t outlen);
void demo_bailiff(struct demo_rng *r, char *out, size_t outlen);
void demo_owner_name(struct demo_rng *r, int is_public, const char *commune, const char *departement, char *out,
                     size_t outlen);
void demo_parcels(struct demo_rng *r, char *out, size_t outlen);

/* An action's name for its main topic (health, school, work, housing, safety). */
void demo_action_name(struct demo_rng *r, int topic, const char *place, char *out, size_t outlen);
void demo_location_other(struct demo_rng *r, const char *commune, char *out, size_t outlen);

/* The demo's organisations; the first DEMO_OPERATOR_ORGS are the associations that
 * run actions. */
#define DEMO_ORGANIZATION_COUNT 14
#define DEMO_OPERATOR_ORGS 10
const char *demo_organization_name(int i);
const char *demo_organization_abbreviation(int i);

#endif
