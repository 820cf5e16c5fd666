#include "server/config.h"

#include "tiles/cluster_index.h"
#include "tiles/territory_bubbles.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void config_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->listen_host, sizeof cfg->listen_host, "127.0.0.1");
    cfg->listen_port = 8080;
    cfg->threads = 8;
    cfg->db_pool_size = 8;
    cfg->db_wait_ms = 2000;
    cfg->statement_timeout_ms = 10000;
    cfg->max_body_bytes = 8 * 1024 * 1024;
    cfg->connection_timeout_s = 30;
    cfg->max_connections = 512;
    cfg->per_ip_connection_limit = 64;
    cfg->queue_max = 16;
    cfg->queue_wait_ms = 1000;
    cfg->migrate_on_start = 1;
    snprintf(cfg->access_log, sizeof cfg->access_log, "-");
    cfg->reproject_max_points = 100000;
    cfg->tile_cache_mb = 256;
    cfg->reconcile_interval_s = 30;
    cfg->tile_max_age_s = 5;
    snprintf(cfg->jwt_audience, sizeof cfg->jwt_audience, "rbmap");
    cfg->jwt_clock_skew_s = 60;
    cfg->ogc_limit_default = 10;
    cfg->ogc_limit_max = 10000;
    cfg->export_max_features = 1000000;
    cfg->wms_max_width = 4096;
    cfg->wms_max_height = 4096;
    snprintf(cfg->cors_origins, sizeof cfg->cors_origins, "*");
    snprintf(cfg->audit_log, sizeof cfg->audit_log, "off");
    cfg->rate_limit_per_s = 0;
    cfg->rate_limit_burst = 200;
    cfg->auth_failures_per_minute = 10;
    cfg->public_min_count = TERRITORY_PUBLIC_MIN_COUNT_DEFAULT;
    cfg->sites_minzoom = -1;
    cfg->cluster_radius = (int)CLUSTER_RADIUS;
    cfg->cluster_extent = (int)CLUSTER_EXTENT;
    cfg->cluster_min_points = CLUSTER_MIN_POINTS;
    cfg->cluster_max_zoom = CLUSTER_MAX_ZOOM;
}

static int parse_int(const char *key, const char *value, long min, long max, long *out, char *err,
                     size_t errlen)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end || v < min || v > max) {
        snprintf(err, errlen, "%s must be an integer between %ld and %ld, not '%s'", key, min, max, value);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_listen(struct config *cfg, const char *value, char *err, size_t errlen)
{
    const char *colon = strrchr(value, ':');
    if (!colon || colon == value || (size_t)(colon - value) >= sizeof cfg->listen_host) {
        snprintf(err, errlen, "listen must be HOST:PORT, not '%s'", value);
        return -1;
    }
    long port;
    if (parse_int("listen port", colon + 1, 1, 65535, &port, err, errlen) < 0)
        return -1;
    memcpy(cfg->listen_host, value, (size_t)(colon - value));
    cfg->listen_host[colon - value] = '\0';
    cfg->listen_port = (int)port;
    return 0;
}

static int parse_bool(const char *key, const char *value, int *out, char *err, size_t errlen)
{
    if (!strcasecmp(value, "yes") || !strcasecmp(value, "true") || !strcmp(value, "1") || !strcasecmp(value, "on"))
        *out = 1;
    else if (!strcasecmp(value, "no") || !strcasecmp(value, "false") || !strcmp(value, "0") || !strcasecmp(value, "off"))
        *out = 0;
    else {
        snprintf(err, errlen, "%s must be yes or no, not '%s'", key, value);
        return -1;
    }
    return 0;
}

static int copy_string(const char *key, char *dst, size_t dstlen, const char *value, char *err, size_t errlen)
{
    if (strlen(value) >= dstlen) {
        snprintf(err, errlen, "%s is too long (at most %zu characters)", key, dstlen - 1);
        return -1;
    }
    snprintf(dst, dstlen, "%s", value);
    return 0;
}

struct int_setting {
    const char *key;
    size_t offset;
    long min, max;
};

static const struct int_setting int_settings[] = {
    {"threads", offsetof(struct config, threads), 1, 256},
    {"db_pool_size", offsetof(struct config, db_pool_size), 1, 256},
    {"db_wait_ms", offsetof(struct config, db_wait_ms), 0, 60000},
    {"statement_timeout_ms", offsetof(struct config, statement_timeout_ms), 0, 3600000},
    {"connection_timeout_s", offsetof(struct config, connection_timeout_s), 1, 3600},
    {"max_connections", offsetof(struct config, max_connections), 1, 100000},
    {"per_ip_connection_limit", offsetof(struct config, per_ip_connection_limit), 0, 100000},
    {"queue_max", offsetof(struct config, queue_max), 0, 1024},
    {"queue_wait_ms", offsetof(struct config, queue_wait_ms), 0, 60000},
    {"reproject_max_points", offsetof(struct config, reproject_max_points), 1, 10000000},
    {"tile_cache_mb", offsetof(struct config, tile_cache_mb), 1, 65536},
    {"reconcile_interval_s", offsetof(struct config, reconcile_interval_s), 1, 86400},
    {"tile_max_age_s", offsetof(struct config, tile_max_age_s), 0, 86400},
    {"proxy_cache_max_age_s", offsetof(struct config, proxy_cache_max_age_s), 0, 86400},
    {"jwt_clock_skew_s", offsetof(struct config, jwt_clock_skew_s), 0, 600},
    {"ogc_limit_default", offsetof(struct config, ogc_limit_default), 1, 1000000},
    {"ogc_limit_max", offsetof(struct config, ogc_limit_max), 1, 1000000},
    {"export_max_features", offsetof(struct config, export_max_features), 1, 100000000},
    {"wms_max_width", offsetof(struct config, wms_max_width), 1, 16384},
    {"wms_max_height", offsetof(struct config, wms_max_height), 1, 16384},
    {"rate_limit_per_s", offsetof(struct config, rate_limit_per_s), 0, 1000000},
    {"rate_limit_burst", offsetof(struct config, rate_limit_burst), 1, 1000000},
    {"auth_failures_per_minute", offsetof(struct config, auth_failures_per_minute), 0, 1000000},
    {"changelog_poll_ms", offsetof(struct config, changelog_poll_ms), 0, 60000},
    {"public_min_count", offsetof(struct config, public_min_count), 1, 1000000},
    {"cluster_radius", offsetof(struct config, cluster_radius), 1, 4096},
    {"cluster_extent", offsetof(struct config, cluster_extent), 16, 65536},
    {"cluster_min_points", offsetof(struct config, cluster_min_points), 2, 1000000},
    {"cluster_max_zoom", offsetof(struct config, cluster_max_zoom), 0, CLUSTER_ZOOM_LIMIT - 1},
};

struct string_setting {
    const char *key;
    size_t offset, size;
};

#define STRING_SETTING(name) {#name, offsetof(struct config, name), sizeof(((struct config *)0)->name)}
static const struct string_setting string_settings[] = {
    STRING_SETTING(db),
    STRING_SETTING(public_url),
    STRING_SETTING(geocoder_index),
    STRING_SETTING(access_log),
    STRING_SETTING(jwt_secret),
    STRING_SETTING(jwt_secret_file),
    STRING_SETTING(jwt_public_key_file),
    STRING_SETTING(jwt_private_key_file),
    STRING_SETTING(jwt_audience),
    STRING_SETTING(raster_base_url),
    STRING_SETTING(raster_base_attribution),
    STRING_SETTING(cors_origins),
    STRING_SETTING(audit_log),
};
#undef STRING_SETTING

int config_set(struct config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
    if (!strcmp(key, "listen"))
        return parse_listen(cfg, value, err, errlen);
    for (size_t i = 0; i < sizeof string_settings / sizeof string_settings[0]; i++)
        if (!strcmp(key, string_settings[i].key))
            return copy_string(key, (char *)cfg + string_settings[i].offset, string_settings[i].size, value, err,
                               errlen);
    if (!strcmp(key, "default_scope")) {
        if (strcmp(value, "public") && strcmp(value, "national")) {
            snprintf(err, errlen, "default_scope must be public or national, not '%s'", value);
            return -1;
        }
        cfg->default_scope_national = !strcmp(value, "national");
        return 0;
    }
    if (!strcmp(key, "sites_minzoom")) {
        long v = -1;
        if (strcmp(value, "auto") && parse_int(key, value, 0, 22, &v, err, errlen) < 0) {
            snprintf(err, errlen, "sites_minzoom must be auto or a zoom between 0 and 22, not '%s'", value);
            return -1;
        }
        cfg->sites_minzoom = (int)v;
        return 0;
    }
    if (!strcmp(key, "trusted_proxies"))
        return trusted_proxies_parse(value, &cfg->trusted_proxies, err, errlen);
    if (!strcmp(key, "migrate"))
        return parse_bool(key, value, &cfg->migrate_on_start, err, errlen);
    if (!strcmp(key, "max_body_bytes")) {
        long v;
        if (parse_int(key, value, 1024, 1024L * 1024 * 1024, &v, err, errlen) < 0)
            return -1;
        cfg->max_body_bytes = (size_t)v;
        return 0;
    }
    for (size_t i = 0; i < sizeof int_settings / sizeof int_settings[0]; i++) {
        if (strcmp(key, int_settings[i].key))
            continue;
        long v;
        if (parse_int(key, value, int_settings[i].min, int_settings[i].max, &v, err, errlen) < 0)
            return -1;
        *(int *)((char *)cfg + int_settings[i].offset) = (int)v;
        return 0;
    }
    snprintf(err, errlen, "unknown setting '%s'", key);
    return -1;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open config file %s: %s", path, strerror(errno));
        return -1;
    }
    char line[2048];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected 'key = value'", path, lineno);
            fclose(f);
            return -1;
        }
        *eq = '\0';
        char inner[512];
        if (config_set(cfg, trim(s), trim(eq + 1), inner, sizeof inner) < 0) {
            snprintf(err, errlen, "%s:%d: %s", path, lineno, inner);
            fclose(f);
            return -1;
        }
    }
    fclose(f);
    return 0;
}

/* RBMAP_<KEY> for a key; 0 when unset, -1 on a bad value. */
static int config_load_env_key(struct config *cfg, const char *key, char *err, size_t errlen)
{
    char name[64] = "RBMAP_";
    for (size_t j = 0; key[j] && j + 7 < sizeof name; j++)
        name[6 + j] = (char)(key[j] >= 'a' && key[j] <= 'z' ? key[j] - 32 : key[j]);
    const char *value = getenv(name);
    if (!value || !*value)
        return 0;
    char inner[512];
    if (config_set(cfg, key, value, inner, sizeof inner) < 0) {
        snprintf(err, errlen, "%s: %s", name, inner);
        return -1;
    }
    return 0;
}

int config_load_env(struct config *cfg, char *err, size_t errlen)
{
    static const char *const other_keys[] = {"listen", "migrate", "default_scope", "max_body_bytes",
                                              "trusted_proxies", "sites_minzoom"};
    for (size_t i = 0; i < sizeof other_keys / sizeof other_keys[0]; i++)
        if (config_load_env_key(cfg, other_keys[i], err, errlen) < 0)
            return -1;
    for (size_t i = 0; i < sizeof string_settings / sizeof string_settings[0]; i++)
        if (config_load_env_key(cfg, string_settings[i].key, err, errlen) < 0)
            return -1;
    for (size_t i = 0; i < sizeof int_settings / sizeof int_settings[0]; i++)
        if (config_load_env_key(cfg, int_settings[i].key, err, errlen) < 0)
            return -1;
    return 0;
}
