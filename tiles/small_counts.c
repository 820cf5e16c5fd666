#include "tiles/small_counts.h"

static bool is_small(uint32_t n, uint32_t min_count) { return n > 0 && n < min_count; }

static void primary(struct count_cell *cells, size_t n, uint32_t min_count)
{
    for (size_t i = 0; i < n; i++) {
        struct count_cell *c = &cells[i];
        c->hidden = c->total < min_count;
        c->split_hidden = c->hidden || is_small(c->part, min_count) || is_small(c->total - c->part, min_count);
    }
}

/* What the parent's shown figures say about its hidden children together. */
struct remainder {
    uint32_t total, part, rest;
};

static struct remainder remainder_of(const struct count_cell *parent, long p, const struct count_cell *children,
                                     size_t n_children)
{
    struct remainder r = {parent->total, parent->part, parent->total - parent->part};
    for (size_t i = 0; i < n_children; i++) {
        const struct count_cell *c = &children[i];
        if (c->parent != p)
            continue;
        if (!c->hidden)
            r.total -= c->total;
        if (!c->split_hidden) {
            r.part -= c->part;
            r.rest -= c->total - c->part;
        }
    }
    return r;
}

/* The shown child of p with the fewest sites (its split shown when want_split); -1 if none. */
static long smallest_child(const struct count_cell *children, size_t n_children, long p, bool want_split)
{
    long best = -1;
    for (size_t i = 0; i < n_children; i++) {
        const struct count_cell *c = &children[i];
        if (c->parent != p || (want_split ? c->split_hidden : c->hidden))
            continue;
        if (best < 0 || c->total < children[best].total)
            best = (long)i;
    }
    return best;
}

void small_counts_suppress(struct count_cell *parents, size_t n_parents, struct count_cell *children,
                           size_t n_children, uint32_t min_count)
{
    primary(parents, n_parents, min_count);
    primary(children, n_children, min_count);
    for (size_t p = 0; p < n_parents; p++) {
        struct count_cell *parent = &parents[p];
        if (parent->hidden)
            continue; /* nothing shown to subtract from */
        for (;;) {
            struct remainder r = remainder_of(parent, (long)p, children, n_children);
            if (!is_small(r.total, min_count))
                break;
            long c = smallest_child(children, n_children, (long)p, false);
            if (c < 0)
                break; /* cannot happen: with no child shown the remainder is the parent's total */
            children[c].hidden = children[c].split_hidden = true;
        }
        while (!parent->split_hidden) {
            struct remainder r = remainder_of(parent, (long)p, children, n_children);
            if (!is_small(r.part, min_count) && !is_small(r.rest, min_count))
                break;
            long c = smallest_child(children, n_children, (long)p, true);
            if (c < 0)
                parent->split_hidden = true;
            else
                children[c].split_hidden = true;
        }
    }
}
