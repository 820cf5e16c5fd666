#include "server/audit_log.h"

#include "db/scope.h"
#include "tiles/layer_catalog.h"
#include "util/text.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static FILE *audit_file;
static bool audit_owned;
static char audit_path[256];
static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;

int audit_log_open(const char *target, char *err, size_t errlen)
{
    if (!target || !*target || !strcmp(target, "off"))
        return 0;
    if (!strcmp(target, "-")) {
        audit_file = stdout;
        return 0;
    }
    FILE *f = fopen(target, "a");
    if (!f) {
        snprintf(err, errlen, "cannot open audit log %s: %s", target, strerror(errno));
        return -1;
    }
    pthread_mutex_lock(&audit_lock);
    audit_file = f;
    audit_owned = true;
    snprintf(audit_path, sizeof audit_path, "%s", target);
    pthread_mutex_unlock(&audit_lock);
    return 0;
}

void audit_log_reopen(void)
{
    pthread_mutex_lock(&audit_lock);
    if (audit_owned) {
        FILE *f = fopen(audit_path, "a");
        if (f) {
            fclose(audit_file);
            audit_file = f;
            fprintf(stderr, "rbmap: audit log %s reopened\n", audit_path);
        } else {
            fprintf(stderr, "rbmap: audit log %s cannot be reopened (%s); keeping the old one\n", audit_path,
                    strerror(errno));
        }
    }
    pthread_mutex_unlock(&audit_lock);
}

void audit_log_close(void)
{
    pthread_mutex_lock(&audit_lock);
    if (audit_owned && audit_file)
        fclose(audit_file);
    else if (audit_file)
        fflush(audit_file);
    audit_file = NULL;
    audit_owned = false;
    pthread_mutex_unlock(&audit_lock);
}

/* The path's n-th segment after the prefix ("/tiles/sites/0/0/0.mvt", 0 -> "sites"). */
static bool segment(const char *path, const char *prefix, int n, const char **start, size_t *len, int *count)
{
    size_t pl = strlen(prefix);
    if (strncmp(path, prefix, pl))
        return false;
    const char *p = path + pl;
    int i = 0;
    *start = NULL;
    *len = 0;
    while (*p) {
        const char *s = p;
        while (*p && *p != '/')
            p++;
        if (i == n)
            *start = s, *len = (size_t)(p - s);
        i++;
        if (*p == '/')
            p++;
    }
    *count = i;
    return *start != NULL;
}

static bool is_site_layer(const char *name, size_t len)
{
    unsigned mask = 0;
    char err[128];
    if (tile_layers_parse(name, len, &mask, err, sizeof err) < 0)
        return false;
    return mask & ((1u << LAYER_SITES) | (1u << LAYER_ACTIONS) | (1u << LAYER_CLUSTERS));
}

static bool returns_site_data(const struct request *req, const char *route_name)
{
    const char *seg, *last;
    size_t len, last_len;
    int count;
    if (!strcmp(route_name, "tiles")) /* /tiles/{layers}/{z}/{x}/{y}.mvt */
        return segment(req->path, "/tiles/", 0, &seg, &len, &count) && count == 4 && is_site_layer(seg, len);
    if (!strcmp(route_name, "clusters")) /* all but /clusters/{layer}/{id}/expansion-zoom */
        return !segment(req->path, "/clusters/", 2, &last, &last_len, &count) ||
               strncmp(last, "expansion-zoom", last_len) != 0 || last_len != 14;
    if (!strcmp(route_name, "ogc")) /* /ogc/collections/{id}/items[/{fid}] */
        return segment(req->path, "/ogc/collections/", 0, &seg, &len, &count) && count >= 2 &&
               segment(req->path, "/ogc/collections/", 1, &last, &last_len, &count) && last_len == 5 &&
               !strncmp(last, "items", 5) && is_site_layer(seg, len);
    if (!strcmp(route_name, "wms")) {
        const char *what = request_param_ci(req, "REQUEST");
        return what && (!strcasecmp(what, "GetMap") || !strcasecmp(what, "GetFeatureInfo"));
    }
    return false;
}

bool audit_log_applies(const struct request *req, const char *route_name, int status)
{
    if (!route_name)
        return false;
    if (!strcmp(route_name, "export"))
        return true; /* every export, even refused: who tried to take what */
    return req->scope.kind != SCOPE_PUBLIC && status < 400 && returns_site_data(req, route_name);
}

static bool param_is_secret(const char *key)
{
    return !strcasecmp(key, "access_token") || !strcasecmp(key, "token") || !strcasecmp(key, "key") ||
           !strcasecmp(key, "api_key") || !strcasecmp(key, "password");
}

static const char *kind_name(enum scope_kind kind)
{
    return kind == SCOPE_NATIONAL ? "national" : kind == SCOPE_TERRITORIAL ? "territorial" : "public";
}

void audit_log_write(const struct request *req, const char *route_name, const struct response *res)
{
    if (!audit_file) /* unlocked read: opened before the server starts, cleared after it stops */
        return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    char when[40], ts[64];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts, sizeof ts, "%s.%03ldZ", when, now.tv_nsec / 1000000);

    json_t *filters = json_object();
    for (size_t i = 0; i < req->n_params; i++) {
        const char *key = req->params[i].key;
        if (param_is_secret(key))
            continue; /* a credential is not a filter; its holder is the subject */
        json_object_set_new(filters, key[0] && utf8_valid(key, strlen(key)) ? key : "?",
                            json_string_lossy(req->params[i].value));
    }
    json_t *flags = json_array();
    if (req->scope.flags & SCOPE_FLAG_JUSTICE)
        json_array_append_new(flags, json_string("justice"));
    if (req->scope.flags & SCOPE_FLAG_OWNERS)
        json_array_append_new(flags, json_string("owners"));
    if (req->scope.flags & SCOPE_FLAG_FINANCES)
        json_array_append_new(flags, json_string("finances"));
    char scope[256];
    scope_describe(&req->scope, scope, sizeof scope);
    json_t *line = json_pack("{s:s, s:o, s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:i, s:o}", "ts", ts, "subject",
                             req->scope.subject[0] ? json_string_lossy(req->scope.subject) : json_null(), "scope",
                             scope, "kind", kind_name(req->scope.kind), "flags", flags, "remote",
                             json_string_lossy(req->remote_addr), "method", json_string_lossy(req->method),
                             "endpoint", route_name ? route_name : "-", "path", json_string_lossy(req->path),
                             "filters", filters, "status", res->status, "features",
                             res->features >= 0 ? json_integer(res->features) : json_null());
    char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
    json_decref(line);
    if (!text)
        return;
    pthread_mutex_lock(&audit_lock);
    if (audit_file) {
        fputs(text, audit_file);
        fputc('\n', audit_file);
        fflush(audit_file); /* append-only and read by others: one whole line at a time */
    }
    pthread_mutex_unlock(&audit_lock);
    free(text);
}
