/* Admission control (server/admission.h) and change-batch parsing (db/change_batch.h). */
#include "db/change_batch.h"
#include "server/admission.h"
#include "unit.h"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_admission_refuses_beyond_the_queue(void)
{
    struct admission *a = admission_create(2, 1);
    CHECK(admission_enter(a, 0) == 0);
    CHECK(admission_enter(a, 0) == 0);
    /* Both workers busy, no wait allowed: refused at once. */
    double t = now_s();
    CHECK(admission_enter(a, 0) == -1);
    /* Allowed to wait 100 ms, nobody leaves: refused after the wait. */
    CHECK(admission_enter(a, 100) == -1);
    double waited = now_s() - t;
    CHECK(waited >= 0.09 && waited < 1.0);
    struct admission_stats st;
    admission_get_stats(a, &st);
    CHECK(st.busy == 2 && st.waiting == 0 && st.rejected_full == 1 && st.rejected_timeout == 1 && st.admitted == 2);
    admission_leave(a);
    CHECK(admission_enter(a, 0) == 0);
    admission_leave(a);
    admission_leave(a);
    admission_get_stats(a, &st);
    CHECK(st.busy == 0);
    admission_destroy(a);
}

struct waiter {
    struct admission *a;
    int rc;
};

static void *wait_for_slot(void *arg)
{
    struct waiter *w = arg;
    w->rc = admission_enter(w->a, 2000);
    if (w->rc == 0)
        admission_leave(w->a);
    return NULL;
}

static void test_a_waiting_request_gets_the_freed_worker_and_the_queue_is_bounded(void)
{
    struct admission *a = admission_create(1, 1);
    CHECK(admission_enter(a, 0) == 0);
    struct waiter w = {a, 99};
    pthread_t th;
    pthread_create(&th, NULL, wait_for_slot, &w);
    struct admission_stats st;
    for (int i = 0; i < 200; i++) {
        admission_get_stats(a, &st);
        if (st.waiting == 1)
            break;
        usleep(5000);
    }
    CHECK(st.waiting == 1);
    /* The one queue slot is taken: a third request is refused without waiting. */
    double t = now_s();
    CHECK(admission_enter(a, 2000) == -1);
    CHECK(now_s() - t < 0.5);
    admission_leave(a);
    pthread_join(th, NULL);
    CHECK(w.rc == 0);
    admission_get_stats(a, &st);
    CHECK(st.busy == 0 && st.admitted == 2 && st.rejected_full == 1);
    admission_destroy(a);
}

static void test_change_batch_gathers_ids_boxes_and_bulk(void)
{
    struct change_batch *b = calloc(1, sizeof(*b));
    CHECK(!change_batch_pending(b));
    change_batch_add(b, "{\"kind\":\"site\",\"op\":\"UPDATE\",\"id\":7,\"bbox\":[2,48,2.5,48.5]}");
    change_batch_add(b, "{\"kind\":\"site\",\"op\":\"INSERT\",\"id\":9,\"bbox\":[1,47,1,47]}");
    change_batch_add(b, "{\"kind\":\"action\",\"op\":\"DELETE\",\"id\":3}");
    CHECK(change_batch_pending(b));
    CHECK(b->n_ids == 2 && b->ids[0] == 7 && b->ids[1] == 9);
    CHECK(b->reload_actions && !b->reload_all);
    CHECK(b->has_box && b->box[0] == 1 && b->box[1] == 47 && b->box[2] == 2.5 && b->box[3] == 48.5);
    change_batch_add(b, "{\"kind\":\"site\",\"op\":\"UPDATE\",\"bulk\":true,\"count\":5000}");
    CHECK(b->reload_all);
    memset(b, 0, sizeof(*b));
    change_batch_add(b, "not json");
    CHECK(b->reload_all);
    memset(b, 0, sizeof(*b));
    change_batch_add(b, "{\"kind\":\"site\",\"id\":\"x\"}");
    CHECK(b->reload_all); /* an id that is not a number: reload everything rather than guess */
    memset(b, 0, sizeof(*b));
    for (int i = 0; i <= CHANGE_BATCH_MAX_IDS; i++)
        change_batch_add(b, "{\"kind\":\"site\",\"id\":1}");
    CHECK(b->reload_all && b->n_ids == CHANGE_BATCH_MAX_IDS);
    free(b);
}

int main(void)
{
    RUN(test_admission_refuses_beyond_the_queue);
    RUN(test_a_waiting_request_gets_the_freed_worker_and_the_queue_is_bounded);
    RUN(test_change_batch_gathers_ids_boxes_and_bulk);
    return UNIT_REPORT();
}
