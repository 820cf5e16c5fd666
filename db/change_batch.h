/* The changes gathered during one batch window of the layer sync, from NOTIFY payloads
 * or change-log rows (the same JSON: db/migrations/003 and 005): which site ids to
 * reload, whether actions or everything must be reloaded, and the lon/lat box touched. */
#ifndef RBMAP_DB_CHANGE_BATCH_H
#define RBMAP_DB_CHANGE_BATCH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHANGE_BATCH_MAX_IDS 1000 /* more changes than this in one window: reload everything */

struct change_batch {
    int32_t ids[CHANGE_BATCH_MAX_IDS];
    size_t n_ids;
    bool reload_all;
    bool reload_actions;
    double box[4];
    bool has_box;
};

/* Adds one payload; anything unexpected means "reload all". */
void change_batch_add(struct change_batch *batch, const char *payload);
bool change_batch_pending(const struct change_batch *batch);

#endif
