/* thread_create.c: pthread_create (sync family, SYNC schema: the new
 * thread's pthread_t, 0 when it failed, and the returned error number),
 * and the birth of the threads it makes. The new thread starts in
 * lw_thread_begin, which stamps its birth before the program's start
 * function runs and makes the thread's state there, so its start record
 * (LW_THR_BORN) carries the birth, its creator and its pthread_t: a
 * thread that computes before its first wrapped call is charged that time.
 * The start function and its argument reach the new thread through a slot
 * of a static table, claimed with one atomic exchange (no malloc, no
 * lock); when every slot is taken (more threads being started at once than
 * slots) the thread starts as the program asked, and its life is then
 * known from its first recorded call on. */
#define _GNU_SOURCE
#include <pthread.h>

#include "wrap/wrap.h"

#define LW_SPAWN_SLOTS 256

struct lw_spawn {
    int busy;
    uint32_t creator;
    void *(*fn)(void *);
    void *arg;
};
static struct lw_spawn lw_spawns[LW_SPAWN_SLOTS];

/* lw_spawn_claim: a free slot holding fn, arg and the creator's tid, or
 * NULL when all are taken. */
static struct lw_spawn *lw_spawn_claim(void *(*fn)(void *), void *arg, uint32_t creator)
{
    for (unsigned i = 0; i < LW_SPAWN_SLOTS; i++) {
        struct lw_spawn *s = &lw_spawns[i];
        if (!__atomic_load_n(&s->busy, __ATOMIC_RELAXED) && !__atomic_exchange_n(&s->busy, 1, __ATOMIC_ACQUIRE)) {
            s->fn = fn, s->arg = arg, s->creator = creator;
            return s;
        }
    }
    return NULL;
}

/* lw_thread_begin: the start routine of every thread pthread_create made
 * through a slot. It frees the slot, keeps the birth for the thread's
 * start record and makes the thread's state (its first chunk and start
 * record) now, unless recording is paused or not ready, in which case the
 * state comes with its first recorded call as for any thread. Then it
 * tail-calls the program's start function: compiled as a jump (-O2's
 * sibling calls), the start function returns to the C library directly and
 * no frame of libwait lies under the thread's stacks. */
static void *lw_thread_begin(void *arg)
{
    uint64_t birth = lw_rdtsc();
    struct lw_spawn *s = arg;
    void *(*fn)(void *) = s->fn;
    void *a = s->arg;
    lw_birth_creator = s->creator;
    lw_birth_counted = 1;
    __atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
    lw_birth_tsc = birth;
    if (!lw_tls && !__atomic_load_n(lw_pause_word, __ATOMIC_RELAXED)) {
        struct lw_thread *t = lw_thread_start();
        if (t) {
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
            t->guard = 0;
        }
    }
    return fn(a);
}

/* pthread_create counts the new thread in lw_lone.s.others before it can
 * run (runtime.h, the lone-thread rule), recorded or not, and takes it off
 * again only when the thread could not be made. A thread started through
 * a slot takes itself off when it finishes; one started without a slot
 * (not recorded, or every slot taken) stays counted for good. */
LW_EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    __atomic_fetch_add(&lw_lone.s.others, 1, __ATOMIC_RELAXED);
    struct lw_thread *t = lw_wrap_enter(real_pthread_create != NULL);
    if (!t) {
        int r0 = real_pthread_create(th, attr, fn, arg);
        if (r0 != 0)
            __atomic_fetch_sub(&lw_lone.s.others, 1, __ATOMIC_RELAXED);
        return r0;
    }
    struct lw_spawn *s = lw_spawn_claim(fn, arg, t->tid);
    uint64_t t0 = lw_rdtsc();
    int r = s ? real_pthread_create(th, attr, lw_thread_begin, s) : real_pthread_create(th, attr, fn, arg);
    uint64_t t1 = lw_rdtsc();
    if (r != 0)
        __atomic_fetch_sub(&lw_lone.s.others, 1, __ATOMIC_RELAXED);
    if (r != 0 && s)
        __atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE); /* no thread will take it */
    lw_wrap_obj(t, LW_F_pthread_create, t0, t1, r == 0 ? (const void *)*th : NULL, (unsigned)r, 0);
    return r;
}
