#include "server/access_log.h"

#include "util/text.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static FILE *log_file;
static int log_owned;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

int access_log_open(const char *target, char *err, size_t errlen)
{
    if (!strcmp(target, "off"))
        return 0;
    if (!strcmp(target, "-")) {
        log_file = stderr;
        return 0;
    }
    log_file = fopen(target, "a");
    if (!log_file) {
        snprintf(err, errlen, "cannot open access log %s: %s", target, strerror(errno));
        return -1;
    }
    log_owned = 1;
    return 0;
}

void access_log_close(void)
{
    if (log_owned && log_file)
        fclose(log_file);
    log_file = NULL;
    log_owned = 0;
}

int access_log_reopen(const char *target, char *err, size_t errlen)
{
    FILE *next = NULL;
    int owned = 0;
    if (!strcmp(target, "-")) {
        next = stderr;
    } else if (strcmp(target, "off")) {
        next = fopen(target, "a");
        if (!next) {
            snprintf(err, errlen, "cannot open access log %s: %s", target, strerror(errno));
            return -1;
        }
        owned = 1;
    }
    pthread_mutex_lock(&log_lock);
    FILE *old = log_owned ? log_file : NULL;
    log_file = next;
    log_owned = owned;
    pthread_mutex_unlock(&log_lock);
    if (old)
        fclose(old);
    return 0;
}

/* Credentials must never reach a log file. */
static int param_is_secret(const char *key)
{
    return !strcasecmp(key, "access_token") || !strcasecmp(key, "token") || !strcasecmp(key, "key") ||
           !strcasecmp(key, "api_key") || !strcasecmp(key, "password");
}

void access_log_write(const struct request *req, const char *route_name, int status, size_t bytes,
                      double seconds)
{
    if (!log_file)
        return;
    char when[40];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    char ts[80];
    snprintf(ts, sizeof ts, "%s.%03ldZ", when, now.tv_nsec / 1000000);

    json_t *query = json_object();
    for (size_t i = 0; i < req->n_params; i++)
        json_object_set_new(query, req->params[i].key[0] && utf8_valid(req->params[i].key, strlen(req->params[i].key))
                                       ? req->params[i].key : "?",
                            param_is_secret(req->params[i].key) ? json_string("***")
                                                                 : json_string_lossy(req->params[i].value));
    char scope[256];
    scope_describe(&req->scope, scope, sizeof scope);
    json_t *line = json_object();
    json_object_set_new(line, "ts", json_string(ts));
    json_object_set_new(line, "remote", json_string_lossy(req->remote_addr));
    json_object_set_new(line, "method", json_string_lossy(req->method));
    json_object_set_new(line, "path", json_string_lossy(req->path));
    json_object_set_new(line, "query", query);
    json_object_set_new(line, "status", json_integer(status));
    json_object_set_new(line, "bytes", json_integer((json_int_t)bytes));
    json_object_set_new(line, "ms", json_real(seconds * 1000.0));
    json_object_set_new(line, "route", json_string(route_name ? route_name : "-"));
    json_object_set_new(line, "scope", json_string_lossy(scope));
    char *text = line ? json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
    if (text) {
        pthread_mutex_lock(&log_lock);
        if (log_file) { /* access_log_reopen may have switched it off meanwhile */
            fputs(text, log_file);
            fputc('\n', log_file);
            fflush(log_file);
        }
        pthread_mutex_unlock(&log_lock);
        free(text);
    }
    json_decref(line);
}
