/* sem.c: POSIX semaphores (sync family, SYNC schema: the semaphore's
 * address and, for a failed call, errno: EAGAIN from trywait, ETIMEDOUT,
 * EINTR). Every call but an unwaited sem_post (below) is timed around
 * the real one: sem_wait cannot be tried first, because glibc acts on a
 * pending cancellation at its start even when the semaphore is free.
 * wait, timedwait and clockwait are
 * cancellation points: a thread cancelled inside one has it recorded with
 * ECANCELED by a cleanup handler that also releases the guard. */
#define _GNU_SOURCE
#include "wrap/sync.h"

/* LW_SEM_CANCELLABLE: the waits (cancellation points). */
#define LW_SEM_CANCELLABLE(name, params, args)                                                                         \
    LW_EXPORT int name params                                                                                          \
    {                                                                                                                  \
        if (LW_UNLIKELY(!real_##name))                                                                                 \
            lw_resolve();                                                                                              \
        struct lw_thread *t = lw_enter();                                                                              \
        if (!t)                                                                                                        \
            return real_##name args;                                                                                   \
        struct lw_pending pd = {t, lw_rdtsc(), s, NULL, LW_F_##name};                                                  \
        int r;                                                                                                         \
        pthread_cleanup_push(lw_cancelled, &pd);                                                                       \
        r = real_##name args;                                                                                          \
        pthread_cleanup_pop(0);                                                                                        \
        uint64_t t1 = lw_rdtsc();                                                                                      \
        int e = errno;                                                                                                 \
        lw_rec_obj(pd.t, LW_F_##name, pd.t0, t1, s, r ? (unsigned)e : 0, 0);                                           \
        errno = e;                                                                                                     \
        return r;                                                                                                      \
    }

/* LW_SEM_PLAIN: trywait. */
#define LW_SEM_PLAIN(name)                                                                                             \
    LW_EXPORT int name(sem_t *s)                                                                                       \
    {                                                                                                                  \
        if (LW_UNLIKELY(!real_##name))                                                                                 \
            lw_resolve();                                                                                              \
        struct lw_thread *t = lw_enter();                                                                              \
        if (!t)                                                                                                        \
            return real_##name(s);                                                                                     \
        uint64_t t0 = lw_rdtsc();                                                                                      \
        int r = real_##name(s);                                                                                        \
        uint64_t t1 = lw_rdtsc();                                                                                      \
        int e = errno;                                                                                                 \
        lw_rec_obj(t, LW_F_##name, t0, t1, s, r ? (unsigned)e : 0, 0);                                                 \
        errno = e;                                                                                                     \
        return r;                                                                                                      \
    }

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
LW_EXPORT int sem_post(sem_t *s)
{
    if (LW_UNLIKELY(!real_sem_post))
        lw_resolve();
    struct lw_thread *t = lw_enter();
    if (!t)
        return real_sem_post(s);
    uint64_t t0 = lw_rdtsc(), t1 = t0;
    int unwaited = lw_sem_unwaited(s);
    int r = real_sem_post(s);
    if (!unwaited)
        t1 = lw_rdtsc();
    int e = errno;
    lw_rec_obj(t, LW_F_sem_post, t0, t1, s, r ? (unsigned)e : 0, 0);
    errno = e;
    return r;
}

LW_SEM_CANCELLABLE(sem_wait, (sem_t * s), (s))
LW_SEM_CANCELLABLE(sem_timedwait, (sem_t * s, const struct timespec *ts), (s, ts))
LW_SEM_CANCELLABLE(sem_clockwait, (sem_t * s, clockid_t clk, const struct timespec *ts), (s, clk, ts))
LW_SEM_PLAIN(sem_trywait)
