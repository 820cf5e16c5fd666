/* Per-thread PROJ contexts, cached transformations and checked batch transforms.
 * A PJ_CONTEXT and the PJs made in it may be used by one thread only (notes §3.1), and
 * proj_create_crs_to_crs costs ~12 ms (a proj.db query), so each thread builds what it
 * needs once and keeps it. */
#include "geo/proj.h"

#include <math.h>
#include <proj.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct proj_thread {
    PJ_CONTEXT *ctx;
    size_t n;  /* registry size */
    PJ **ops;  /* [from * n + to], lon,lat / easting,northing order; NULL until used */
};

static _Thread_local struct proj_thread *tls;
static pthread_key_t tls_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void thread_free(void *p)
{
    struct proj_thread *t = p;
    if (!t)
        return;
    for (size_t i = 0; t->ops && i < t->n * t->n; i++)
        if (t->ops[i])
            proj_destroy(t->ops[i]);
    free(t->ops);
    if (t->ctx)
        proj_context_destroy(t->ctx);
    free(t);
}

/* Runs in the exiting thread: frees its state, and forgets it in case a later
 * destructor of that thread reprojects again (it would then start afresh). */
static void thread_exit(void *p)
{
    tls = NULL;
    thread_free(p);
}

static void make_key(void) { (void)pthread_key_create(&tls_key, thread_exit); }

void proj_thread_release(void)
{
    if (!tls)
        return;
    pthread_once(&key_once, make_key);
    pthread_setspecific(tls_key, NULL);
    thread_free(tls);
    tls = NULL;
}

static struct proj_thread *thread_state(char *err, size_t errlen)
{
    if (tls)
        return tls;
    pthread_once(&key_once, make_key);
    struct proj_thread *t = calloc(1, sizeof *t);
    if (t) {
        t->n = crs_count();
        t->ops = calloc(t->n * t->n, sizeof *t->ops);
        t->ctx = proj_context_create();
    }
    if (!t || !t->ops || !t->ctx) {
        thread_free(t);
        snprintf(err, errlen, "cannot create a PROJ context");
        return NULL;
    }
    /* Offline by design (notes §3.1); our own messages replace PROJ's stderr logging. */
    proj_context_set_enable_network(t->ctx, 0);
    proj_log_level(t->ctx, PJ_LOG_NONE);
    pthread_setspecific(tls_key, t);
    tls = t;
    return t;
}

static PJ *operation(struct proj_thread *t, const struct crs_info *from,
                     const struct crs_info *to, char *err, size_t errlen)
{
    PJ **slot = &t->ops[crs_index(from) * t->n + crs_index(to)];
    if (*slot)
        return *slot;
    PJ *raw = proj_create_crs_to_crs(t->ctx, from->code, to->code, NULL);
    PJ *norm = raw ? proj_normalize_for_visualization(t->ctx, raw) : NULL;
    if (raw)
        proj_destroy(raw);
    if (!norm) {
        snprintf(err, errlen, "cannot create the transformation %s -> %s: %s", from->code,
                 to->code, proj_context_errno_string(t->ctx, proj_context_errno(t->ctx)));
        return NULL;
    }
    *slot = norm;
    return norm;
}

struct area {
    double w, s, e, n;
};

static struct area area_of(const struct crs_info *crs)
{
    struct area a;
    crs_area_of_use(crs, &a.w, &a.s, &a.e, &a.n);
    const double m = REPROJECT_AREA_MARGIN_DEG;
    a.w = fmax(a.w - m, -180), a.s = fmax(a.s - m, -90);
    a.e = fmin(a.e + m, 180), a.n = fmin(a.n + m, 90);
    return a;
}

static bool inside(const struct area *a, double lon, double lat)
{
    if (!(lat >= a->s && lat <= a->n))
        return false;
    if (a->w <= a->e)
        return lon >= a->w && lon <= a->e;
    return lon >= a->w || lon <= a->e; /* area across the antimeridian */
}

/* Points go through in chunks so the lon/lat copies live on the stack. */
#define CHUNK 512

int reproject_points_flags(const struct crs_info *from, const struct crs_info *to,
                           double *x, double *y, size_t n, unsigned flags,
                           size_t *bad_index, char *err, size_t errlen)
{
    size_t bad_dummy;
    if (!bad_index)
        bad_index = &bad_dummy;
    *bad_index = 0;
    if (n == 0)
        return REPROJECT_OK;
    struct proj_thread *t = thread_state(err, errlen);
    if (!t)
        return REPROJECT_INTERNAL;
    bool check = !(flags & REPROJECT_NO_AREA_CHECK);
    /* Registry geographic CRSs are all WGS84 lon,lat, so for them the input is already
     * what the area checks need; projected input goes back to lon,lat first. */
    PJ *to_ll = check && !from->geographic ? operation(t, from, crs_at(0), err, errlen) : NULL;
    if (check && !from->geographic && !to_ll)
        return REPROJECT_INTERNAL;
    PJ *op = NULL;
    if (from != to && !(to_ll && to->geographic) && !(op = operation(t, from, to, err, errlen)))
        return REPROJECT_INTERNAL;
    struct area src = area_of(from), dst = area_of(to);
    double lon[CHUNK], lat[CHUNK];

    for (size_t base = 0; base < n; base += CHUNK) {
        size_t m = n - base < CHUNK ? n - base : CHUNK;
        double *px = x + base, *py = y + base;
        for (size_t i = 0; i < m; i++) {
            if (!isfinite(px[i]) || !isfinite(py[i])) {
                *bad_index = base + i;
                snprintf(err, errlen, "point %zu has a coordinate that is not a finite number",
                         base + i + 1);
                return REPROJECT_BAD_POINT;
            }
        }
        if (check) {
            const double *plon = px, *plat = py;
            if (to_ll) {
                memcpy(lon, px, m * sizeof *lon);
                memcpy(lat, py, m * sizeof *lat);
                proj_trans_generic(to_ll, PJ_FWD, lon, sizeof *lon, m, lat, sizeof *lat, m,
                                   NULL, 0, 0, NULL, 0, 0);
                plon = lon, plat = lat;
            }
            for (size_t i = 0; i < m; i++) {
                size_t k = base + i;
                const struct crs_info *outside = NULL;
                if (!isfinite(plon[i]) || !isfinite(plat[i]) || !inside(&src, plon[i], plat[i]))
                    outside = from;
                else if (!inside(&dst, plon[i], plat[i]))
                    outside = to;
                if (outside) {
                    char where[96] = "";
                    if (to_ll && isfinite(plon[i]) && isfinite(plat[i]))
                        snprintf(where, sizeof where, " (lon,lat %.10g,%.10g)", plon[i], plat[i]);
                    *bad_index = k;
                    snprintf(err, errlen, "point %zu (%.10g,%.10g)%s is outside the area of use of %s (%s)",
                             k + 1, px[i], py[i], where,
                             outside->code, outside->name);
                    return REPROJECT_BAD_POINT;
                }
            }
        }
        if (to_ll && to->geographic) { /* the lon,lat just checked are the answer */
            memcpy(px, lon, m * sizeof *lon);
            memcpy(py, lat, m * sizeof *lat);
            continue;
        }
        if (!op)
            continue;
        proj_trans_generic(op, PJ_FWD, px, sizeof *px, m, py, sizeof *py, m, NULL, 0, 0,
                           NULL, 0, 0);
        for (size_t i = 0; i < m; i++) {
            if (!isfinite(px[i]) || !isfinite(py[i])) {
                *bad_index = base + i;
                snprintf(err, errlen, "point %zu cannot be transformed from %s to %s",
                         base + i + 1, from->code, to->code);
                return REPROJECT_BAD_POINT;
            }
        }
    }
    return REPROJECT_OK;
}

int reproject_points(const struct crs_info *from, const struct crs_info *to, double *x,
                     double *y, size_t n, size_t *bad_index, char *err, size_t errlen)
{
    return reproject_points_flags(from, to, x, y, n, 0, bad_index, err, errlen);
}
