/* Which public counts to withhold so that no count between 1 and min_count - 1 is shown
 * or can be worked out from the counts that are shown. This module promises, for a
 * two-level hierarchy (régions over départements):
 *   - primary suppression: a cell of fewer than min_count sites is hidden; its split
 *     (part, total - part: open and closed sites) is hidden when either side is small;
 *   - secondary suppression: a parent's total minus its shown children's totals is what
 *     the hidden children hold together; while that remainder is small, the shown child
 *     with the fewest sites is hidden too. The same for the split: while a parent's part
 *     (or complement) minus its children's shown parts is small, the smallest child split
 *     still shown is hidden, and the parent's own split when no child's is left;
 *   - zero is never small (it locates nobody); pure function of its input. */
#ifndef RBMAP_TILES_SMALL_COUNTS_H
#define RBMAP_TILES_SMALL_COUNTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct count_cell {
    uint32_t total;    /* sites */
    uint32_t part;     /* open sites; total - part are closed */
    long parent;       /* index among the parents; -1: none */
    bool hidden;       /* out: the cell is withheld */
    bool split_hidden; /* out: part and total - part are withheld */
};

void small_counts_suppress(struct count_cell *parents, size_t n_parents, struct count_cell *children,
                           size_t n_children, uint32_t min_count);

#endif
