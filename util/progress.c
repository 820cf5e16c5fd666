#include "util/progress.h"

#include <stdio.h>
#include <unistd.h>

static double seconds_between(struct timespec a, struct timespec b)
{
    return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

void progress_start(struct progress *p, const char *label, uint64_t total)
{
    p->label = label;
    p->total = total;
    p->done = 0;
    clock_gettime(CLOCK_MONOTONIC, &p->started);
    p->last_draw = p->started;
    p->tty = isatty(STDERR_FILENO);
}

static void progress_draw(struct progress *p)
{
    enum { WIDTH = 30 };
    if (p->total) {
        int filled = (int)(WIDTH * (p->done > p->total ? p->total : p->done) / p->total);
        fprintf(stderr, "\r%s [", p->label);
        for (int i = 0; i < WIDTH; i++)
            fputc(i < filled ? '#' : '.', stderr);
        fprintf(stderr, "] %llu/%llu", (unsigned long long)p->done, (unsigned long long)p->total);
    } else {
        fprintf(stderr, "\r%s %llu", p->label, (unsigned long long)p->done);
    }
    fflush(stderr);
}

void progress_update(struct progress *p, uint64_t done)
{
    p->done = done;
    if (!p->tty)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (seconds_between(p->last_draw, now) < 0.1 && done != p->total)
        return;
    p->last_draw = now;
    progress_draw(p);
}

void progress_add(struct progress *p, uint64_t n) { progress_update(p, p->done + n); }

double progress_finish(struct progress *p)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double elapsed = seconds_between(p->started, now);
    if (p->tty) {
        progress_draw(p);
        fputc('\n', stderr);
    }
    fprintf(stderr, "%s: %llu in %.1fs\n", p->label, (unsigned long long)p->done, elapsed);
    return elapsed;
}
