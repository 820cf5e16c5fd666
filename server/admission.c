#include "server/admission.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct admission {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    struct admission_stats st;
};

struct admission *admission_create(int workers, int queue_max)
{
    struct admission *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->st.workers = workers > 0 ? workers : 1;
    a->st.queue_max = queue_max > 0 ? queue_max : 0;
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->freed, NULL);
    return a;
}

void admission_destroy(struct admission *a)
{
    if (!a)
        return;
    pthread_mutex_destroy(&a->lock);
    pthread_cond_destroy(&a->freed);
    free(a);
}

int admission_enter(struct admission *a, int wait_ms)
{
    pthread_mutex_lock(&a->lock);
    if (a->st.busy >= a->st.workers) {
        if (a->st.waiting >= a->st.queue_max || wait_ms <= 0) {
            a->st.rejected_full++;
            pthread_mutex_unlock(&a->lock);
            return -1;
        }
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += wait_ms / 1000;
        deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        a->st.waiting++;
        int rc = 0;
        while (a->st.busy >= a->st.workers && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&a->freed, &a->lock, &deadline);
        a->st.waiting--;
        if (a->st.busy >= a->st.workers) {
            a->st.rejected_timeout++;
            pthread_mutex_unlock(&a->lock);
            return -1;
        }
    }
    a->st.busy++;
    a->st.admitted++;
    pthread_mutex_unlock(&a->lock);
    return 0;
}

void admission_leave(struct admission *a)
{
    pthread_mutex_lock(&a->lock);
    a->st.busy--;
    pthread_cond_signal(&a->freed);
    pthread_mutex_unlock(&a->lock);
}

void admission_get_stats(struct admission *a, struct admission_stats *out)
{
    pthread_mutex_lock(&a->lock);
    *out = a->st;
    pthread_mutex_unlock(&a->lock);
}
