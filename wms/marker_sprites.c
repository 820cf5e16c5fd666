#include "wms/marker_sprites.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct sprite_key {
    uint8_t fill[3], ring[3];
    uint16_t fill_alpha, ring_alpha, opacity; /* x1000 */
    uint16_t radius, ring_width;              /* x100 */
    uint8_t phase_x, phase_y;
};

struct sprite {
    bool used;
    struct sprite_key key;
    cairo_surface_t *surface;
    int size;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct sprite table[SPRITE_MAX * 2]; /* open addressing, at most half full */
static size_t count;

void marker_draw(cairo_t *cr, double x, double y, double r, double ring, struct style_color fill,
                 struct style_color ring_color, double opacity)
{
    cairo_new_path(cr);
    cairo_arc(cr, x, y, r, 0, 2 * M_PI);
    cairo_set_source_rgba(cr, fill.r / 255.0, fill.g / 255.0, fill.b / 255.0, fill.alpha * opacity);
    cairo_fill(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
    cairo_arc(cr, x, y, r + ring, 0, 2 * M_PI);
    cairo_new_sub_path(cr);
    cairo_arc(cr, x, y, r, 0, 2 * M_PI);
    cairo_set_source_rgba(cr, ring_color.r / 255.0, ring_color.g / 255.0, ring_color.b / 255.0,
                          ring_color.alpha * opacity);
    cairo_fill(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
}

static uint64_t hash_key(const struct sprite_key *k)
{
    const unsigned char *p = (const unsigned char *)k;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < sizeof *k; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static int sprite_size(double r, double ring) { return (int)ceil(2 * (r + ring)) + 4; }

/* The sprite for key, made when missing; NULL when the table is full or cairo failed. */
static const struct sprite *lookup(const struct sprite_key *key, double r, double ring, struct style_color fill,
                                   struct style_color ring_color, double opacity)
{
    size_t mask = sizeof table / sizeof table[0] - 1;
    pthread_mutex_lock(&lock);
    size_t i = hash_key(key) & mask;
    while (table[i].used && memcmp(&table[i].key, key, sizeof *key))
        i = (i + 1) & mask;
    struct sprite *s = &table[i];
    if (!s->used) {
        if (count >= SPRITE_MAX) {
            pthread_mutex_unlock(&lock);
            return NULL;
        }
        int size = sprite_size(r, ring);
        cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, size, size);
        cairo_t *cr = cairo_create(surface);
        double c = size / 2.0;
        marker_draw(cr, c + (key->phase_x + 0.5) / SPRITE_PHASES, c + (key->phase_y + 0.5) / SPRITE_PHASES, r, ring,
                    fill, ring_color, opacity);
        bool ok = cairo_status(cr) == CAIRO_STATUS_SUCCESS;
        cairo_destroy(cr);
        cairo_surface_flush(surface);
        if (!ok) {
            cairo_surface_destroy(surface);
            pthread_mutex_unlock(&lock);
            return NULL;
        }
        *s = (struct sprite){true, *key, surface, size};
        count++;
    }
    pthread_mutex_unlock(&lock);
    return s; /* never changed nor freed while requests run */
}

void marker_paint(cairo_t *cr, double x, double y, double r, double ring, struct style_color fill,
                  struct style_color ring_color, double opacity)
{
    int size = sprite_size(r, ring);
    double left = x - size / 2.0, top = y - size / 2.0;
    double ox = floor(left), oy = floor(top);
    if (!isfinite(ox) || !isfinite(oy) || fabs(ox) > 1e6 || fabs(oy) > 1e6)
        return;
    struct sprite_key key;
    memset(&key, 0, sizeof key); /* padding too: the key is hashed and compared as bytes */
    key.fill[0] = fill.r, key.fill[1] = fill.g, key.fill[2] = fill.b;
    key.ring[0] = ring_color.r, key.ring[1] = ring_color.g, key.ring[2] = ring_color.b;
    key.fill_alpha = (uint16_t)lround(fill.alpha * 1000);
    key.ring_alpha = (uint16_t)lround(ring_color.alpha * 1000);
    key.opacity = (uint16_t)lround(opacity * 1000);
    key.radius = (uint16_t)lround(r * 100);
    key.ring_width = (uint16_t)lround(ring * 100);
    key.phase_x = (uint8_t)fmin(SPRITE_PHASES - 1, floor((left - ox) * SPRITE_PHASES));
    key.phase_y = (uint8_t)fmin(SPRITE_PHASES - 1, floor((top - oy) * SPRITE_PHASES));
    const struct sprite *s = lookup(&key, r, ring, fill, ring_color, opacity);
    if (!s) {
        marker_draw(cr, x, y, r, ring, fill, ring_color, opacity);
        return;
    }
    cairo_set_source_surface(cr, s->surface, ox, oy);
    cairo_new_path(cr);
    cairo_rectangle(cr, ox, oy, s->size, s->size); /* pixel-aligned: pixman's fast path */
    cairo_fill(cr);
}

void marker_sprites_free(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].used)
            cairo_surface_destroy(table[i].surface);
    memset(table, 0, sizeof table);
    count = 0;
    pthread_mutex_unlock(&lock);
}
