#include "tiles/render_snapcache.h"

#include <stdint.h>
#include <stdlib.h>

static bool is_of(const struct snapcache_entry *e, const struct site_snapshot *snap)
{
    return e && e->addr == (const void *)snap && e->version == snap->version && e->count == snap->count;
}

static const struct snapcache_entry *ref(struct snapcache_entry *e)
{
    atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
    return e;
}

const struct snapcache_entry *snapcache_acquire(struct snapcache *c, const struct site_snapshot *snap)
{
    pthread_mutex_lock(&c->mu);
    for (;;) {
        if (is_of(c->current, snap)) {
            const struct snapcache_entry *e = ref(c->current);
            pthread_mutex_unlock(&c->mu);
            return e;
        }
        if (c->building_addr == (const void *)snap && c->building_version == snap->version) {
            pthread_cond_wait(&c->built, &c->mu);
            continue;
        }
        if (c->building_addr || (c->current && c->current->version > snap->version)) {
            pthread_mutex_unlock(&c->mu);
            return NULL; /* a newer snapshot is kept or being built */
        }
        break;
    }
    c->building_addr = snap;
    c->building_version = snap->version;
    pthread_mutex_unlock(&c->mu);
    struct snapcache_entry *e = malloc(sizeof *e);
    void *value = e ? c->build(snap) : NULL;
    if (e && !value) {
        free(e);
        e = NULL;
    }
    if (e) {
        atomic_init(&e->refs, 2); /* the cache's and the caller's */
        e->addr = snap;
        e->version = snap->version;
        e->count = snap->count;
        e->value = value;
    }
    pthread_mutex_lock(&c->mu);
    struct snapcache_entry *old = NULL;
    if (e) {
        old = c->current;
        c->current = e;
    }
    c->building_addr = NULL;
    pthread_cond_broadcast(&c->built);
    pthread_mutex_unlock(&c->mu);
    snapcache_release(c, old);
    return e;
}

void snapcache_release(struct snapcache *c, const struct snapcache_entry *e)
{
    struct snapcache_entry *m = (struct snapcache_entry *)(uintptr_t)e;
    if (m && atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1) {
        c->destroy(m->value);
        free(m);
    }
}

void snapcache_clear(struct snapcache *c)
{
    pthread_mutex_lock(&c->mu);
    struct snapcache_entry *old = c->current;
    c->current = NULL;
    pthread_mutex_unlock(&c->mu);
    snapcache_release(c, old);
}
