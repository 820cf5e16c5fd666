/* Configuration: built-in defaults, then a file (--config FILE or $RBMAP_CONFIG), then
 * RBMAP_* environment variables, then command-line flags; later ones win. The file
 * holds `key = value` lines with the same keys as below; `#` starts a comment. */
#ifndef RBMAP_SERVER_CONFIG_H
#define RBMAP_SERVER_CONFIG_H
#include "server/trusted_proxies.h"

#include <stddef.h>

struct config {
    char listen_host[64];      /* listen = HOST:PORT          RBMAP_LISTEN */
    int listen_port;
    char db[1024];             /* db = CONNINFO                RBMAP_DB */
    int threads;               /* threads = N (worker pool)     RBMAP_THREADS */
    int db_pool_size;          /* db_pool_size = N             RBMAP_DB_POOL_SIZE */
    int db_wait_ms;            /* db_wait_ms = N: wait for a free connection */
    int statement_timeout_ms;  /* statement_timeout_ms = N     RBMAP_STATEMENT_TIMEOUT_MS */
    size_t max_body_bytes;     /* max_body_bytes = N           RBMAP_MAX_BODY_BYTES */
    int connection_timeout_s;  /* connection_timeout_s = N: idle or slow clients */
    int max_connections;       /* max_connections = N */
    int per_ip_connection_limit; /* per_ip_connection_limit = N */
    int queue_max;             /* queue_max = N: requests that may wait for a busy worker; beyond: 503 */
    int queue_wait_ms;         /* queue_wait_ms = N: how long one may wait before a 503 */
    int migrate_on_start;      /* migrate = yes|no             RBMAP_MIGRATE */
    char public_url[256];      /* public_url = https://...     RBMAP_PUBLIC_URL */
    char access_log[256];      /* access_log = - | FILE | off  RBMAP_ACCESS_LOG */
    int reproject_max_points;  /* reproject_max_points = N */
    int default_scope_national; /* default_scope = public|national  RBMAP_DEFAULT_SCOPE: what a
                                   request without credential sees; national only on closed
                                   networks and the demo */
    int tile_cache_mb;         /* tile_cache_mb = N: memory for cached tiles */
    int reconcile_interval_s;  /* reconcile_interval_s = N: memory vs database check */
    char geocoder_index[1024]; /* geocoder_index = FILE (rbmap import-ban)  RBMAP_GEOCODER_INDEX */
    int tile_max_age_s;        /* tile_max_age_s = N: Cache-Control max-age of tiles */
    int proxy_cache_max_age_s; /* proxy_cache_max_age_s = N: X-Accel-Expires of public tiles, how
                                  long nginx serves them without asking; 0 = revalidate each time */
    /* Credentials (server/auth.h): the platform's token keys. */
    char jwt_secret[512];      /* jwt_secret = S: HS256 shared secret (>= 32 bytes)  RBMAP_JWT_SECRET */
    char jwt_secret_file[256]; /* jwt_secret_file = FILE: the same, read from a file */
    char jwt_public_key_file[256];  /* jwt_public_key_file = PEM: ES256 (P-256) or EdDSA (Ed25519) */
    char jwt_private_key_file[256]; /* jwt_private_key_file = PEM: for `rbmap token` only */
    char jwt_audience[128];    /* jwt_audience = AUD: required aud claim (default rbmap) */
    int jwt_clock_skew_s;      /* jwt_clock_skew_s = N: tolerance on exp/nbf/iat (default 60) */
    /* OGC API Features and exports. */
    int ogc_limit_default;     /* ogc_limit_default = N: items per page without limit= (10) */
    int ogc_limit_max;         /* ogc_limit_max = N: largest limit= accepted (10000) */
    int export_max_features;   /* export_max_features = N: features per export file */
    /* WMS. */
    int wms_max_width;         /* wms_max_width = N pixels (4096) */
    int wms_max_height;        /* wms_max_height = N pixels (4096) */
    /* Styles and viewer. */
    char raster_base_url[512]; /* raster_base_url = https://.../{z}/{x}/{y}.png: optional base map */
    char raster_base_attribution[256]; /* raster_base_attribution = TEXT */
    /* Access control. */
    char cors_origins[512];    /* cors_origins = * | https://a.fr,https://b.fr */
    char audit_log[256];       /* audit_log = off | - | FILE: who read what, one JSON line each */
    int rate_limit_per_s;      /* rate_limit_per_s = N: requests per second per credential or IP (0 = off) */
    int rate_limit_burst;      /* rate_limit_burst = N: bucket size */
    int auth_failures_per_minute; /* auth_failures_per_minute = N: bad signatures or API key
                                     secrets per client address before 429 (0 = off, default 10) */
    struct trusted_proxies trusted_proxies; /* trusted_proxies = 10.0.0.0/8, ::1: peers whose
                                     X-Forwarded-For names the client (default none) */
    /* Territory bubbles (tiles/territory_bubbles.h). */
    int public_min_count;      /* public_min_count = N: smallest site count of a bubble the public
                                  sees (default 5, >= 1; SIGHUP reloads it) */
    int sites_minzoom;         /* sites_minzoom = auto | N: first zoom of the sites layer; auto (-1, the
                                  default) = the lowest zoom where no tile exceeds the feature
                                  budget for the loaded sites (0 at a few thousand sites);
                                  tiles/render.h tile_layer_minzoom. Read at start. */
    /* The clusters layer (tiles/cluster_layer.h), supercluster's options; read at start. */
    int cluster_radius;        /* cluster_radius = N: pixels of an extent (default 40) */
    int cluster_extent;        /* cluster_extent = N: tile extent the radius is relative to (default 512) */
    int cluster_min_points;    /* cluster_min_points = N: smallest cluster (default 2) */
    int cluster_max_zoom;      /* cluster_max_zoom = N: last zoom that clusters (default 16) */
    /* Layer sync from a replica (no NOTIFY there): poll the change log every N ms (0 = LISTEN). */
    int changelog_poll_ms;     /* changelog_poll_ms = N */
};

void config_defaults(struct config *cfg);
/* Applies one `key = value` setting; returns -1 with a message for an unknown key or
 * a bad value. */
int config_set(struct config *cfg, const char *key, const char *value, char *err, size_t errlen);
int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);
int config_load_env(struct config *cfg, char *err, size_t errlen);

#endif
