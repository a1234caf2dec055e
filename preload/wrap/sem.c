/* sem.c: POSIX semaphores (sync family, SYNC schema: the semaphore's
 * address and, for a failed call, errno: EAGAIN from trywait, ETIMEDOUT,
 * EINTR). Every call but an unwaited sem_post (below) is timed around
 * the real one: sem_wait cannot be tried first, because glibc acts on a
 * pending cancellation at its start even when the semaphore is free.
 * wait, timedwait and clockwait are cancellation points: a thread
 * cancelled inside one has it recorded with ECANCELED by a cleanup handler
 * that also releases the guard. */
#define _GNU_SOURCE
#include <semaphore.h>

#include "wrap/wrap.h"

/* LW_SEM: the SYNC record of a call on s: errno (t->err) when it failed. */
#define LW_SEM lw_put_obj(t, b, s, r ? (unsigned)t->err : 0, 0)

LW_WRAP_CANCELLABLE(sem_wait, LW_F_sem_wait, (sem_t * s), (s), s, NULL, LW_SEM)
LW_WRAP_CANCELLABLE(sem_timedwait, LW_F_sem_timedwait, (sem_t * s, const struct timespec *ts), (s, ts), s, NULL, LW_SEM)
LW_WRAP_CANCELLABLE(sem_clockwait, LW_F_sem_clockwait, (sem_t * s, clockid_t clk, const struct timespec *ts),
                    (s, clk, ts), s, NULL, LW_SEM)
LW_WRAP(int, sem_trywait, LW_F_sem_trywait, (sem_t * s), (s), LW_SEM)

/* lw_sem_unwaited: 1 when glibc's waiter count of s (the high half of its
 * 64-bit word, x86-64 and other 64-bit ABIs) is 0: sem_post then wakes
 * nobody. */
static inline int lw_sem_unwaited(sem_t *s)
{
#if defined(__x86_64__) || defined(__aarch64__)
    return (__atomic_load_n((const uint64_t *)(void *)s, __ATOMIC_RELAXED) >> 32) == 0;
#else
    (void)s;
    return 0;
#endif
}

/* sem_post: timed only when a waiter may have to be woken; one that wakes
 * nobody takes one stamp (duration 0), like an unlock. */
LW_WRAP_QUICK(int, sem_post, LW_F_sem_post, (sem_t * s), (s), lw_sem_unwaited(s), LW_SEM)
