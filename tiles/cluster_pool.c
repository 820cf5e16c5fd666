#include "tiles/cluster_pool.h"

#include <pthread.h>
#include <stdbool.h>

/* One worker and one job slot. busy is taken with trylock so that a second build
 * running at the same time never waits for the first: it just runs serially. */
static pthread_once_t started = PTHREAD_ONCE_INIT;
static bool worker_ok;
static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static cluster_pool_fn job_fn;
static void *job_arg;
static bool job_pending, job_done;

static void *worker(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (!job_pending)
            pthread_cond_wait(&wake, &lock);
        job_pending = false;
        cluster_pool_fn fn = job_fn;
        void *arg = job_arg;
        pthread_mutex_unlock(&lock);
        fn(arg);
        pthread_mutex_lock(&lock);
        job_done = true;
        pthread_cond_broadcast(&wake);
    }
    return NULL;
}

static void start_worker(void)
{
    pthread_t t;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr))
        return;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    worker_ok = pthread_create(&t, &attr, worker, NULL) == 0;
    pthread_attr_destroy(&attr);
}

void cluster_pool_both(cluster_pool_fn a, void *arg_a, cluster_pool_fn b, void *arg_b)
{
    pthread_once(&started, start_worker);
    if (!worker_ok || pthread_mutex_trylock(&busy)) {
        a(arg_a);
        b(arg_b);
        return;
    }
    pthread_mutex_lock(&lock);
    job_fn = a;
    job_arg = arg_a;
    job_done = false;
    job_pending = true;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    b(arg_b);
    pthread_mutex_lock(&lock);
    while (!job_done)
        pthread_cond_wait(&wake, &lock);
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&busy);
}
