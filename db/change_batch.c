#include "db/change_batch.h"

#include <jansson.h>
#include <string.h>

static void extend_box(struct change_batch *batch, const double b[4])
{
    if (!batch->has_box) {
        memcpy(batch->box, b, sizeof batch->box);
        batch->has_box = true;
        return;
    }
    batch->box[0] = b[0] < batch->box[0] ? b[0] : batch->box[0];
    batch->box[1] = b[1] < batch->box[1] ? b[1] : batch->box[1];
    batch->box[2] = b[2] > batch->box[2] ? b[2] : batch->box[2];
    batch->box[3] = b[3] > batch->box[3] ? b[3] : batch->box[3];
}

void change_batch_add(struct change_batch *batch, const char *payload)
{
    json_t *doc = json_loads(payload, 0, NULL);
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    json_t *id = json_object_get(doc, "id");
    json_t *bbox = json_object_get(doc, "bbox");
    if (!doc || !kind || json_is_true(json_object_get(doc, "bulk"))) {
        batch->reload_all = true;
    } else if (!strcmp(kind, "site")) {
        if (!json_is_integer(id) || batch->n_ids == CHANGE_BATCH_MAX_IDS)
            batch->reload_all = true;
        else
            batch->ids[batch->n_ids++] = (int32_t)json_integer_value(id);
    } else if (!strcmp(kind, "action")) {
        batch->reload_actions = true;
    }
    if (json_is_array(bbox) && json_array_size(bbox) == 4) {
        double b[4];
        for (int i = 0; i < 4; i++)
            b[i] = json_number_value(json_array_get(bbox, (size_t)i));
        extend_box(batch, b);
    }
    json_decref(doc);
}

bool change_batch_pending(const struct change_batch *batch)
{
    return batch->reload_all || batch->reload_actions || batch->n_ids || batch->has_box;
}
