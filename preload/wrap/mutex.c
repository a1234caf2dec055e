/* mutex.c: pthread mutexes. Each call records the mutex address and the
 * returned error number (EBUSY from trylock, ETIMEDOUT from timedlock).
 * lock and timedlock try the mutex first: a free mutex costs one stamp (the
 * record's duration is 0); only a busy one is timed around the real call,
 * and its record carries LW_LOCK_CONTENDED. trylock returns what lock would
 * for every mutex type except EBUSY (errorcheck: the caller's own mutex;
 * lock then says EDEADLK, and the record is flagged contended: the mutex
 * was not free), so results are unchanged. Under the lone-thread rule
 * (runtime.h) a lock, trylock or unlock of a process-private mutex that
 * returns 0 is counted instead of recorded (timedlock: once the try found
 * it free). lw_lone_failed, for every family of locks, records a call of
 * that path that failed. */
#define _GNU_SOURCE
#include <pthread.h>

#include "wrap/wrap.h"

/* glibc's kind bits (nptl/pthreadP.h): robust 16, priority-inherit 32,
 * priority-protect 64, process-shared 128. */
#define LW_MUTEX_KIND_ODD    (16 | 32 | 64)
#define LW_MUTEX_KIND_SHARED 128

void lw_lone_failed(unsigned f, const void *o, unsigned err, unsigned flags)
{
    struct lw_thread *t = lw_wrap_enter(1);
    if (!t)
        return;
    uint64_t t0 = lw_rdtsc();
    lw_wrap_obj(t, f, t0, t0, o, err, flags);
}

/* lw_mutex_lone: the lone-thread rule applies to m: the process has one
 * thread and m is not process-shared (another process may hold it). */
static inline int lw_mutex_lone(pthread_mutex_t *m)
{
    return lw_lone_ok() && !(m->__data.__kind & LW_MUTEX_KIND_SHARED);
}

LW_WRAP_LOCK(pthread_mutex_lock, pthread_mutex_trylock, LW_F_pthread_mutex_lock, (pthread_mutex_t * m), (m), m,
             lw_mutex_lone(m))
LW_WRAP_TRYFIRST(pthread_mutex_timedlock, pthread_mutex_trylock, LW_F_pthread_mutex_timedlock,
                 (pthread_mutex_t * m, const struct timespec *ts), (m, ts), m, 1, lw_mutex_lone(m))
LW_WRAP_LONE(pthread_mutex_trylock, LW_F_pthread_mutex_trylock, (pthread_mutex_t * m), (m), m, lw_mutex_lone(m), 0)

/* lw_mutex_unwaited: 1 when glibc's lock word of m says locked with no
 * waiter (1; a waiter sets 2), for the plain, recursive, errorcheck and
 * adaptive kinds (not robust, priority-inherit or -protect, whose words
 * mean something else). Unlocking such a mutex wakes nobody. */
static inline int lw_mutex_unwaited(pthread_mutex_t *m)
{
    return (m->__data.__kind & LW_MUTEX_KIND_ODD) == 0 && __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED) == 1;
}

/* unlock: timed around the real call only when a waiter may have to be
 * woken; an unlock that wakes nobody costs one stamp (duration 0), like a
 * lock that found the mutex free. A waiter arriving between the look and
 * the unlock makes a rare unlock recorded as 0 that did wake someone. */
LW_WRAP_LONE(pthread_mutex_unlock, LW_F_pthread_mutex_unlock, (pthread_mutex_t * m), (m), m, lw_mutex_lone(m),
             lw_mutex_unwaited(m))
