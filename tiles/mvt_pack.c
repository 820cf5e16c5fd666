/* Output of the MVT encoder: the layers as protobuf-c messages pointing into the
 * encoder's own arrays (nothing is copied per feature), packed by protobuf-c. */
#include "tiles/mvt_impl.h"
#include "tiles/vector_tile.pb-c.h"
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

/* The protobuf-c view of one layer: arrays pointing into the layer's own storage. */
struct layer_view {
    VectorTile__Tile__Layer msg;
    char **keys;
    VectorTile__Tile__Value *values, **value_ptrs;
    VectorTile__Tile__Feature *feats, **feat_ptrs;
};

static void view_free(struct layer_view *v)
{
    free(v->keys);
    free(v->values);
    free(v->value_ptrs);
    free(v->feats);
    free(v->feat_ptrs);
}

static bool view_build(struct mvt_layer *l, struct layer_view *v)
{
    memset(v, 0, sizeof *v);
    vector_tile__tile__layer__init(&v->msg);
    size_t nk = l->keys.n, nv = l->values.n, nf = l->nfeats;
    v->keys = malloc((nk ? nk : 1) * sizeof *v->keys);
    v->values = malloc((nv ? nv : 1) * sizeof *v->values);
    v->value_ptrs = malloc((nv ? nv : 1) * sizeof *v->value_ptrs);
    v->feats = malloc(nf * sizeof *v->feats);
    v->feat_ptrs = malloc(nf * sizeof *v->feat_ptrs);
    if (!v->keys || !v->values || !v->value_ptrs || !v->feats || !v->feat_ptrs)
        return false;
    for (size_t i = 0; i < nk; i++)
        v->keys[i] = (char *)l->keys.e[i].str;
    for (size_t i = 0; i < nv; i++) {
        const struct mvt_entry *e = &l->values.e[i];
        VectorTile__Tile__Value *pv = &v->values[i];
        vector_tile__tile__value__init(pv);
        switch ((enum mvt_value_type)e->type) {
        case MVT_STRING: pv->string_value = (char *)e->str; break;
        case MVT_FLOAT: {
            uint32_t b32 = (uint32_t)e->bits;
            pv->has_float_value = 1;
            memcpy(&pv->float_value, &b32, sizeof b32);
            break;
        }
        case MVT_DOUBLE:
            pv->has_double_value = 1;
            memcpy(&pv->double_value, &e->bits, sizeof e->bits);
            break;
        case MVT_INT:
            pv->has_int_value = 1;
            pv->int_value = (int64_t)e->bits;
            break;
        case MVT_UINT:
            pv->has_uint_value = 1;
            pv->uint_value = e->bits;
            break;
        case MVT_SINT:
            pv->has_sint_value = 1;
            pv->sint_value = (int64_t)e->bits;
            break;
        case MVT_BOOL:
            pv->has_bool_value = 1;
            pv->bool_value = e->bits != 0;
            break;
        }
        v->value_ptrs[i] = pv;
    }
    VectorTile__Tile__Feature proto;
    vector_tile__tile__feature__init(&proto);
    for (size_t i = 0; i < nf; i++) {
        const struct mvt_feat_rec *r = &l->feats[i];
        VectorTile__Tile__Feature *pf = &v->feats[i];
        *pf = proto;
        pf->has_id = r->has_id;
        pf->id = r->id;
        pf->n_tags = r->tags_len;
        pf->tags = r->tags_len ? l->tags.v + r->tags_off : NULL;
        pf->has_type = 1;
        pf->type = (VectorTile__Tile__GeomType)r->type;
        pf->n_geometry = r->geom_len;
        pf->geometry = l->geom.v + r->geom_off;
        v->feat_ptrs[i] = pf;
    }
    v->msg.version = 2;
    v->msg.name = l->name;
    v->msg.n_features = nf;
    v->msg.features = v->feat_ptrs;
    v->msg.n_keys = nk;
    v->msg.keys = v->keys;
    v->msg.n_values = nv;
    v->msg.values = v->value_ptrs;
    v->msg.has_extent = 1;
    v->msg.extent = l->extent;
    return true;
}

/* Packs into a malloc'd array (non-NULL even when empty). */
static uint8_t *pack(struct mvt_tile *t, size_t *len)
{
    for (struct mvt_layer *l = t->first; l; l = l->next)
        if (l->cur.open)
            mvt_feature_end(&l->cur);
    if (t->failed)
        return NULL;
    size_t n = 0;
    for (struct mvt_layer *l = t->first; l; l = l->next)
        n += l->nfeats > 0;
    struct layer_view *views = calloc(n ? n : 1, sizeof *views);
    VectorTile__Tile__Layer **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    uint8_t *out = NULL;
    bool ok = views && ptrs;
    size_t i = 0;
    for (struct mvt_layer *l = t->first; ok && l; l = l->next) {
        if (!l->nfeats)
            continue;
        ok = view_build(l, &views[i]);
        ptrs[i] = &views[i].msg;
        i++;
    }
    if (ok) {
        VectorTile__Tile tile;
        vector_tile__tile__init(&tile);
        tile.n_layers = n;
        tile.layers = ptrs;
        size_t size = vector_tile__tile__get_packed_size(&tile);
        out = malloc(size ? size : 1);
        if (out)
            *len = vector_tile__tile__pack(&tile, out);
    }
    for (size_t j = 0; views && j < i; j++)
        view_free(&views[j]);
    free(views);
    free(ptrs);
    if (!out)
        t->failed = true;
    return out;
}

uint8_t *mvt_tile_pack(struct mvt_tile *t, size_t *len)
{
    *len = 0;
    return pack(t, len);
}

bool mvt_tile_serialize(struct mvt_tile *t, struct buf *out)
{
    size_t len = 0;
    uint8_t *data = pack(t, &len);
    if (!data)
        return false;
    size_t before = out->len;
    bool ok = buf_append(out, data, len);
    free(data);
    if (!ok)
        out->len = before;
    return ok;
}
