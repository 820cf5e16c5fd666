/* Back-pressure in front of the handlers: at most `workers` requests run at once; up
 * to `queue_max` more wait (each at most wait_ms) for one to finish; anything beyond is
 * refused at once, so that a flood gets fast 503s instead of growing queues and
 * latencies. libmicrohttpd runs workers + queue_max threads, so a waiting request
 * holds a thread, never memory beyond it. */
#ifndef RBMAP_SERVER_ADMISSION_H
#define RBMAP_SERVER_ADMISSION_H

struct admission;

struct admission_stats {
    int workers, queue_max;
    int busy, waiting;
    unsigned long long admitted, rejected_full, rejected_timeout;
};

struct admission *admission_create(int workers, int queue_max);
void admission_destroy(struct admission *a);
/* 0: admitted (call admission_leave after the handler); -1: refused (queue full, or no
 * worker freed within wait_ms). */
int admission_enter(struct admission *a, int wait_ms);
void admission_leave(struct admission *a);
void admission_get_stats(struct admission *a, struct admission_stats *out);

#endif
