#include "db/site_store.h"

#include "db/site_query.h"
#include "geo/rtree.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


struct snapshot_impl {
    struct site_snapshot pub;
    atomic_int refs;
    struct site_record **records; /* sorted by id */
    const struct site **sites;    /* the same, as pub.sites shows them */
    struct field_type *field_types;
};

struct site_store {
    pthread_mutex_t lock;       /* guards `current` */
    pthread_mutex_t write_lock; /* one writer at a time builds the next snapshot */
    struct snapshot_impl *current;
    site_snapshot_prepare_fn prepare; /* set under write_lock */
    void *prepare_ctx;
};

static const char *const status_names[SITE_STATUS_COUNT] = {
    "open", "closed_by_justice", "closed_by_pref_admin", "closed_by_city_admin", "resorbed", "other", "unknown"};
static const char *const water_names[WATER_STATUS_COUNT] = {"unknown", "good", "toImprove", "bad"};

const char *site_status_name(enum site_status s) { return s < SITE_STATUS_COUNT ? status_names[s] : "unknown"; }
const char *water_status_name(enum water_status w) { return w < WATER_STATUS_COUNT ? water_names[w] : "unknown"; }

int site_status_parse(const char *text)
{
    for (int i = 0; i < SITE_STATUS_COUNT; i++)
        if (!strcmp(text, status_names[i]))
            return i;
    return -1;
}

/* Days from civil date (proleptic Gregorian), after H. Hinnant's algorithm. */
static int32_t days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int32_t)doe - 719468;
}

int32_t day_from_iso(const char *text)
{
    int y, m, d;
    char tail;
    if (!text || strlen(text) < 10 || sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) < 3)
        return DAY_NONE;
    if (text[4] != '-' || text[7] != '-' || (text[10] && text[10] != ' ' && text[10] != 'T'))
        return DAY_NONE;
    static const int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > month_days[m - 1])
        return DAY_NONE;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap)
        return DAY_NONE;
    return days_from_civil(y, (unsigned)m, (unsigned)d);
}

void day_to_iso(int32_t day, char out[11])
{
    if (day == DAY_NONE) {
        out[0] = '\0';
        return;
    }
    /* civil_from_days, the inverse of days_from_civil above. */
    int32_t z = day + 719468;
    const int32_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    unsigned y = (unsigned)((int32_t)yoe + era * 400 + (m <= 2)) % 10000u;
    const char digits[] = "0123456789";
    char text[11] = {digits[y / 1000], digits[y / 100 % 10], digits[y / 10 % 10], digits[y % 10], '-',
                     digits[m / 10], digits[m % 10], '-', digits[d / 10], digits[d % 10], '\0'};
    memcpy(out, text, sizeof text);
}

static void snapshot_free(struct snapshot_impl *s)
{
    for (size_t i = 0; i < s->pub.count; i++)
        record_release(s->records[i]);
    free(s->records);
    free(s->sites);
    free(s->field_types);
    rtree_free((struct rtree *)s->pub.index);
    free(s);
}

static struct snapshot_impl *snapshot_new(size_t count)
{
    struct snapshot_impl *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->records = calloc(count ? count : 1, sizeof(*s->records));
    s->sites = calloc(count ? count : 1, sizeof(*s->sites));
    if (!s->records || !s->sites) {
        free(s->records);
        free(s->sites);
        free(s);
        return NULL;
    }
    s->pub.sites = s->sites;
    atomic_init(&s->refs, 1);
    s->pub.impl = s;
    return s;
}

static int index_build(struct snapshot_impl *s)
{
    double *xy = malloc((s->pub.count ? s->pub.count : 1) * 2 * sizeof(double));
    if (!xy)
        return -1;
    for (size_t i = 0; i < s->pub.count; i++) {
        xy[2 * i] = s->sites[i]->lon;
        xy[2 * i + 1] = s->sites[i]->lat;
    }
    s->pub.index = rtree_build_points(xy, s->pub.count);
    free(xy);
    return s->pub.index ? 0 : -1;
}

struct site_store *site_store_create(void)
{
    struct site_store *store = calloc(1, sizeof(*store));
    if (!store)
        return NULL;
    store->current = snapshot_new(0);
    if (store->current && index_build(store->current) < 0) {
        snapshot_free(store->current);
        store->current = NULL;
    }
    if (!store->current) {
        free(store);
        return NULL;
    }
    pthread_mutex_init(&store->lock, NULL);
    pthread_mutex_init(&store->write_lock, NULL);
    return store;
}

void site_store_destroy(struct site_store *store)
{
    if (!store)
        return;
    site_store_release(store, &store->current->pub);
    pthread_mutex_destroy(&store->lock);
    pthread_mutex_destroy(&store->write_lock);
    free(store);
}

const struct site_snapshot *site_store_acquire(struct site_store *store)
{
    pthread_mutex_lock(&store->lock);
    struct snapshot_impl *s = store->current;
    atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&store->lock);
    return &s->pub;
}

void site_store_release(struct site_store *store, const struct site_snapshot *snap)
{
    (void)store;
    struct snapshot_impl *s = snap->impl;
    if (atomic_fetch_sub(&s->refs, 1) == 1)
        snapshot_free(s);
}

bool site_fingerprint_equal(const struct site_fingerprint *a, const struct site_fingerprint *b)
{
    return !memcmp(a, b, sizeof(*a));
}

static void fingerprint_compute(struct snapshot_impl *s)
{
    struct site_fingerprint fp = {0};
    for (size_t i = 0; i < s->pub.count; i++) {
        const struct site *site = s->sites[i];
        fp.count++;
        fp.sum_id += site->id;
        fp.sum_lat_e6 += (int64_t)floor(site->lat * 1e6 + 0.5);
        fp.sum_lon_e6 += (int64_t)floor(site->lon * 1e6 + 0.5);
        fp.sum_updated += site->updated_epoch;
        fp.sum_status += (int64_t)(site->id % 1000) * site->status;
    }
    s->pub.fingerprint = fp;
}

void site_store_set_prepare(struct site_store *store, site_snapshot_prepare_fn fn, void *ctx)
{
    pthread_mutex_lock(&store->write_lock);
    store->prepare = fn;
    store->prepare_ctx = ctx;
    pthread_mutex_unlock(&store->write_lock);
}

/* Under write_lock: `current` only changes here. */
static void store_swap(struct site_store *store, struct snapshot_impl *next)
{
    fingerprint_compute(next);
    next->pub.version = store->current->pub.version + 1;
    if (store->prepare)
        store->prepare(&next->pub, store->prepare_ctx);
    pthread_mutex_lock(&store->lock);
    struct snapshot_impl *old = store->current;
    store->current = next;
    pthread_mutex_unlock(&store->lock);
    site_store_release(store, &old->pub);
}

const struct site *site_snapshot_find(const struct site_snapshot *snap, int32_t id)
{
    size_t lo = 0, hi = snap->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (snap->sites[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < snap->count && snap->sites[lo]->id == id ? snap->sites[lo] : NULL;
}

const struct field_type *site_snapshot_field_type(const struct site_snapshot *snap, int32_t id)
{
    for (size_t i = 0; i < snap->n_field_types; i++)
        if (snap->field_types[i].id == id)
            return &snap->field_types[i];
    return NULL;
}

/* Indexes a finished snapshot and makes it current; releases the write lock either way. */
static int publish_locked(struct site_store *store, struct snapshot_impl *next, char *err, size_t errlen)
{
    int rc = 0;
    if (index_build(next) < 0) {
        snapshot_free(next);
        snprintf(err, errlen, "out of memory indexing sites");
        rc = -1;
    } else {
        store_swap(store, next);
    }
    pthread_mutex_unlock(&store->write_lock);
    return rc;
}

static int compare_records_by_id(const void *a, const void *b)
{
    int32_t x = (*(struct site_record *const *)a)->site.id, y = (*(struct site_record *const *)b)->site.id;
    return (x > y) - (x < y);
}

static void snapshot_set(struct snapshot_impl *s, size_t i, struct site_record *r)
{
    s->records[i] = r;
    s->sites[i] = &r->site;
}

static int load_field_types(struct snapshot_impl *s, PGconn *conn, char *err, size_t errlen)
{
    size_t n;
    s->field_types = site_query_field_types(conn, &n, err, errlen);
    if (!s->field_types)
        return -1;
    s->pub.field_types = s->field_types;
    s->pub.n_field_types = n;
    return 0;
}

int site_store_load_all(struct site_store *store, PGconn *conn, char *err, size_t errlen)
{
    struct site_record_list rows;
    if (site_query_rows(conn, NULL, 0, &rows, err, errlen) < 0)
        return -1;
    pthread_mutex_lock(&store->write_lock);
    struct snapshot_impl *next = snapshot_new(rows.count);
    if (!next || load_field_types(next, conn, err, errlen) < 0) {
        if (next)
            snapshot_free(next);
        else
            snprintf(err, errlen, "out of memory loading %zu sites", rows.count);
        pthread_mutex_unlock(&store->write_lock);
        site_record_list_free(&rows);
        return -1;
    }
    qsort(rows.items, rows.count, sizeof(*rows.items), compare_records_by_id);
    for (size_t i = 0; i < rows.count; i++)
        snapshot_set(next, i, rows.items[i]);
    next->pub.count = rows.count;
    rows.count = 0; /* the snapshot owns the records now */
    site_record_list_free(&rows);
    return publish_locked(store, next, err, errlen);
}

static int compare_ids(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int site_store_apply_ids(struct site_store *store, PGconn *conn, const int32_t *ids, size_t n, char *err,
                         size_t errlen)
{
    if (n == 0)
        return 0;
    struct site_record_list rows;
    if (site_query_rows(conn, ids, n, &rows, err, errlen) < 0)
        return -1;
    qsort(rows.items, rows.count, sizeof(*rows.items), compare_records_by_id);
    int32_t *changed = malloc(n * sizeof(*changed));
    if (!changed) {
        site_record_list_free(&rows);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(changed, ids, n * sizeof(*changed));
    qsort(changed, n, sizeof(*changed), compare_ids);

    pthread_mutex_lock(&store->write_lock);
    struct snapshot_impl *cur = store->current; /* stable: only writers swap it */
    struct snapshot_impl *next = snapshot_new(cur->pub.count + rows.count);
    if (!next || load_field_types(next, conn, err, errlen) < 0) {
        if (next)
            snapshot_free(next);
        pthread_mutex_unlock(&store->write_lock);
        free(changed);
        site_record_list_free(&rows);
        return -1;
    }
    /* Merge three sorted sequences: current records, changed ids, fresh rows. A
     * current record whose id changed is dropped; fresh rows take its place. */
    size_t i = 0, j = 0, k = 0, out = 0;
    while (i < cur->pub.count || k < rows.count) {
        int32_t cur_id = i < cur->pub.count ? cur->records[i]->site.id : INT32_MAX;
        int32_t row_id = k < rows.count ? rows.items[k]->site.id : INT32_MAX;
        if (i < cur->pub.count && cur_id <= row_id) {
            while (j < n && changed[j] < cur_id)
                j++;
            bool dropped = j < n && changed[j] == cur_id;
            if (!dropped) {
                atomic_fetch_add(&cur->records[i]->refs, 1);
                snapshot_set(next, out++, cur->records[i]);
            }
            i++;
            continue;
        }
        snapshot_set(next, out++, rows.items[k]);
        rows.items[k++] = NULL;
    }
    next->pub.count = out;
    rows.count = 0;
    site_record_list_free(&rows);
    free(changed);
    return publish_locked(store, next, err, errlen);
}
