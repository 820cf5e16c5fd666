#include "tiles/territory_bubbles.h"

#include "tiles/layer_catalog.h"
#include "tiles/small_counts.h"
#include "tiles/tile_math.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const level_names[BUBBLE_LEVELS] = {"region", "departement", "city"};

struct territory_point {
    char code[6];
    bool located; /* reference point known; a territory without one gets no bubble */
    double lon, lat;
    char *name;
};

struct territory_points {
    struct territory_point *items[BUBBLE_LEVELS]; /* each sorted by code (strcmp) */
    size_t n[BUBBLE_LEVELS];
};

/* Arrondissements (fk_main set) are left out: their sites count in the main commune. */
static const char points_sql[] =
    "SELECT 0, code, name, longitude, latitude FROM regions"
    " UNION ALL SELECT 1, code, name, longitude, latitude FROM departements"
    " UNION ALL SELECT 2, code, name, longitude, latitude FROM cities WHERE fk_main IS NULL";

static int compare_point(const void *a, const void *b)
{
    return strcmp(((const struct territory_point *)a)->code, ((const struct territory_point *)b)->code);
}

void territory_points_free(struct territory_points *tp)
{
    if (!tp)
        return;
    for (int l = 0; l < BUBBLE_LEVELS; l++) {
        for (size_t i = 0; i < tp->n[l]; i++)
            free(tp->items[l][i].name);
        free(tp->items[l]);
    }
    free(tp);
}

struct territory_points *territory_points_load(PGconn *conn, char *err, size_t errlen)
{
    PGresult *r = PQexec(conn, points_sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        snprintf(err, errlen, "loading territory points: %s", PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    int rows = PQntuples(r);
    struct territory_points *tp = calloc(1, sizeof(*tp));
    for (int l = 0; tp && l < BUBBLE_LEVELS; l++)
        if (!(tp->items[l] = calloc(rows ? (size_t)rows : 1, sizeof(struct territory_point))))
            goto oom;
    if (!tp)
        goto oom;
    for (int i = 0; i < rows; i++) {
        int l = atoi(PQgetvalue(r, i, 0));
        if (l < 0 || l >= BUBBLE_LEVELS)
            continue;
        struct territory_point *p = &tp->items[l][tp->n[l]];
        snprintf(p->code, sizeof p->code, "%s", PQgetvalue(r, i, 1));
        if (!(p->name = strdup(PQgetvalue(r, i, 2))))
            goto oom;
        tp->n[l]++;
        p->located = !PQgetisnull(r, i, 3) && !PQgetisnull(r, i, 4);
        p->lon = p->located ? strtod(PQgetvalue(r, i, 3), NULL) : 0;
        p->lat = p->located ? strtod(PQgetvalue(r, i, 4), NULL) : 0;
    }
    PQclear(r);
    /* Sorted here, not by ORDER BY: the database's collation need not be strcmp's. */
    for (int l = 0; l < BUBBLE_LEVELS; l++)
        qsort(tp->items[l], tp->n[l], sizeof(struct territory_point), compare_point);
    return tp;
oom:
    PQclear(r);
    territory_points_free(tp);
    snprintf(err, errlen, "out of memory loading territory points");
    return NULL;
}

size_t territory_points_count(const struct territory_points *tp)
{
    return tp ? tp->n[0] + tp->n[1] + tp->n[2] : 0;
}

static long find_point(const struct territory_points *tp, int level, const char *code)
{
    size_t lo = 0, hi = tp->n[level];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(tp->items[level][mid].code, code);
        if (!c)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int territory_bubble_level(int z, const struct scope *scope)
{
    if (z < 0 || z > TERRITORY_CITY_MAXZOOM)
        return -1;
    if (z <= TERRITORY_REGION_MAXZOOM)
        return BUBBLE_REGION;
    /* The public never sees a commune's count: it keeps the département bubbles. */
    if (z <= TERRITORY_DEPARTEMENT_MAXZOOM || scope->kind == SCOPE_PUBLIC)
        return BUBBLE_DEPARTEMENT;
    return BUBBLE_CITY;
}

/* --- aggregates: counts per territory of one (snapshot, filters, counting scope) --- */

struct bubble_counts {
    uint32_t sites;
    uint32_t status[SITE_STATUS_COUNT];
    int64_t population;
};

struct aggregate {
    struct bubble_counts *counts[BUBBLE_LEVELS]; /* parallel to the points of each level */
    uint32_t *used[BUBBLE_LEVELS];               /* indexes with sites, in code order */
    size_t n_used[BUBBLE_LEVELS];
    /* What the public may see of the région and département counts (small_counts.h);
     * parallel to the points of those two levels. */
    struct count_cell *public_cells[BUBBLE_DEPARTEMENT + 1];
    int refs; /* the cache's own (while in a slot) + each request's; under `lock` */
};

static void aggregate_free(struct aggregate *a)
{
    if (!a)
        return;
    for (int l = 0; l < BUBBLE_LEVELS; l++) {
        free(a->counts[l]);
        free(a->used[l]);
    }
    for (int l = 0; l <= BUBBLE_DEPARTEMENT; l++)
        free(a->public_cells[l]);
    free(a);
}

static void count_site(struct aggregate *a, int level, long idx, const struct site *s, int status)
{
    if (idx < 0)
        return; /* a territory imported after the points were loaded: no place to draw it */
    struct bubble_counts *c = &a->counts[level][idx];
    c->sites++;
    c->status[status]++;
    if (s->population > 0)
        c->population += s->population;
}

static int public_min_count = TERRITORY_PUBLIC_MIN_COUNT_DEFAULT; /* atomic: SIGHUP sets it while requests run */

void territory_public_min_count_set(int n)
{
    if (n >= 1)
        __atomic_store_n(&public_min_count, n, __ATOMIC_RELAXED);
}

int territory_public_min_count(void) { return __atomic_load_n(&public_min_count, __ATOMIC_RELAXED); }

/* The public's view: counts withheld where they are small or would give a small one
 * away by difference (région minus its shown départements). */
static void plan_public_view(struct aggregate *a, const struct territory_points *tp)
{
    for (int l = 0; l <= BUBBLE_DEPARTEMENT; l++)
        for (size_t i = 0; i < tp->n[l]; i++) {
            struct count_cell *cell = &a->public_cells[l][i];
            cell->total = a->counts[l][i].sites;
            cell->part = a->counts[l][i].status[SITE_OPEN];
            if (l == BUBBLE_REGION || !cell->total)
                cell->parent = -1;
        }
    small_counts_suppress(a->public_cells[BUBBLE_REGION], tp->n[BUBBLE_REGION], a->public_cells[BUBBLE_DEPARTEMENT],
                          tp->n[BUBBLE_DEPARTEMENT], (uint32_t)territory_public_min_count());
}

/* Whether the public scope is shown this bubble; split: its open/closed counts. */
static bool public_shows(const struct aggregate *a, int level, uint32_t i, bool split)
{
    if (level > BUBBLE_DEPARTEMENT)
        return false;
    const struct count_cell *cell = &a->public_cells[level][i];
    return split ? !cell->split_hidden : !cell->hidden;
}

static struct aggregate *aggregate_build(const struct site_snapshot *snap, const struct site_filter *f,
                                         const struct scope *counting, const struct territory_points *tp)
{
    struct aggregate *a = calloc(1, sizeof(*a));
    for (int l = 0; a && l < BUBBLE_LEVELS; l++) {
        a->counts[l] = calloc(tp->n[l] ? tp->n[l] : 1, sizeof(struct bubble_counts));
        a->used[l] = malloc((tp->n[l] ? tp->n[l] : 1) * sizeof(uint32_t));
        if (!a->counts[l] || !a->used[l] ||
            (l <= BUBBLE_DEPARTEMENT && !(a->public_cells[l] = calloc(tp->n[l] ? tp->n[l] : 1,
                                                                     sizeof(struct count_cell))))) {
            aggregate_free(a);
            return NULL;
        }
    }
    if (!a)
        return NULL;
    for (size_t i = 0; i < snap->count; i++) {
        const struct site *s = snap->sites[i];
        if (!scope_allows_site(counting, s) || !site_filter_match(f, s))
            continue;
        int status = site_status_on(s, f->day);
        if (status < 0 || status >= SITE_STATUS_COUNT)
            continue;
        const char *city = *s->main_city_code ? s->main_city_code : s->city_code;
        long region = find_point(tp, BUBBLE_REGION, s->region_code);
        long departement = find_point(tp, BUBBLE_DEPARTEMENT, s->departement_code);
        count_site(a, BUBBLE_REGION, region, s, status);
        count_site(a, BUBBLE_DEPARTEMENT, departement, s, status);
        count_site(a, BUBBLE_CITY, find_point(tp, BUBBLE_CITY, city), s, status);
        if (departement >= 0)
            a->public_cells[BUBBLE_DEPARTEMENT][departement].parent = region;
    }
    for (int l = 0; l < BUBBLE_LEVELS; l++)
        for (size_t i = 0; i < tp->n[l]; i++)
            if (a->counts[l][i].sites)
                a->used[l][a->n_used[l]++] = (uint32_t)i;
    plan_public_view(a, tp);
    return a;
}

struct slot {
    char key[1200];
    uint64_t version, last_used;
    struct aggregate *agg; /* NULL: free slot */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[TERRITORY_CACHE_ENTRIES];
static uint64_t clock_tick;

static void unref(struct aggregate *a)
{
    if (a && --a->refs == 0)
        aggregate_free(a);
}

static void drop_slot(struct slot *s)
{
    unref(s->agg);
    memset(s, 0, sizeof(*s));
}

/* The sites a scope's bubbles count: the public counts every site (it sees aggregates of
 * all of them, suppressed when small), so it shares the national aggregate. */
static void counting_scope(const struct scope *scope, struct scope *out)
{
    if (scope->kind == SCOPE_PUBLIC)
        scope_national(out, 0);
    else
        *out = *scope;
    out->flags = 0; /* flags change properties, not which sites count */
    out->subject[0] = 0;
}

static void make_key(const struct site_snapshot *snap, const struct site_filter *f, const struct scope *counting,
                     const struct territory_points *tp, char *out, size_t outlen)
{
    char fk[512], sk[600];
    site_filter_key(f, fk, sizeof fk);
    scope_describe(counting, sk, sizeof sk);
    const struct site_fingerprint *fp = &snap->fingerprint;
    /* The public suppression is computed with the aggregate: a new public_min_count is a new key. */
    snprintf(out, outlen, "%llu:%lld:%lld:%lld:%p:%d|%s|%s", (unsigned long long)snap->version, (long long)fp->count,
             (long long)fp->sum_id, (long long)fp->sum_updated, (const void *)tp, territory_public_min_count(), fk, sk);
}

/* The aggregate for this request, built when missing; two requests racing on a missing
 * key may both build it (the loser's copy is dropped): simpler than waiting, and rare. */
static struct aggregate *aggregate_acquire(const struct site_snapshot *snap, const struct site_filter *f,
                                           const struct scope *scope, const struct territory_points *tp)
{
    struct scope counting;
    counting_scope(scope, &counting);
    char key[1200];
    make_key(snap, f, &counting, tp, key, sizeof key);
    pthread_mutex_lock(&lock);
    for (int i = 0; i < TERRITORY_CACHE_ENTRIES; i++)
        if (slots[i].agg && !strcmp(slots[i].key, key)) {
            slots[i].agg->refs++;
            slots[i].last_used = ++clock_tick;
            struct aggregate *hit = slots[i].agg;
            pthread_mutex_unlock(&lock);
            return hit;
        }
    pthread_mutex_unlock(&lock);
    struct aggregate *a = aggregate_build(snap, f, &counting, tp);
    if (!a)
        return NULL;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < TERRITORY_CACHE_ENTRIES; i++)
        if (slots[i].agg && !strcmp(slots[i].key, key)) { /* another request built it meanwhile */
            slots[i].agg->refs++;
            struct aggregate *hit = slots[i].agg;
            pthread_mutex_unlock(&lock);
            aggregate_free(a);
            return hit;
        }
    a->refs = 2; /* the caller's and the cache's */
    struct slot *victim = NULL;
    for (int i = 0; i < TERRITORY_CACHE_ENTRIES; i++)
        if (slots[i].agg && slots[i].version < snap->version)
            drop_slot(&slots[i]); /* older data: never asked for again */
    for (int i = 0; i < TERRITORY_CACHE_ENTRIES; i++) {
        struct slot *s = &slots[i];
        if (!s->agg) {
            victim = s;
            break;
        }
        if (!victim || s->last_used < victim->last_used)
            victim = s;
    }
    drop_slot(victim);
    snprintf(victim->key, sizeof victim->key, "%s", key);
    victim->version = snap->version;
    victim->last_used = ++clock_tick;
    victim->agg = a;
    pthread_mutex_unlock(&lock);
    return a;
}

static void aggregate_release(struct aggregate *a)
{
    pthread_mutex_lock(&lock);
    unref(a);
    pthread_mutex_unlock(&lock);
}

void territory_cache_clear(void)
{
    pthread_mutex_lock(&lock);
    for (int i = 0; i < TERRITORY_CACHE_ENTRIES; i++)
        drop_slot(&slots[i]);
    pthread_mutex_unlock(&lock);
}

/* --- encoding --- */

static void encode_bubble(struct mvt_layer *layer, const struct territory_bubble *b, double px, double py)
{
    struct mvt_feature *f = mvt_layer_begin_feature(layer, MVT_POINT);
    if (!f)
        return;
    mvt_feature_add_point(f, px, py);
    mvt_feature_add_string(f, "level", b->level_name);
    mvt_feature_add_string(f, "code", b->code);
    mvt_feature_add_string(f, "name", b->name);
    mvt_feature_add_uint(f, "sites", b->sites);
    if (b->population_shown)
        mvt_feature_add_uint(f, "population", (uint64_t)b->population);
    if (b->split_shown) {
        mvt_feature_add_uint(f, "status_open", b->open);
        mvt_feature_add_uint(f, "status_closed", b->closed);
    }
    if (b->status) {
        char key[48];
        for (int s = 0; s < SITE_STATUS_COUNT; s++) {
            snprintf(key, sizeof key, "status_%s", site_status_name((enum site_status)s));
            mvt_feature_add_uint(f, key, b->status[s]);
        }
    }
    mvt_feature_end(f);
}

/* A territory filter below the département (territory=city:… or epci:…) would turn a
 * public département bubble into a commune's count, and a field type or date filter
 * would let two public answers be subtracted (a day's count minus another day's gives
 * the few sites that opened or closed between): the public gets nothing then. A status
 * filter is still allowed (the public map shows open sites); see docs/access.md. */
static bool public_filter_too_fine(const struct site_filter *f)
{
    if (f->n_field_types || f->day != DAY_NONE)
        return true;
    for (size_t i = 0; i < f->n_territories; i++)
        if (f->territories[i].level == TERRITORY_CITY || f->territories[i].level == TERRITORY_EPCI)
            return true;
    return false;
}

/* What a public status filter asks for, answered from the unfiltered aggregate so that
 * the filtered count is one side of a split the public is shown anyway: a filtered
 * aggregate would show a bubble's open count where the closed part (total minus open)
 * is 1-4 sites and so give it away. Only open, closed (every closing status) or both
 * are answered; a single closing reason or `resorbed` gets nothing. */
enum public_part { PART_ALL, PART_OPEN, PART_CLOSED, PART_REFUSED };

static enum public_part public_part_of(const struct site_filter *f)
{
    if (!f->has_status)
        return PART_ALL;
    unsigned open = 1u << SITE_OPEN, closed = ((1u << SITE_STATUS_COUNT) - 1) & ~open;
    if (f->want_resorbed)
        return PART_REFUSED;
    if (f->status_mask == (open | closed))
        return PART_ALL;
    if (f->status_mask == open)
        return PART_OPEN;
    if (f->status_mask == closed)
        return PART_CLOSED;
    return PART_REFUSED;
}

/* The counts the public is given of bubble i under `part`; false when it gets no bubble. */
static bool public_view(const struct aggregate *a, int level, uint32_t i, enum public_part part,
                        struct territory_bubble *b)
{
    if (!public_shows(a, level, i, part != PART_ALL))
        return false;
    b->split_shown = public_shows(a, level, i, true);
    b->population_shown = part == PART_ALL; /* no per-status population: it would be a small part's */
    if (part == PART_OPEN) {
        b->sites = b->open;
        b->closed = 0;
    } else if (part == PART_CLOSED) {
        b->sites = b->closed;
        b->open = 0;
    }
    return b->sites > 0;
}

/* A public territory filter (région or département) chooses bubbles of the unfiltered
 * aggregate, so that a région bubble never becomes one département's count (a
 * département withheld by the secondary suppression would show as its région). */
static bool public_territory_selects(const struct aggregate *a, const struct territory_points *tp,
                                     const struct site_filter *f, int level, uint32_t i)
{
    if (!f->n_territories)
        return true;
    const char *code = tp->items[level][i].code;
    long parent = level == BUBBLE_DEPARTEMENT ? a->public_cells[BUBBLE_DEPARTEMENT][i].parent : -1;
    for (size_t k = 0; k < f->n_territories; k++) {
        const struct territory_ref *t = &f->territories[k];
        if (t->level == TERRITORY_REGION && level == BUBBLE_REGION && !strcmp(t->code, code))
            return true;
        if (t->level == TERRITORY_REGION && parent >= 0 && !strcmp(t->code, tp->items[BUBBLE_REGION][parent].code))
            return true;
        if (t->level == TERRITORY_DEPARTEMENT && level == BUBBLE_DEPARTEMENT && !strcmp(t->code, code))
            return true;
    }
    return false;
}

/* The aggregate a request reads: a public one drops its status and territory filters
 * (public_part_of, public_territory_selects). */
static struct aggregate *acquire_for(const struct site_snapshot *snap, const struct site_filter *f,
                                     const struct scope *scope, const struct territory_points *tp)
{
    if (scope->kind != SCOPE_PUBLIC)
        return aggregate_acquire(snap, f, scope, tp);
    struct site_filter unfiltered = *f;
    unfiltered.has_status = false;
    unfiltered.status_mask = 0;
    unfiltered.want_resorbed = false;
    unfiltered.n_territories = 0;
    return aggregate_acquire(snap, &unfiltered, scope, tp);
}

/* Bubble i of `level` as this scope sees it; false when it sees none. */
static bool bubble_view(const struct aggregate *a, const struct territory_points *tp, int level, uint32_t i,
                        const struct scope *scope, const struct site_filter *f, enum public_part part,
                        struct territory_bubble *b)
{
    const struct territory_point *p = &tp->items[level][i];
    const struct bubble_counts *c = &a->counts[level][i];
    bool public_scope = scope->kind == SCOPE_PUBLIC;
    *b = (struct territory_bubble){
        .level = level, .level_name = level_names[level], .code = p->code, .name = p->name,
        .lon = p->lon, .lat = p->lat, .sites = c->sites, .population = c->population,
        .open = c->status[SITE_OPEN], .closed = c->sites - c->status[SITE_OPEN],
        .status = public_scope ? NULL : c->status, .split_shown = true, .population_shown = true,
    };
    if (!p->located)
        return false;
    return !public_scope || (public_territory_selects(a, tp, f, level, i) && public_view(a, level, i, part, b));
}

int territory_layer_render(const struct tile_request *rq, const struct tile_sources *src, struct mvt_tile *tile,
                           size_t *features)
{
    *features = 0;
    int level = territory_bubble_level(rq->z, rq->scope);
    const struct territory_points *tp = src->territories;
    bool public_scope = rq->scope->kind == SCOPE_PUBLIC;
    enum public_part part = public_scope ? public_part_of(rq->filter) : PART_ALL;
    if (level < 0 || !tp || (public_scope && (public_filter_too_fine(rq->filter) || part == PART_REFUSED)))
        return 0;
    struct aggregate *a = acquire_for(src->sites, rq->filter, rq->scope, tp);
    if (!a)
        return -1;
    struct mvt_layer *layer = NULL;
    int rc = 0;
    for (size_t k = 0; k < a->n_used[level]; k++) {
        struct territory_bubble b;
        if (!bubble_view(a, tp, level, a->used[level][k], rq->scope, rq->filter, part, &b))
            continue;
        double px, py;
        if (!tile_lonlat_to_pixel(rq->z, rq->x, rq->y, TILE_EXTENT, b.lon, b.lat, &px, &py) ||
            px < -TERRITORY_BUBBLE_BUFFER || px > TILE_EXTENT + TERRITORY_BUBBLE_BUFFER ||
            py < -TERRITORY_BUBBLE_BUFFER || py > TILE_EXTENT + TERRITORY_BUBBLE_BUFFER)
            continue;
        if (!layer && !(layer = mvt_tile_add_layer(tile, "territories", TILE_EXTENT))) {
            rc = -1;
            break;
        }
        encode_bubble(layer, &b, px, py);
    }
    *features = layer ? mvt_layer_feature_count(layer) : 0;
    aggregate_release(a);
    return rc;
}

int territory_bubbles_visit(const struct site_snapshot *snap, const struct territory_points *tp,
                            const struct site_filter *f, const struct scope *scope, int level,
                            bool (*visit)(const struct territory_bubble *b, void *arg), void *arg)
{
    bool public_scope = scope->kind == SCOPE_PUBLIC;
    enum public_part part = public_scope ? public_part_of(f) : PART_ALL;
    if (!tp || level < 0 || level >= BUBBLE_LEVELS ||
        (public_scope && (level == BUBBLE_CITY || public_filter_too_fine(f) || part == PART_REFUSED)))
        return 0;
    struct aggregate *a = acquire_for(snap, f, scope, tp);
    if (!a)
        return -1;
    for (size_t k = 0; k < a->n_used[level]; k++) {
        struct territory_bubble b;
        if (!bubble_view(a, tp, level, a->used[level][k], scope, f, part, &b))
            continue;
        if (!visit(&b, arg))
            break;
    }
    aggregate_release(a);
    return 0;
}
