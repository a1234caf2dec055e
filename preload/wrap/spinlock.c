/* spinlock.c: pthread spinlocks, in the lock family (LOCK schema, holds
 * tracked like a mutex's): lock tries first as mutex.c does (a free
 * spinlock costs one stamp, a busy one is timed and flagged contended);
 * trylock is timed; unlock is a store that never waits or wakes, so it
 * takes one stamp (duration 0). Under the lone-thread rule (runtime.h)
 * a spinlock found free, and its unlock, are counted instead of recorded:
 * a spinlock does not say whether it is process-shared, and one held by
 * another process is found busy, and recorded. */
#define _GNU_SOURCE
#include <pthread.h>

#include "wrap/wrap.h"

LW_WRAP_LOCK(pthread_spin_lock, pthread_spin_trylock, LW_F_pthread_spin_lock, (pthread_spinlock_t * l), (l), l,
             lw_lone_ok())
LW_WRAP_LONE(pthread_spin_trylock, LW_F_pthread_spin_trylock, (pthread_spinlock_t * l), (l), l, lw_lone_ok(), 0)
LW_WRAP_LONE(pthread_spin_unlock, LW_F_pthread_spin_unlock, (pthread_spinlock_t * l), (l), l, lw_lone_ok(), 1)
