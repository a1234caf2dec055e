/* mutex.c: pthread mutexes. Each call records the mutex address and the
 * returned error number (EBUSY from trylock, ETIMEDOUT from timedlock). */
#define _GNU_SOURCE
#include <pthread.h>

#include "lw_internal.h"

/* lw_rec_lock: record a mutex call on m that returned r, then leave. */
static inline void lw_rec_lock(struct lw_thread *t, unsigned f, uint64_t t0, uint64_t t1, void *m, int r)
{
    uint8_t *b = lw_rec_start(t, t0, t1);
    if (b) {
        b = lw_rec_addr(t, b, (uintptr_t)m);
        lw_rec_commit(t, f, lw_put_uv(b, (uint64_t)(unsigned)r));
    }
    lw_leave(t);
}

/* LW_MUTEX_WRAPPER: the four mutex calls share one shape. */
#define LW_MUTEX_WRAPPER(name, params, args)                                     \
    LW_EXPORT int name params                                                    \
    {                                                                            \
        if (LW_UNLIKELY(!real_##name))                                           \
            lw_resolve();                                                        \
        struct lw_thread *t = lw_enter();                                        \
        if (!t)                                                                  \
            return real_##name args;                                             \
        uint64_t t0 = lw_rdtsc();                                                \
        int r = real_##name args;                                                \
        uint64_t t1 = lw_rdtsc();                                                \
        lw_rec_lock(t, LW_F_##name, t0, t1, m, r);                               \
        return r;                                                                \
    }

LW_MUTEX_WRAPPER(pthread_mutex_lock, (pthread_mutex_t * m), (m))
LW_MUTEX_WRAPPER(pthread_mutex_trylock, (pthread_mutex_t * m), (m))
LW_MUTEX_WRAPPER(pthread_mutex_timedlock, (pthread_mutex_t * m, const struct timespec *ts), (m, ts))
LW_MUTEX_WRAPPER(pthread_mutex_unlock, (pthread_mutex_t * m), (m))
