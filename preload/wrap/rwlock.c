/* rwlock.c: reader-writer locks (lock family, LOCK schema: the rwlock's
 * address, the returned error number, LW_LOCK_CONTENDED). rdlock, wrlock
 * and their timed and clock variants try the lock first, as mutex.c does:
 * a free lock costs one stamp (duration 0); only a busy one is timed, and
 * flagged contended. tryrdlock/trywrlock say EBUSY exactly where the
 * blocking call would wait or fail (EDEADLK: the caller holds it to write),
 * and the blocking call then gives its own result, so results are
 * unchanged. tryrdlock, trywrlock and unlock are timed around. Under the
 * lone-thread rule (runtime.h) a process-private rwlock found free, and its
 * unlock, are counted instead of recorded. */
#define _GNU_SOURCE
#include <pthread.h>

#include "wrap/wrap.h"

/* lw_ts_ok: clk and ts are what glibc's timed rwlock calls accept. glibc
 * checks a timed variant's clock and timeout before anything else (EINVAL
 * even for a free lock), so a bad one goes straight to the real call
 * instead of being tried first. */
static inline int lw_ts_ok(clockid_t clk, const struct timespec *ts)
{
    return (clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC) && (!ts || (ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000));
}

/* lw_rwlock_lone: the lone-thread rule applies to l (not process-shared). */
static inline int lw_rwlock_lone(pthread_rwlock_t *l) { return lw_lone_ok() && !l->__data.__shared; }

#define P1 (pthread_rwlock_t * l)
#define PT (pthread_rwlock_t * l, const struct timespec *ts)
#define PC (pthread_rwlock_t * l, clockid_t clk, const struct timespec *ts)
LW_WRAP_LOCK(pthread_rwlock_rdlock, pthread_rwlock_tryrdlock, LW_F_pthread_rwlock_rdlock, P1, (l), l, lw_rwlock_lone(l))
LW_WRAP_LOCK(pthread_rwlock_wrlock, pthread_rwlock_trywrlock, LW_F_pthread_rwlock_wrlock, P1, (l), l, lw_rwlock_lone(l))
LW_WRAP_TRYFIRST(pthread_rwlock_timedrdlock, pthread_rwlock_tryrdlock, LW_F_pthread_rwlock_timedrdlock, PT, (l, ts), l,
                 lw_ts_ok(CLOCK_REALTIME, ts), lw_rwlock_lone(l))
LW_WRAP_TRYFIRST(pthread_rwlock_timedwrlock, pthread_rwlock_trywrlock, LW_F_pthread_rwlock_timedwrlock, PT, (l, ts), l,
                 lw_ts_ok(CLOCK_REALTIME, ts), lw_rwlock_lone(l))
LW_WRAP_TRYFIRST(pthread_rwlock_clockrdlock, pthread_rwlock_tryrdlock, LW_F_pthread_rwlock_clockrdlock, PC,
                 (l, clk, ts), l, lw_ts_ok(clk, ts), lw_rwlock_lone(l))
LW_WRAP_TRYFIRST(pthread_rwlock_clockwrlock, pthread_rwlock_trywrlock, LW_F_pthread_rwlock_clockwrlock, PC,
                 (l, clk, ts), l, lw_ts_ok(clk, ts), lw_rwlock_lone(l))
LW_WRAP_LONE(pthread_rwlock_tryrdlock, LW_F_pthread_rwlock_tryrdlock, P1, (l), l, lw_rwlock_lone(l), 0)
LW_WRAP_LONE(pthread_rwlock_trywrlock, LW_F_pthread_rwlock_trywrlock, P1, (l), l, lw_rwlock_lone(l), 0)
LW_WRAP_LONE(pthread_rwlock_unlock, LW_F_pthread_rwlock_unlock, P1, (l), l, lw_rwlock_lone(l), 0)
