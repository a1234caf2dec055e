/* spinlock.c: pthread spinlocks, in the lock family (LOCK schema, holds
 * tracked like a mutex's): lock tries first as mutex.c does (a free
 * spinlock costs one stamp, a busy one is timed and flagged contended);
 * trylock is timed; unlock is a store that never waits or wakes, so it
 * takes one stamp (duration 0). */
#define _GNU_SOURCE
#include "wrap/sync.h"

LW_EXPORT int pthread_spin_lock(pthread_spinlock_t *l)
{
    if (LW_UNLIKELY(!real_pthread_spin_lock || !real_pthread_spin_trylock))
        lw_resolve();
    struct lw_thread *t = lw_enter();
    if (!t)
        return real_pthread_spin_lock(l);
    uint64_t t0 = lw_rdtsc();
    int r = real_pthread_spin_trylock(l);
    if (LW_LIKELY(r != EBUSY)) {
        lw_rec_obj(t, LW_F_pthread_spin_lock, t0, t0, (const void *)l, (unsigned)r, 0);
        return r;
    }
    r = real_pthread_spin_lock(l);
    uint64_t t1 = lw_rdtsc();
    lw_rec_obj(t, LW_F_pthread_spin_lock, t0, t1, (const void *)l, (unsigned)r, LW_LOCK_CONTENDED);
    return r;
}

LW_EXPORT int pthread_spin_trylock(pthread_spinlock_t *l)
{
    if (LW_UNLIKELY(!real_pthread_spin_trylock))
        lw_resolve();
    struct lw_thread *t = lw_enter();
    if (!t)
        return real_pthread_spin_trylock(l);
    uint64_t t0 = lw_rdtsc();
    int r = real_pthread_spin_trylock(l);
    uint64_t t1 = lw_rdtsc();
    lw_rec_obj(t, LW_F_pthread_spin_trylock, t0, t1, (const void *)l, (unsigned)r, 0);
    return r;
}

LW_EXPORT int pthread_spin_unlock(pthread_spinlock_t *l)
{
    if (LW_UNLIKELY(!real_pthread_spin_unlock))
        lw_resolve();
    struct lw_thread *t = lw_enter();
    if (!t)
        return real_pthread_spin_unlock(l);
    uint64_t t0 = lw_rdtsc();
    int r = real_pthread_spin_unlock(l);
    lw_rec_obj(t, LW_F_pthread_spin_unlock, t0, t0, (const void *)l, (unsigned)r, 0);
    return r;
}
