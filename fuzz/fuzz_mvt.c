/* The MVT encoder (tiles/mvt.h) driven by the fuzz bytes as a little program: layers,
 * features of each type, points, lines and polygon rings with arbitrary doubles
 * (NaN, infinities, huge values included), values of the seven types with arbitrary
 * keys and strings (invalid UTF-8, NULs), ids, resets and serialisations. The output
 * must then decode with protobuf-c and satisfy the header's promises checked here:
 * tag indices in range, no layer without features. */
#include "fuzz/fuzz_util.h"
#include "tiles/mvt.h"
#include "tiles/vector_tile.pb-c.h"

struct reader {
    const uint8_t *p;
    size_t n;
};

static uint8_t u8(struct reader *r)
{
    if (!r->n)
        return 0;
    r->n--;
    return *r->p++;
}

static void take(struct reader *r, void *out, size_t len)
{
    memset(out, 0, len);
    size_t k = len < r->n ? len : r->n;
    memcpy(out, r->p, k);
    r->p += k, r->n -= k;
}

static double coord(struct reader *r)
{
    uint8_t kind = u8(r);
    if (kind < 200) /* mostly tile-ish coordinates, so geometry survives */
        return (double)(int8_t)u8(r) * 40.0 + (kind & 7) * 0.37;
    double d;
    take(r, &d, sizeof d);
    return d;
}

/* A short string from the input (any bytes), NUL-terminated in buf. */
static const char *text(struct reader *r, char *buf, size_t cap)
{
    size_t len = u8(r) % cap;
    take(r, buf, len);
    buf[len] = '\0';
    return buf;
}

static void check(const uint8_t *bytes, size_t len)
{
    VectorTile__Tile *tile = vector_tile__tile__unpack(NULL, len, bytes);
    if (!tile) {
        fprintf(stderr, "the encoder wrote a tile protobuf-c cannot read\n");
        abort();
    }
    for (size_t i = 0; i < tile->n_layers; i++) {
        VectorTile__Tile__Layer *l = tile->layers[i];
        if (l->version != 2 || l->n_features == 0)
            abort();
        for (size_t j = 0; j < l->n_features; j++) {
            VectorTile__Tile__Feature *f = l->features[j];
            if (f->n_tags % 2 || f->n_geometry == 0)
                abort();
            for (size_t k = 0; k < f->n_tags; k += 2)
                if (f->tags[k] >= l->n_keys || f->tags[k + 1] >= l->n_values)
                    abort();
        }
    }
    vector_tile__tile__free_unpacked(tile, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384)
        return 0;
    struct reader r = {data, size};
    struct mvt_tile *t = mvt_tile_new();
    struct mvt_layer *layer = NULL;
    struct mvt_feature *f = NULL;
    char s1[48], s2[48];
    double xy[2 * 64];
    struct mvt_ring rings[4];
    double ringxy[4][2 * 32];
    int steps = 0;
    while (r.n && steps++ < 2000) {
        uint8_t op = u8(&r);
        switch (op % 12) {
        case 0: {
            uint32_t extent = (uint32_t)u8(&r) << 4;
            struct mvt_layer *l = mvt_tile_add_layer(t, text(&r, s1, sizeof s1), extent);
            if (l)
                layer = l, f = NULL;
            break;
        }
        case 1:
            if (layer)
                f = mvt_layer_begin_feature(layer, (enum mvt_geom_type)(1 + u8(&r) % 3));
            break;
        case 2:
            if (f) {
                double x = coord(&r);
                mvt_feature_add_point(f, x, coord(&r));
            }
            break;
        case 3:
            if (f) {
                size_t n = u8(&r) % 64;
                for (size_t i = 0; i < 2 * n; i++)
                    xy[i] = coord(&r);
                mvt_feature_add_line(f, xy, n);
            }
            break;
        case 4:
            if (f) {
                size_t nr = 1 + u8(&r) % 4;
                for (size_t k = 0; k < nr; k++) {
                    size_t n = u8(&r) % 32;
                    for (size_t i = 0; i < 2 * n; i++)
                        ringxy[k][i] = coord(&r);
                    rings[k] = (struct mvt_ring){ringxy[k], n};
                }
                mvt_feature_add_polygon(f, rings, nr);
            }
            break;
        case 5:
            if (f) {
                struct mvt_value v = {.type = (enum mvt_value_type)(u8(&r) % 7)};
                const char *key = text(&r, s1, sizeof s1);
                switch (v.type) {
                case MVT_STRING:
                    v.v.str.len = u8(&r) % sizeof s2;
                    take(&r, s2, v.v.str.len);
                    v.v.str.ptr = s2;
                    break;
                case MVT_FLOAT: take(&r, &v.v.f, sizeof v.v.f); break;
                case MVT_DOUBLE: take(&r, &v.v.d, sizeof v.v.d); break;
                case MVT_INT:
                case MVT_SINT: take(&r, &v.v.i, sizeof v.v.i); break;
                case MVT_UINT: take(&r, &v.v.u, sizeof v.v.u); break;
                case MVT_BOOL: v.v.b = u8(&r) & 1; break;
                }
                mvt_feature_add_value(f, key, &v);
            }
            break;
        case 6:
            if (f && layer) {
                uint32_t k = mvt_layer_key(layer, text(&r, s1, sizeof s1));
                if (u8(&r) & 1)
                    k = u8(&r); /* indices the layer never handed out */
                struct mvt_value v = {.type = MVT_INT, .v.i = u8(&r)};
                mvt_feature_add_tag(f, k, &v);
            }
            break;
        case 7:
            if (f) {
                uint64_t id;
                take(&r, &id, sizeof id);
                mvt_feature_set_id(f, id);
            }
            break;
        case 8:
            if (f)
                mvt_feature_end(f);
            f = NULL;
            break;
        case 9: {
            size_t len;
            uint8_t *out = mvt_tile_pack(t, &len);
            if (out)
                check(out, len);
            free(out);
            f = NULL; /* serialising ends open features */
            break;
        }
        case 10:
            if (u8(&r) == 0x5a) {
                mvt_tile_reset(t);
                layer = NULL, f = NULL;
            }
            break;
        case 11:
            if (f) {
                const char *key = text(&r, s1, sizeof s1);
                mvt_feature_add_string(f, key, text(&r, s2, sizeof s2));
            }
            break;
        }
    }
    size_t len;
    uint8_t *out = mvt_tile_pack(t, &len);
    if (out)
        check(out, len);
    free(out);
    mvt_tile_destroy(t);
    return 0;
}
