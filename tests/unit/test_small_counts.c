/* Public suppression of small territory counts (tiles/small_counts.h): primary cells,
 * and the secondary ones that keep a small count from showing up as a difference. */
#include "tiles/small_counts.h"
#include "tests/unit/unit.h"

#define CELL(total, part, parent) {(total), (part), (parent), false, false}

static void test_primary(void)
{
    struct count_cell regions[] = {CELL(30, 10, -1)};
    struct count_cell deps[] = {CELL(4, 0, 0), CELL(26, 10, 0), CELL(0, 0, -1)};
    small_counts_suppress(regions, 1, deps, 3, 5);
    CHECK(deps[0].hidden && deps[0].split_hidden);
    /* 30 - 26 = 4: the hidden département would show by difference, so the smallest
     * shown one goes too (the only one here). */
    CHECK(deps[1].hidden);
    CHECK(!regions[0].hidden && !regions[0].split_hidden);
    CHECK(deps[2].hidden); /* zero sites: no bubble */
}

static void test_difference_is_closed(void)
{
    /* Région of 40: départements 3 (hidden), 6, 12, 19. 40 - 37 = 3 would give the hidden
     * one away: the 6 goes as well, then the remainder is 9. */
    struct count_cell regions[] = {CELL(40, 20, -1)};
    struct count_cell deps[] = {CELL(3, 1, 0), CELL(6, 3, 0), CELL(12, 6, 0), CELL(19, 10, 0)};
    small_counts_suppress(regions, 1, deps, 4, 5);
    CHECK(deps[0].hidden && deps[1].hidden && !deps[2].hidden && !deps[3].hidden);
    uint32_t shown = 0;
    for (int i = 0; i < 4; i++)
        shown += deps[i].hidden ? 0 : deps[i].total;
    CHECK(regions[0].total - shown >= 5);
    /* Splits: the région's 20 open minus the shown splits (6 + 10) = 4: small, so the
     * smallest split still shown (12: 6 open) goes; remainder 10 open, 9 closed. */
    CHECK(deps[2].split_hidden && !deps[3].split_hidden && !regions[0].split_hidden);
}

static void test_splits(void)
{
    /* One département holding the whole région but with a small open part: the same
     * figures at both levels, both splits withheld. */
    struct count_cell regions[] = {CELL(9, 2, -1)};
    struct count_cell deps[] = {CELL(9, 2, 0)};
    small_counts_suppress(regions, 1, deps, 1, 5);
    CHECK(!deps[0].hidden && deps[0].split_hidden && regions[0].split_hidden && !regions[0].hidden);
    /* Région of 20 (10 open): a département of 7 (3 open) has its split withheld; the
     * other's (13: 7 open) would give it away (10 - 7 = 3), so it goes too. */
    struct count_cell r2[] = {CELL(20, 10, -1)};
    struct count_cell d2[] = {CELL(7, 3, 0), CELL(13, 7, 0)};
    small_counts_suppress(r2, 1, d2, 2, 5);
    CHECK(d2[0].split_hidden && d2[1].split_hidden && !r2[0].split_hidden);
    CHECK(!d2[0].hidden && !d2[1].hidden && !r2[0].hidden);
}

static void test_hidden_parent_and_large_counts(void)
{
    struct count_cell regions[] = {CELL(3, 1, -1), CELL(100, 50, -1)};
    struct count_cell deps[] = {CELL(3, 1, 0), CELL(50, 25, 1), CELL(50, 25, 1)};
    small_counts_suppress(regions, 2, deps, 3, 5);
    CHECK(regions[0].hidden && deps[0].hidden);
    CHECK(!regions[1].hidden && !deps[1].hidden && !deps[2].hidden);
    CHECK(!regions[1].split_hidden && !deps[1].split_hidden && !deps[2].split_hidden);
}

int main(void)
{
    RUN(test_primary);
    RUN(test_difference_is_closed);
    RUN(test_splits);
    RUN(test_hidden_parent_and_large_counts);
    return UNIT_REPORT();
}
