/* join_barrier.c: pthread_join (the pthread_t as the object) and
 * pthread_barrier_wait, in the sync family (SYNC schema), timed around.
 * join is a cancellation point: a thread cancelled inside has it recorded
 * with ECANCELED. The barrier's serial thread
 * (PTHREAD_BARRIER_SERIAL_THREAD) is recorded as err 0 with
 * LW_SYNC_SERIAL. */
#define _GNU_SOURCE
#include "wrap/sync.h"

LW_EXPORT int pthread_join(pthread_t th, void **ret)
{
    if (LW_UNLIKELY(!real_pthread_join))
        lw_resolve();
    struct lw_thread *t = lw_enter();
    if (!t)
        return real_pthread_join(th, ret);
    struct lw_pending pd = {t, lw_rdtsc(), (const void *)th, NULL, LW_F_pthread_join};
    int r;
    pthread_cleanup_push(lw_cancelled, &pd);
    r = real_pthread_join(th, ret);
    pthread_cleanup_pop(0);
    uint64_t t1 = lw_rdtsc();
    lw_rec_obj(pd.t, LW_F_pthread_join, pd.t0, t1, (const void *)th, (unsigned)r, 0);
    return r;
}

LW_EXPORT int pthread_barrier_wait(pthread_barrier_t *b)
{
    if (LW_UNLIKELY(!real_pthread_barrier_wait))
        lw_resolve();
    struct lw_thread *t = lw_enter();
    if (!t)
        return real_pthread_barrier_wait(b);
    uint64_t t0 = lw_rdtsc();
    int r = real_pthread_barrier_wait(b);
    uint64_t t1 = lw_rdtsc();
    int serial = r == PTHREAD_BARRIER_SERIAL_THREAD;
    lw_rec_obj(t, LW_F_pthread_barrier_wait, t0, t1, b, serial ? 0 : (unsigned)r, serial ? LW_SYNC_SERIAL : 0);
    return r;
}
