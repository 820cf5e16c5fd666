#include "tiles/cluster_layer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct cached_view {
    struct cluster_view view;
    uint32_t *site_index;
    int32_t *ft_ids;
    int refs; /* the cache's own (while in a slot) + each request's; under `lock` */
};

static struct {
    int radius, extent, min_points, max_zoom;
} layer_options = {(int)CLUSTER_RADIUS, (int)CLUSTER_EXTENT, CLUSTER_MIN_POINTS, CLUSTER_MAX_ZOOM};

void cluster_layer_set_options(int radius, int extent, int min_points, int max_zoom)
{
    layer_options.radius = radius;
    layer_options.extent = extent;
    layer_options.min_points = min_points;
    layer_options.max_zoom = max_zoom;
}

void cluster_layer_get_options(int *radius, int *extent, int *min_points, int *max_zoom)
{
    *radius = layer_options.radius;
    *extent = layer_options.extent;
    *min_points = layer_options.min_points;
    *max_zoom = layer_options.max_zoom;
}

struct cluster_view *cluster_view_build(const struct site_snapshot *snap, const struct site_filter *f,
                                        const struct scope *scope, char *err, size_t errlen)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct cached_view *cv = calloc(1, sizeof(*cv));
    size_t n_ft = snap->n_field_types;
    struct cluster_input *pts = malloc((snap->count ? snap->count : 1) * sizeof(*pts));
    if (cv) {
        cv->site_index = malloc((snap->count ? snap->count : 1) * sizeof(*cv->site_index));
        cv->ft_ids = malloc((n_ft ? n_ft : 1) * sizeof(*cv->ft_ids));
    }
    if (!cv || !pts || !cv->site_index || !cv->ft_ids || snap->count > CLUSTER_MAX_POINTS) {
        snprintf(err, errlen, "cannot cluster %zu sites (memory)", snap->count);
        free(pts);
        cluster_view_free(cv ? &cv->view : NULL);
        return NULL;
    }
    for (size_t i = 0; i < n_ft; i++)
        cv->ft_ids[i] = snap->field_types[i].id;
    uint32_t n = 0;
    for (size_t i = 0; i < snap->count; i++) {
        const struct site *s = snap->sites[i];
        if (!scope_allows_site(scope, s) || !site_filter_match(f, s))
            continue;
        int status = site_status_on(s, f->day);
        uint16_t ft = UINT16_MAX;
        for (size_t k = 0; k < n_ft; k++)
            if (cv->ft_ids[k] == s->field_type_id)
                ft = (uint16_t)(CLUSTER_STATUS_SLOTS + k);
        pts[n] = (struct cluster_input){s->lon, s->lat, s->population,
                                        {status < 0 ? UINT16_MAX : (uint16_t)status, ft}};
        cv->site_index[n++] = (uint32_t)i;
    }
    struct cluster_options o;
    cluster_options_default(&o, (uint32_t)(CLUSTER_STATUS_SLOTS + n_ft));
    o.radius = layer_options.radius;
    o.extent = layer_options.extent;
    o.min_points = layer_options.min_points;
    o.max_zoom = layer_options.max_zoom;
    cv->view.idx = cluster_index_build(pts, n, &o, err, errlen);
    free(pts);
    if (!cv->view.idx) {
        cluster_view_free(&cv->view);
        return NULL;
    }
    cv->view.site_index = cv->site_index;
    cv->view.version = snap->version;
    cv->view.n_field_types = n_ft;
    cv->view.field_type_ids = cv->ft_ids;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cv->view.build_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    return &cv->view;
}

void cluster_view_free(struct cluster_view *v)
{
    if (!v)
        return;
    struct cached_view *cv = (struct cached_view *)v; /* view is the first member */
    cluster_index_free(cv->view.idx);
    free(cv->site_index);
    free(cv->ft_ids);
    free(cv);
}

/* --- the LRU of built views --- */

struct slot {
    char key[1200];
    uint64_t version;
    uint64_t last_used;
    struct cached_view *view; /* NULL while building */
    bool building, used;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t built = PTHREAD_COND_INITIALIZER;
static struct slot slots[CLUSTER_CACHE_ENTRIES];
static uint64_t clock_tick;

static void make_key(const struct site_snapshot *snap, const struct site_filter *f, const struct scope *scope,
                     char *out, size_t outlen)
{
    char fk[512], sk[600];
    struct scope seen = *scope;
    seen.flags = 0; /* flags change properties, not which sites are clustered */
    site_filter_key(f, fk, sizeof fk);
    scope_describe(&seen, sk, sizeof sk);
    const struct site_fingerprint *fp = &snap->fingerprint;
    snprintf(out, outlen, "%llu:%lld:%lld:%lld|%s|%s", (unsigned long long)snap->version, (long long)fp->count,
             (long long)fp->sum_id, (long long)fp->sum_updated, fk, sk);
}

/* Drops one reference; the last one frees. Lock held. */
static void unref(struct cached_view *cv)
{
    if (cv && --cv->refs == 0)
        cluster_view_free(&cv->view);
}

/* Empties a slot; a view still held by requests lives on until they release it. */
static void drop_slot(struct slot *s)
{
    unref(s->view);
    memset(s, 0, sizeof(*s));
}

static struct cached_view *lookup(const char *key)
{
    for (;;) {
        struct slot *hit = NULL;
        for (int i = 0; i < CLUSTER_CACHE_ENTRIES; i++)
            if (slots[i].used && !strcmp(slots[i].key, key))
                hit = &slots[i];
        if (!hit)
            return NULL;
        if (!hit->building) {
            hit->view->refs++;
            hit->last_used = ++clock_tick;
            return hit->view;
        }
        pthread_cond_wait(&built, &lock); /* someone is building it: wait, then look again */
    }
}

/* A slot for a new build: older data's indexes go first, then the least recently used,
 * never one being built. NULL when all are being built. Lock held. */
static struct slot *claim_slot(const char *key, uint64_t version)
{
    struct slot *victim = NULL;
    for (int i = 0; i < CLUSTER_CACHE_ENTRIES; i++)
        if (slots[i].used && !slots[i].building && slots[i].version < version)
            drop_slot(&slots[i]);
    for (int i = 0; i < CLUSTER_CACHE_ENTRIES && !(victim && !victim->used); i++) {
        struct slot *s = &slots[i];
        if (!s->used || (!s->building && (!victim || s->last_used < victim->last_used)))
            victim = s;
    }
    if (!victim)
        return NULL;
    drop_slot(victim);
    snprintf(victim->key, sizeof victim->key, "%s", key);
    victim->version = version;
    victim->building = victim->used = true;
    return victim;
}

const struct cluster_view *cluster_view_acquire(const struct site_snapshot *snap, const struct site_filter *f,
                                                const struct scope *scope, char *err, size_t errlen)
{
    *err = 0;
    if (scope->kind == SCOPE_PUBLIC)
        return NULL;
    char key[1200];
    make_key(snap, f, scope, key, sizeof key);
    pthread_mutex_lock(&lock);
    struct cached_view *cv = lookup(key);
    struct slot *mine = cv ? NULL : claim_slot(key, snap->version);
    pthread_mutex_unlock(&lock);
    if (cv)
        return &cv->view;
    cv = (struct cached_view *)cluster_view_build(snap, f, scope, err, errlen);
    pthread_mutex_lock(&lock);
    if (cv)
        cv->refs = 1; /* the caller's */
    if (mine) {
        if (cv) {
            cv->refs++; /* the cache's */
            mine->view = cv;
            mine->building = false;
            mine->last_used = ++clock_tick;
        } else {
            memset(mine, 0, sizeof(*mine));
        }
        pthread_cond_broadcast(&built);
    }
    pthread_mutex_unlock(&lock);
    return cv ? &cv->view : NULL;
}

void cluster_view_release(const struct cluster_view *v)
{
    if (!v)
        return;
    pthread_mutex_lock(&lock);
    unref((struct cached_view *)v);
    pthread_mutex_unlock(&lock);
}

void cluster_cache_clear(void)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < CLUSTER_CACHE_ENTRIES; i++)
        if (slots[i].used && !slots[i].building)
            drop_slot(&slots[i]);
    pthread_mutex_unlock(&lock);
}
