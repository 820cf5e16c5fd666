#include "tiles/mbtiles.h"

#include "db/scope.h"
#include "tiles/layer_catalog.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mbtiles {
    sqlite3 *db;
    sqlite3_stmt *put_tile, *put_meta;
    char *path, *tmp;
    bool overwrite;
};

/* "MPBX": the application_id the MBTiles 1.3 spec suggests, so `file` and tools can
 * tell an MBTiles file from any other SQLite database. */
#define MBTILES_APPLICATION_ID 0x4d504258

/* The temporary file is thrown away on any failure, so SQLite's crash safety inside it
 * buys nothing: no journal and no fsync per page. Durability comes once, at the end
 * (sync_path before the rename). */
static const char *const schema_sql =
    "PRAGMA application_id = 1297105496;"
    "PRAGMA journal_mode = OFF;"
    "PRAGMA synchronous = OFF;"
    "PRAGMA locking_mode = EXCLUSIVE;"
    "PRAGMA cache_size = -65536;"
    "CREATE TABLE metadata (name TEXT, value TEXT);"
    "CREATE UNIQUE INDEX name ON metadata (name);"
    "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);"
    "BEGIN;";

static int fail_sqlite(struct mbtiles *m, const char *what, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s: %s", m->tmp, what, m->db ? sqlite3_errmsg(m->db) : "out of memory");
    return -1;
}

static void discard(struct mbtiles *m)
{
    sqlite3_finalize(m->put_tile);
    sqlite3_finalize(m->put_meta);
    sqlite3_close(m->db);
    if (m->tmp)
        unlink(m->tmp);
    free(m->path);
    free(m->tmp);
    free(m);
}

struct mbtiles *mbtiles_create(const char *path, bool overwrite, char *err, size_t errlen)
{
    if (!overwrite && access(path, F_OK) == 0) {
        snprintf(err, errlen, "%s already exists", path);
        return NULL;
    }
    struct mbtiles *m = calloc(1, sizeof(*m));
    size_t n = strlen(path);
    if (m) {
        m->path = strdup(path);
        m->tmp = malloc(n + 5);
    }
    if (!m || !m->path || !m->tmp) {
        snprintf(err, errlen, "out of memory");
        if (m)
            discard(m);
        return NULL;
    }
    memcpy(m->tmp, path, n);
    memcpy(m->tmp + n, ".tmp", 5);
    m->overwrite = overwrite;
    /* Left over by a run that was killed: it never was a result, so it goes. */
    if (unlink(m->tmp) < 0 && errno != ENOENT) {
        snprintf(err, errlen, "%s: cannot remove a stale temporary file: %s", m->tmp, strerror(errno));
        discard(m);
        return NULL;
    }
    int rc = sqlite3_open_v2(m->tmp, &m->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK || sqlite3_exec(m->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(m->db,
                           "INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)", -1,
                           &m->put_tile, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(m->db, "INSERT OR REPLACE INTO metadata (name, value) VALUES (?, ?)", -1, &m->put_meta,
                           NULL) != SQLITE_OK) {
        fail_sqlite(m, "cannot create", err, errlen);
        discard(m);
        return NULL;
    }
    return m;
}

int mbtiles_put_metadata(struct mbtiles *m, const char *name, const char *value, char *err, size_t errlen)
{
    sqlite3_reset(m->put_meta);
    sqlite3_bind_text(m->put_meta, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(m->put_meta, 2, value, -1, SQLITE_STATIC);
    if (sqlite3_step(m->put_meta) != SQLITE_DONE)
        return fail_sqlite(m, "writing metadata", err, errlen);
    return 0;
}

int mbtiles_put_tile(struct mbtiles *m, int z, uint32_t x, uint32_t y, const void *data, size_t len, char *err,
                     size_t errlen)
{
    if (z < 0 || z > 30 || x >> z || y >> z || len > INT32_MAX) {
        snprintf(err, errlen, "tile %d/%u/%u cannot be stored", z, x, y);
        return -1;
    }
    /* MBTiles counts rows from the south (TMS); XYZ counts them from the north. */
    int64_t tms_row = ((int64_t)1 << z) - 1 - (int64_t)y;
    sqlite3_reset(m->put_tile);
    sqlite3_bind_int(m->put_tile, 1, z);
    sqlite3_bind_int64(m->put_tile, 2, x);
    sqlite3_bind_int64(m->put_tile, 3, tms_row);
    sqlite3_bind_blob(m->put_tile, 4, data, (int)len, SQLITE_STATIC);
    int rc = sqlite3_step(m->put_tile);
    sqlite3_clear_bindings(m->put_tile); /* data belongs to the caller: drop the pointer */
    if (rc != SQLITE_DONE)
        return fail_sqlite(m, "writing a tile", err, errlen);
    return 0;
}

static json_t *vector_layers(const struct mbtiles_vector_info *info)
{
    bool justice = info->scope->kind != SCOPE_PUBLIC && (info->scope->flags & SCOPE_FLAG_JUSTICE);
    json_t *list = json_array();
    for (int i = 0; i < LAYER_COUNT; i++) {
        if (!(info->layers & (1u << i)))
            continue;
        const struct tile_layer_def *def = tile_layer_def((enum tile_layer_id)i);
        json_t *fields = json_object();
        for (size_t f = 0; f < def->n_fields; f++)
            if (!def->fields[f].sensitive || justice)
                json_object_set_new(fields, def->fields[f].name, json_string(field_kind_name(def->fields[f].kind)));
        int minzoom = def->minzoom > info->minzoom ? def->minzoom : info->minzoom;
        int maxzoom = def->maxzoom < info->maxzoom ? def->maxzoom : info->maxzoom;
        json_array_append_new(list, json_pack("{s:s,s:s,s:i,s:i,s:o}", "id", def->name, "description",
                                              def->description, "minzoom", minzoom, "maxzoom", maxzoom, "fields",
                                              fields));
    }
    return list;
}

int mbtiles_put_vector_metadata(struct mbtiles *m, const struct mbtiles_vector_info *info, char *err, size_t errlen)
{
    char names[64] = "", scope[256], minzoom[8], maxzoom[8], bounds[128], center[96], description[512];
    for (int i = 0; i < LAYER_COUNT; i++)
        if (info->layers & (1u << i))
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", *names ? "," : "",
                     tile_layer_def((enum tile_layer_id)i)->name);
    scope_describe(info->scope, scope, sizeof scope);
    snprintf(minzoom, sizeof minzoom, "%d", info->minzoom);
    snprintf(maxzoom, sizeof maxzoom, "%d", info->maxzoom);
    snprintf(bounds, sizeof bounds, "%.10g,%.10g,%.10g,%.10g", info->bounds[0], info->bounds[1], info->bounds[2],
             info->bounds[3]);
    /* A zoom a map opens at: country-wide when the range allows. */
    int center_zoom = info->maxzoom < 5 ? info->maxzoom : info->minzoom > 5 ? info->minzoom : 5;
    snprintf(center, sizeof center, "%.10g,%.10g,%d", info->center[0], info->center[1], center_zoom);
    snprintf(description, sizeof description,
             "rbmap vector tiles (%s) as the scope '%s' sees them: whoever reads this file sees all of it", names,
             scope);
    json_t *doc = json_pack("{s:o}", "vector_layers", vector_layers(info));
    char *json = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!json) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const char *const pairs[][2] = {
        {"name", "rbmap"}, {"format", "pbf"}, {"type", "overlay"}, {"version", "1"}, {"minzoom", minzoom},
        {"maxzoom", maxzoom}, {"bounds", bounds}, {"center", center}, {"json", json},
        {"description", description}, {"attribution", "Résorption-bidonvilles; IGN Admin Express; INSEE COG"},
        {"rbmap:layers", names}, {"rbmap:scope", scope}};
    int rc = 0;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0] && rc == 0; i++)
        rc = mbtiles_put_metadata(m, pairs[i][0], pairs[i][1], err, errlen);
    free(json);
    return rc;
}

/* fsync a file or a directory. */
static int sync_path(const char *path, bool directory)
{
    int fd = open(path, (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Moves tmp to path: a hard link refuses an existing destination atomically; file
 * systems without hard links fall back to check-then-rename. */
static int move_into_place(const struct mbtiles *m, char *err, size_t errlen)
{
    if (m->overwrite) {
        if (rename(m->tmp, m->path) == 0)
            return 0;
    } else if (link(m->tmp, m->path) == 0) {
        unlink(m->tmp);
        return 0;
    } else if (errno == EEXIST || access(m->path, F_OK) == 0) {
        snprintf(err, errlen, "%s appeared while seeding; not replaced", m->path);
        return -1;
    } else if (rename(m->tmp, m->path) == 0) {
        return 0;
    }
    snprintf(err, errlen, "cannot move %s to %s: %s", m->tmp, m->path, strerror(errno));
    return -1;
}

int mbtiles_commit(struct mbtiles *m, char *err, size_t errlen)
{
    /* Indexed after the bulk insert: one sort instead of a B-tree update per tile. */
    if (sqlite3_exec(m->db, "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row); COMMIT;",
                     NULL, NULL, NULL) != SQLITE_OK) {
        fail_sqlite(m, "finishing", err, errlen);
        discard(m);
        return -1;
    }
    sqlite3_finalize(m->put_tile);
    sqlite3_finalize(m->put_meta);
    m->put_tile = m->put_meta = NULL;
    int rc = sqlite3_close(m->db);
    m->db = NULL;
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: closing: %s", m->tmp, sqlite3_errstr(rc));
        discard(m);
        return -1;
    }
    if (sync_path(m->tmp, false) < 0) {
        snprintf(err, errlen, "%s: fsync: %s", m->tmp, strerror(errno));
        discard(m);
        return -1;
    }
    if (move_into_place(m, err, errlen) < 0) {
        discard(m);
        return -1;
    }
    /* The rename itself must reach the disk too, or a crash could bring back the old name. */
    char *dir_copy = strdup(m->path);
    if (dir_copy)
        sync_path(dirname(dir_copy), true);
    free(dir_copy);
    free(m->tmp);
    m->tmp = NULL; /* moved: discard must not unlink it */
    discard(m);
    return 0;
}

void mbtiles_abort(struct mbtiles *m)
{
    if (m)
        discard(m);
}

/* mbtiles_fill: producers make tiles, this thread stores them. */
#define FILL_QUEUE 256  /* tiles waiting for the writer: bounds memory */
#define FILL_THREADS 64

struct fill_item {
    int z;
    uint32_t x, y;
    char *data; /* NULL for an empty tile */
    size_t len;
};

struct fill {
    const struct mbtiles_producer *p;
    pthread_mutex_t lock; /* guards everything below and calls to p->next */
    pthread_cond_t ready, room; /* an item is queued / the queue has room */
    struct fill_item queue[FILL_QUEUE];
    size_t head, len;
    int running; /* producers not yet finished */
    bool stop;   /* a failure: everyone winds down */
    char err[512];
};

/* With the lock held. The first failure's message is the one reported. */
static void fill_fail(struct fill *f, const char *msg)
{
    if (!f->stop)
        snprintf(f->err, sizeof f->err, "%s", msg);
    f->stop = true;
    pthread_cond_broadcast(&f->room);
    pthread_cond_broadcast(&f->ready);
}

static void *fill_producer(void *arg)
{
    struct fill *f = arg;
    struct buf out, scratch;
    buf_init(&out, 64u << 20);
    buf_init(&scratch, 64u << 20);
    struct fill_item item;
    char err[512];
    pthread_mutex_lock(&f->lock);
    while (!f->stop && f->p->next(f->p->ctx, &item.z, &item.x, &item.y)) {
        pthread_mutex_unlock(&f->lock);
        buf_reset(&out);
        int rc = f->p->produce(f->p->ctx, item.z, item.x, item.y, &out, &scratch, err, sizeof err);
        item.data = NULL;
        if (rc == 0 && out.len && !(item.data = buf_detach(&out, &item.len))) {
            snprintf(err, sizeof err, "out of memory");
            rc = -1;
        }
        pthread_mutex_lock(&f->lock);
        if (rc < 0) {
            fill_fail(f, err);
            break;
        }
        while (f->len == FILL_QUEUE && !f->stop)
            pthread_cond_wait(&f->room, &f->lock);
        if (f->stop) {
            free(item.data);
            break;
        }
        f->queue[(f->head + f->len++) % FILL_QUEUE] = item;
        pthread_cond_signal(&f->ready);
    }
    f->running--;
    pthread_cond_broadcast(&f->ready);
    pthread_mutex_unlock(&f->lock);
    buf_free(&out);
    buf_free(&scratch);
    return NULL;
}

int mbtiles_fill(struct mbtiles *m, const struct mbtiles_producer *p, int threads, struct mbtiles_fill_stats *stats,
                 char *err, size_t errlen)
{
    struct fill *f = calloc(1, sizeof(*f));
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memset(stats, 0, sizeof(*stats));
    f->p = p;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->ready, NULL);
    pthread_cond_init(&f->room, NULL);
    pthread_t ids[FILL_THREADS];
    threads = threads < 1 ? 1 : threads > FILL_THREADS ? FILL_THREADS : threads;
    int started = 0;
    f->running = threads;
    for (; started < threads; started++)
        if (pthread_create(&ids[started], NULL, fill_producer, f) != 0) {
            pthread_mutex_lock(&f->lock);
            f->running -= threads - started;
            fill_fail(f, "cannot start threads");
            pthread_mutex_unlock(&f->lock);
            break;
        }
    pthread_mutex_lock(&f->lock);
    for (;;) {
        while (!f->len && f->running)
            pthread_cond_wait(&f->ready, &f->lock);
        if (!f->len)
            break;
        struct fill_item item = f->queue[f->head];
        f->head = (f->head + 1) % FILL_QUEUE;
        f->len--;
        pthread_cond_signal(&f->room);
        bool stopping = f->stop;
        pthread_mutex_unlock(&f->lock);
        /* SQLite outside the lock: producers keep working while a page is written. */
        char werr[512];
        int rc = 0;
        if (item.data && !stopping) {
            rc = mbtiles_put_tile(m, item.z, item.x, item.y, item.data, item.len, werr, sizeof werr);
            stats->written++;
            stats->bytes += item.len;
            stats->largest = item.len > stats->largest ? item.len : stats->largest;
        } else if (!item.data) {
            stats->empty++;
        }
        free(item.data);
        if (p->done && !stopping)
            p->done(p->ctx);
        pthread_mutex_lock(&f->lock);
        if (rc < 0)
            fill_fail(f, werr);
    }
    pthread_mutex_unlock(&f->lock);
    for (int i = 0; i < started; i++)
        pthread_join(ids[i], NULL);
    int rc = f->stop ? -1 : 0;
    if (rc < 0)
        snprintf(err, errlen, "%s", f->err);
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->ready);
    pthread_cond_destroy(&f->room);
    free(f);
    return rc;
}
