#include "server/conn_limit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 256
#define ADDR_MAX 48 /* INET6_ADDRSTRLEN rounded up */

/* One address with at least one open connection; freed when its last one closes, so
 * the table holds at most as many entries as there are open connections. */
struct addr_count {
    char addr[ADDR_MAX];
    int open;
    struct addr_count *next;
};

struct conn_limit {
    pthread_mutex_t lock;
    int per_address;
    struct addr_count *buckets[BUCKETS];
};

struct conn_limit *conn_limit_create(int per_address)
{
    struct conn_limit *cl = calloc(1, sizeof(*cl));
    if (!cl)
        return NULL;
    cl->per_address = per_address > 0 ? per_address : 0;
    pthread_mutex_init(&cl->lock, NULL);
    return cl;
}

void conn_limit_destroy(struct conn_limit *cl)
{
    if (!cl)
        return;
    for (size_t i = 0; i < BUCKETS; i++)
        for (struct addr_count *e = cl->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    pthread_mutex_destroy(&cl->lock);
    free(cl);
}

static struct addr_count **slot_of(struct conn_limit *cl, const char *addr)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)addr; *p; p++)
        h = (h ^ *p) * 16777619u;
    struct addr_count **slot = &cl->buckets[h % BUCKETS];
    while (*slot && strcmp((*slot)->addr, addr))
        slot = &(*slot)->next;
    return slot;
}

bool conn_limit_opened(struct conn_limit *cl, const char *addr)
{
    if (!cl)
        return true;
    pthread_mutex_lock(&cl->lock);
    struct addr_count **slot = slot_of(cl, addr);
    if (!*slot) {
        *slot = calloc(1, sizeof(**slot));
        if (!*slot) { /* out of memory: admit rather than refuse a client we cannot count */
            pthread_mutex_unlock(&cl->lock);
            return true;
        }
        snprintf((*slot)->addr, sizeof (*slot)->addr, "%s", addr);
    }
    int open = ++(*slot)->open;
    pthread_mutex_unlock(&cl->lock);
    return !cl->per_address || open <= cl->per_address;
}

void conn_limit_closed(struct conn_limit *cl, const char *addr)
{
    if (!cl)
        return;
    pthread_mutex_lock(&cl->lock);
    struct addr_count **slot = slot_of(cl, addr);
    struct addr_count *e = *slot;
    if (e && --e->open <= 0) {
        *slot = e->next;
        free(e);
    }
    pthread_mutex_unlock(&cl->lock);
}

int conn_limit_open_count(struct conn_limit *cl, const char *addr)
{
    if (!cl)
        return 0;
    pthread_mutex_lock(&cl->lock);
    struct addr_count *e = *slot_of(cl, addr);
    int open = e ? e->open : 0;
    pthread_mutex_unlock(&cl->lock);
    return open;
}
