/* One JSON line per request (time, client, method, path, query with credentials
 * masked, status, bytes, duration, route, scope) to stderr, a file, or nowhere. */
#ifndef RBMAP_SERVER_ACCESS_LOG_H
#define RBMAP_SERVER_ACCESS_LOG_H
#include "server/http.h"

/* target: "-" for stderr, "off" for none, else a file path (appended). */
int access_log_open(const char *target, char *err, size_t errlen);
void access_log_close(void);
/* Switches to target (SIGHUP: a rotated file is reopened); requests in flight are not
 * disturbed. On failure the current log stays. */
int access_log_reopen(const char *target, char *err, size_t errlen);
void access_log_write(const struct request *req, const char *route_name, int status, size_t bytes,
                      double seconds);

#endif
