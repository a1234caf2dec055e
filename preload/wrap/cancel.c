/* cancel.c: the real sync functions (sync.h) and the cancellation
 * handler shared by their wrappers. */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "wrap/sync.h"

int (*real_pthread_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
int (*real_pthread_cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
int (*real_pthread_cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *);
int (*real_pthread_cond_signal)(pthread_cond_t *);
int (*real_pthread_cond_broadcast)(pthread_cond_t *);
int (*real_pthread_rwlock_rdlock)(pthread_rwlock_t *);
int (*real_pthread_rwlock_wrlock)(pthread_rwlock_t *);
int (*real_pthread_rwlock_tryrdlock)(pthread_rwlock_t *);
int (*real_pthread_rwlock_trywrlock)(pthread_rwlock_t *);
int (*real_pthread_rwlock_timedrdlock)(pthread_rwlock_t *, const struct timespec *);
int (*real_pthread_rwlock_timedwrlock)(pthread_rwlock_t *, const struct timespec *);
int (*real_pthread_rwlock_clockrdlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
int (*real_pthread_rwlock_clockwrlock)(pthread_rwlock_t *, clockid_t, const struct timespec *);
int (*real_pthread_rwlock_unlock)(pthread_rwlock_t *);
int (*real_sem_wait)(sem_t *);
int (*real_sem_timedwait)(sem_t *, const struct timespec *);
int (*real_sem_clockwait)(sem_t *, clockid_t, const struct timespec *);
int (*real_sem_trywait)(sem_t *);
int (*real_sem_post)(sem_t *);
int (*real_pthread_spin_lock)(pthread_spinlock_t *);
int (*real_pthread_spin_trylock)(pthread_spinlock_t *);
int (*real_pthread_spin_unlock)(pthread_spinlock_t *);
int (*real_pthread_join)(pthread_t, void **);
int (*real_pthread_barrier_wait)(pthread_barrier_t *);

/* lw_resolve_sync: dlsym(RTLD_NEXT) each one; a missing one stays NULL.
 * The condvar functions exist in two versions on x86-64 and plain dlsym
 * gives the old GLIBC_2.2.5 one (a different pthread_cond_t layout), so
 * they are looked up by the version programs bind to (GLIBC_2.3.2), with
 * plain dlsym only where that version does not exist (other ABIs). */
void lw_resolve_sync(void)
{
#define R(name) real_##name = (__typeof__(real_##name))dlsym(RTLD_NEXT, #name)
#define RV(name, ver)                                                                                                  \
    do {                                                                                                               \
        real_##name = (__typeof__(real_##name))dlvsym(RTLD_NEXT, #name, ver);                                          \
        if (!real_##name)                                                                                              \
            R(name);                                                                                                   \
    } while (0)
    RV(pthread_cond_wait, "GLIBC_2.3.2");
    RV(pthread_cond_timedwait, "GLIBC_2.3.2");
    RV(pthread_cond_signal, "GLIBC_2.3.2");
    RV(pthread_cond_broadcast, "GLIBC_2.3.2");
    R(pthread_cond_clockwait);
    R(pthread_rwlock_rdlock);
    R(pthread_rwlock_wrlock);
    R(pthread_rwlock_tryrdlock);
    R(pthread_rwlock_trywrlock);
    R(pthread_rwlock_timedrdlock);
    R(pthread_rwlock_timedwrlock);
    R(pthread_rwlock_clockrdlock);
    R(pthread_rwlock_clockwrlock);
    R(pthread_rwlock_unlock);
    R(sem_wait);
    R(sem_timedwait);
    R(sem_clockwait);
    R(sem_trywait);
    R(sem_post);
    R(pthread_spin_lock);
    R(pthread_spin_trylock);
    R(pthread_spin_unlock);
    R(pthread_join);
    R(pthread_barrier_wait);
#undef RV
#undef R
}

void lw_cancelled(void *arg)
{
    const struct lw_pending *p = arg;
    uint64_t t1 = lw_rdtsc();
    if (lw_func_info_of(p->func)->schema == LW_S_COND)
        lw_rec_cond(p->t, p->func, p->t0, t1, p->obj, p->mutex, ECANCELED);
    else
        lw_rec_obj(p->t, p->func, p->t0, t1, p->obj, ECANCELED, 0);
}
