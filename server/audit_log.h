/* Who read which site-level data: one JSON line per request that returned it (tiles of
 * sites, actions and clusters, cluster GeoJSON, children and leaves, OGC API items of
 * those collections, WMS
 * GetMap and GetFeatureInfo) and per export (always, whatever the scope or status).
 * Each line: ts, subject, scope (scope_describe), kind, flags, remote, method, endpoint,
 * path, filters (the query parameters, credentials masked), status, features (how many
 * when the handler set response.features, else null). Never a token or a secret.
 * Target from config audit_log: "off" (default), "-" for stdout, or a file opened for
 * append; audit_log_reopen (on SIGHUP) reopens the file after a rotation. */
#ifndef RBMAP_SERVER_AUDIT_LOG_H
#define RBMAP_SERVER_AUDIT_LOG_H
#include "server/http.h"

#include <stdbool.h>

int audit_log_open(const char *target, char *err, size_t errlen);
/* Reopens the configured file (logrotate); a failure keeps the old one and says so. */
void audit_log_reopen(void);
void audit_log_close(void);

/* Does this request belong in the audit log? route_name NULL when no route matched. */
bool audit_log_applies(const struct request *req, const char *route_name, int status);
void audit_log_write(const struct request *req, const char *route_name, const struct response *res);

#endif
