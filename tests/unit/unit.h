/* A minimal unit-test harness: CHECK records a failure and carries on; each test binary
 * ends with the line "N passed, N failed" and exits non-zero on any failure. */
#ifndef RBMAP_TESTS_UNIT_H
#define RBMAP_TESTS_UNIT_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_passed, unit_failed, unit_current_failed;

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);             \
            unit_current_failed = 1;                                                      \
        }                                                                                 \
    } while (0)

#define CHECK_STR(a, b)                                                                   \
    do {                                                                                  \
        const char *a_ = (a), *b_ = (b);                                                  \
        if (!a_ || !b_ || strcmp(a_, b_)) {                                               \
            fprintf(stderr, "  FAIL %s:%d: %s == %s (\"%s\" vs \"%s\")\n", __FILE__,      \
                    __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");            \
            unit_current_failed = 1;                                                      \
        }                                                                                 \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                             \
    do {                                                                                  \
        double a_ = (a), b_ = (b);                                                        \
        if (!(fabs(a_ - b_) <= (tol))) {                                                  \
            fprintf(stderr, "  FAIL %s:%d: %s ~ %s (%.6f vs %.6f, tol %g)\n", __FILE__,   \
                    __LINE__, #a, #b, a_, b_, (double)(tol));                             \
            unit_current_failed = 1;                                                      \
        }                                                                                 \
    } while (0)

#define RUN(test)                                                                         \
    do {                                                                                  \
        unit_current_failed = 0;                                                          \
        test();                                                                           \
        if (unit_current_failed) {                                                        \
            unit_failed++;                                                                \
            fprintf(stderr, "not ok %s\n", #test);                                        \
        } else {                                                                          \
            unit_passed++;                                                                \
        }                                                                                 \
    } while (0)

#define UNIT_REPORT()                                                                     \
    (printf("%d passed, %d failed\n", unit_passed, unit_failed), unit_failed ? 1 : 0)

/* The shared reference data (../shared/data beside the repository, or $RBMAP_SHARED_DATA). */
static inline const char *unit_shared_data(void)
{
    const char *dir = getenv("RBMAP_SHARED_DATA");
    return dir && *dir ? dir : "../shared/data";
}

#endif
