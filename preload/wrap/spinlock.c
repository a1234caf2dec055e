/* spinlock.c: pthread spinlocks, in the lock family (LOCK schema, holds
 * tracked like a mutex's): lock tries first as mutex.c does (a free
 * spinlock costs one stamp, a busy one is timed and flagged contended);
 * trylock is timed; unlock is a store that never waits or wakes, so it
 * takes one stamp (duration 0). */
#define _GNU_SOURCE
#include <pthread.h>

#include "wrap/wrap.h"

LW_WRAP_TRYFIRST(pthread_spin_lock, pthread_spin_trylock, LW_F_pthread_spin_lock, (pthread_spinlock_t * l), (l), l, 1)
LW_WRAP(int, pthread_spin_trylock, LW_F_pthread_spin_trylock, (pthread_spinlock_t * l), (l),
        lw_put_obj(t, b, (const void *)l, (unsigned)r, 0))
LW_WRAP_QUICK(int, pthread_spin_unlock, LW_F_pthread_spin_unlock, (pthread_spinlock_t * l), (l), 1,
              lw_put_obj(t, b, (const void *)l, (unsigned)r, 0))
