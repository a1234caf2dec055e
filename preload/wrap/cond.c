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
#include "wrap/sync.h"

/* LW_COND_WAIT: wait, timedwait, clockwait: c and m are the condvar and
 * mutex among the parameters. */
#define LW_COND_WAIT(name, params, args)                                                                               \
    LW_EXPORT int name params                                                                                          \
    {                                                                                                                  \
        if (LW_UNLIKELY(!real_##name))                                                                                 \
            lw_resolve();                                                                                              \
        struct lw_thread *t = lw_enter();                                                                              \
        if (!t)                                                                                                        \
            return real_##name args;                                                                                   \
        struct lw_pending pd = {t, lw_rdtsc(), c, m, LW_F_##name};                                                     \
        int r;                                                                                                         \
        pthread_cleanup_push(lw_cancelled, &pd);                                                                       \
        r = real_##name args;                                                                                          \
        pthread_cleanup_pop(0);                                                                                        \
        uint64_t t1 = lw_rdtsc();                                                                                      \
        lw_rec_cond(pd.t, LW_F_##name, pd.t0, t1, c, m, (unsigned)r);                                                  \
        return r;                                                                                                      \
    }

LW_COND_WAIT(pthread_cond_wait, (pthread_cond_t * c, pthread_mutex_t *m), (c, m))
LW_COND_WAIT(pthread_cond_timedwait, (pthread_cond_t * c, pthread_mutex_t *m, const struct timespec *ts), (c, m, ts))
LW_COND_WAIT(pthread_cond_clockwait, (pthread_cond_t * c, pthread_mutex_t *m, clockid_t clk, const struct timespec *ts),
             (c, m, clk, ts))

/* lw_cond_unwaited: 1 when glibc's waiter reference count of c (bits 3
 * and up of __wrefs) is 0: signal and broadcast then return at once. */
static inline int lw_cond_unwaited(pthread_cond_t *c)
{
    return (__atomic_load_n(&c->__data.__wrefs, __ATOMIC_RELAXED) >> 3) == 0;
}

/* LW_COND_WAKE: signal and broadcast: timed only when a waiter may wake. */
#define LW_COND_WAKE(name)                                                                                             \
    LW_EXPORT int name(pthread_cond_t *c)                                                                              \
    {                                                                                                                  \
        if (LW_UNLIKELY(!real_##name))                                                                                 \
            lw_resolve();                                                                                              \
        struct lw_thread *t = lw_enter();                                                                              \
        if (!t)                                                                                                        \
            return real_##name(c);                                                                                     \
        uint64_t t0 = lw_rdtsc();                                                                                      \
        if (LW_LIKELY(lw_cond_unwaited(c))) {                                                                          \
            int r = real_##name(c);                                                                                    \
            lw_rec_obj(t, LW_F_##name, t0, t0, c, (unsigned)r, 0);                                                     \
            return r;                                                                                                  \
        }                                                                                                              \
        int r = real_##name(c);                                                                                        \
        uint64_t t1 = lw_rdtsc();                                                                                      \
        lw_rec_obj(t, LW_F_##name, t0, t1, c, (unsigned)r, 0);                                                         \
        return r;                                                                                                      \
    }

LW_COND_WAKE(pthread_cond_signal)
LW_COND_WAKE(pthread_cond_broadcast)
