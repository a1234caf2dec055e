/* join_barrier.c: pthread_join (the pthread_t as the object) and
 * pthread_barrier_wait, in the sync family (SYNC schema), timed around.
 * join is a cancellation point: a thread cancelled inside has it recorded
 * with ECANCELED (lw_cancelled). The barrier's serial thread
 * (PTHREAD_BARRIER_SERIAL_THREAD) is recorded as err 0 with
 * LW_SYNC_SERIAL. */
#define _GNU_SOURCE
#include <pthread.h>

#include "wrap/wrap.h"

LW_WRAP_CANCELLABLE(pthread_join, LW_F_pthread_join, (pthread_t th, void **ret), (th, ret), (const void *)th, NULL,
                    lw_put_obj(t, b, (const void *)th, (unsigned)r, 0))

/* lw_put_barrier: a barrier wait's result: the serial thread's
 * PTHREAD_BARRIER_SERIAL_THREAD is err 0 with LW_SYNC_SERIAL. */
static inline uint8_t *lw_put_barrier(struct lw_thread *t, uint8_t *b, pthread_barrier_t *bar, int r)
{
    int serial = r == PTHREAD_BARRIER_SERIAL_THREAD;
    return lw_put_obj(t, b, bar, serial ? 0 : (unsigned)r, serial ? LW_SYNC_SERIAL : 0);
}

LW_WRAP(int, pthread_barrier_wait, LW_F_pthread_barrier_wait, (pthread_barrier_t * bar), (bar),
        lw_put_barrier(t, b, bar, r))
