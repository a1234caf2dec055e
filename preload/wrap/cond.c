/* cond.c: condition variables. A wait records the condvar, the mutex and
 * the returned error number (ETIMEDOUT), timed around the real call: the
 * analyzer ends the mutex's hold at the wait's start and reopens it at its
 * return. The waits are cancellation points: a thread cancelled inside one
 * has it recorded with ECANCELED by a cleanup handler (lw_cancelled) that
 * also releases the guard; the program's handlers then run as natively.
 * signal and broadcast record the condvar; one with no waiter to wake
 * (glibc's waiter count says so) takes one stamp (duration 0), like an
 * unlock that wakes nobody. */
#define _GNU_SOURCE
#include <pthread.h>

#include "wrap/wrap.h"

LW_WRAP_CANCELLABLE(pthread_cond_wait, LW_F_pthread_cond_wait, (pthread_cond_t * c, pthread_mutex_t *m), (c, m), c, m,
                    lw_put_cond(t, b, c, m, (unsigned)r))
LW_WRAP_CANCELLABLE(pthread_cond_timedwait, LW_F_pthread_cond_timedwait,
                    (pthread_cond_t * c, pthread_mutex_t *m, const struct timespec *ts), (c, m, ts), c, m,
                    lw_put_cond(t, b, c, m, (unsigned)r))
LW_WRAP_CANCELLABLE(pthread_cond_clockwait, LW_F_pthread_cond_clockwait,
                    (pthread_cond_t * c, pthread_mutex_t *m, clockid_t clk, const struct timespec *ts), (c, m, clk, ts),
                    c, m, lw_put_cond(t, b, c, m, (unsigned)r))

/* lw_cond_unwaited: 1 when glibc's waiter reference count of c (bits 3
 * and up of __wrefs) is 0: signal and broadcast then return at once. */
static inline int lw_cond_unwaited(pthread_cond_t *c)
{
    return (__atomic_load_n(&c->__data.__wrefs, __ATOMIC_RELAXED) >> 3) == 0;
}

LW_WRAP_QUICK(int, pthread_cond_signal, LW_F_pthread_cond_signal, (pthread_cond_t * c), (c), lw_cond_unwaited(c),
              lw_put_obj(t, b, c, (unsigned)r, 0))
LW_WRAP_QUICK(int, pthread_cond_broadcast, LW_F_pthread_cond_broadcast, (pthread_cond_t * c), (c), lw_cond_unwaited(c),
              lw_put_obj(t, b, c, (unsigned)r, 0))
