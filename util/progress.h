/* A progress bar on stderr for long imports. Silent when stderr is not a terminal,
 * except for a final one-line summary, so that CI logs stay short. */
#ifndef RBMAP_UTIL_PROGRESS_H
#define RBMAP_UTIL_PROGRESS_H
#include <stdint.h>
#include <time.h>

struct progress {
    const char *label;
    uint64_t total; /* 0 when unknown: shows a counter instead of a bar */
    uint64_t done;
    struct timespec started;
    struct timespec last_draw;
    int tty;
};

void progress_start(struct progress *p, const char *label, uint64_t total);
void progress_update(struct progress *p, uint64_t done);
void progress_add(struct progress *p, uint64_t n);
/* Prints "label: N in X.Ys" and returns the elapsed seconds. */
double progress_finish(struct progress *p);

#endif
