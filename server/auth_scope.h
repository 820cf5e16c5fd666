/* From what a credential says (areas, flags, role) to the scope a request reads with,
 * by the platform's read rules (../shared/notes/platform.md §4):
 *   - "national" anywhere in the areas: SCOPE_NATIONAL;
 *   - a région stays a région, a département a département;
 *   - a commune (arrondissements included) reads its whole département, an EPCI every
 *     département it spans ("read expansion"); an arrondissement's département is its
 *     commune's, so a commune area covers its arrondissements (fk_main) too;
 *   - justice and owners follow that widened scope (they are flags on it); finances are
 *     national only and dropped otherwise; the `intervener` role never reads justice
 *     data (the platform's rule for that role).
 * Every code must exist in the territory index, or the credential is refused. The
 * result is canonical (régions, then départements not inside one of them, each sorted),
 * so two credentials that read the same data share cache entries.
 *
 * Claims of a token (server/auth_token.h checks the signature and times first):
 *   "sub":   user id (string or integer), required;
 *   "role":  the platform's role name, optional;
 *   "areas": required, non-empty array of at most SCOPE_MAX_AREAS items, each
 *            "national" | "region:CODE" | "departement:CODE" | "epci:SIREN" | "city:INSEE",
 *            or the platform's object form {"type": "nation"|"region"|"departement"|
 *            "epci"|"city", "code": "CODE"};
 *   "flags": optional array of "justice", "owners", "finances" (anything else refused). */
#ifndef RBMAP_SERVER_AUTH_SCOPE_H
#define RBMAP_SERVER_AUTH_SCOPE_H
#include "db/scope.h"
#include "db/territory_index.h"

#include <jansson.h>
#include <stdbool.h>

/* What auth_scope_* return besides 0. */
enum { AUTH_SCOPE_INVALID = -1, /* the credential is wrong: 401 */
       AUTH_SCOPE_NO_INDEX = -2 /* territories not loaded yet: 503, try again */ };

/* One area as text: "national" or LEVEL:CODE. Returns 1 for national, 0 for a ref. */
int auth_area_parse(const char *text, struct territory_ref *ref, char *reason, size_t reasonlen);
/* A flag name to its SCOPE_FLAG_* bit; 0 when unknown. */
unsigned auth_flag_parse(const char *name);

/* Widens areas into out. ti may be NULL when every area is national. */
int auth_scope_build(const struct territory_ref *areas, size_t n, bool national, unsigned flags, const char *role,
                     const struct territory_index *ti, struct scope *out, char *reason, size_t reasonlen);

/* From verified token claims; the subject becomes "user:<sub>". */
int auth_scope_from_claims(const json_t *claims, const struct territory_index *ti, struct scope *out, char *reason,
                           size_t reasonlen);

/* From an API key's stored areas and flags (text arrays); the subject becomes
 * "key:<key_id>". */
int auth_scope_from_lists(const char *const *areas, size_t n_areas, const char *const *flags, size_t n_flags,
                          const char *key_id, const struct territory_index *ti, struct scope *out, char *reason,
                          size_t reasonlen);

#endif
