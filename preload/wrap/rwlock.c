/* rwlock.c: reader-writer locks (lock family, LOCK schema: the rwlock's
 * address, the returned error number, LW_LOCK_CONTENDED). rdlock, wrlock
 * and their timed and clock variants try the lock first, as mutex.c does:
 * a free lock costs one stamp (duration 0); only a busy one is timed, and
 * flagged contended. tryrdlock/trywrlock say EBUSY exactly where the
 * blocking call would wait or fail (EDEADLK: the caller holds it to write),
 * and the blocking call then gives its own result, so results are
 * unchanged. tryrdlock, trywrlock and unlock are timed around. */
#define _GNU_SOURCE
#include "wrap/sync.h"

/* LW_RW_TRYFIRST: name tried first with try when ok (l is the rwlock).
 * glibc checks a timed variant's clock and timeout before anything else
 * (EINVAL even for a free lock), so a bad one goes straight to the real
 * call. */
#define LW_RW_TRYFIRST(name, try, params, args, ok)                                                                    \
    LW_EXPORT int name params                                                                                          \
    {                                                                                                                  \
        if (LW_UNLIKELY(!real_##name || !real_##try))                                                                  \
            lw_resolve();                                                                                              \
        struct lw_thread *t = lw_enter();                                                                              \
        if (!t)                                                                                                        \
            return real_##name args;                                                                                   \
        uint64_t t0 = lw_rdtsc();                                                                                      \
        int r = (ok) ? real_##try(l) : EBUSY;                                                                          \
        if (LW_LIKELY(r != EBUSY)) {                                                                                   \
            lw_rec_obj(t, LW_F_##name, t0, t0, l, (unsigned)r, 0);                                                     \
            return r;                                                                                                  \
        }                                                                                                              \
        r = real_##name args;                                                                                          \
        uint64_t t1 = lw_rdtsc();                                                                                      \
        lw_rec_obj(t, LW_F_##name, t0, t1, l, (unsigned)r, LW_LOCK_CONTENDED);                                         \
        return r;                                                                                                      \
    }

/* LW_RW_TIMED: timed around the real call. */
#define LW_RW_TIMED(name)                                                                                              \
    LW_EXPORT int name(pthread_rwlock_t *l)                                                                            \
    {                                                                                                                  \
        if (LW_UNLIKELY(!real_##name))                                                                                 \
            lw_resolve();                                                                                              \
        struct lw_thread *t = lw_enter();                                                                              \
        if (!t)                                                                                                        \
            return real_##name(l);                                                                                     \
        uint64_t t0 = lw_rdtsc();                                                                                      \
        int r = real_##name(l);                                                                                        \
        uint64_t t1 = lw_rdtsc();                                                                                      \
        lw_rec_obj(t, LW_F_##name, t0, t1, l, (unsigned)r, 0);                                                         \
        return r;                                                                                                      \
    }

/* lw_ts_ok: clk and ts are what glibc's timed rwlock calls accept. */
static inline int lw_ts_ok(clockid_t clk, const struct timespec *ts)
{
    return (clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC) && (!ts || (ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000));
}

#define P1 (pthread_rwlock_t * l)
#define PT (pthread_rwlock_t * l, const struct timespec *ts)
#define PC (pthread_rwlock_t * l, clockid_t clk, const struct timespec *ts)
LW_RW_TRYFIRST(pthread_rwlock_rdlock, pthread_rwlock_tryrdlock, P1, (l), 1)
LW_RW_TRYFIRST(pthread_rwlock_wrlock, pthread_rwlock_trywrlock, P1, (l), 1)
LW_RW_TRYFIRST(pthread_rwlock_timedrdlock, pthread_rwlock_tryrdlock, PT, (l, ts), lw_ts_ok(CLOCK_REALTIME, ts))
LW_RW_TRYFIRST(pthread_rwlock_timedwrlock, pthread_rwlock_trywrlock, PT, (l, ts), lw_ts_ok(CLOCK_REALTIME, ts))
LW_RW_TRYFIRST(pthread_rwlock_clockrdlock, pthread_rwlock_tryrdlock, PC, (l, clk, ts), lw_ts_ok(clk, ts))
LW_RW_TRYFIRST(pthread_rwlock_clockwrlock, pthread_rwlock_trywrlock, PC, (l, clk, ts), lw_ts_ok(clk, ts))
LW_RW_TIMED(pthread_rwlock_tryrdlock)
LW_RW_TIMED(pthread_rwlock_trywrlock)
LW_RW_TIMED(pthread_rwlock_unlock)
