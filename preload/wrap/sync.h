/* sync.h: record helpers shared by the sync wrappers
 * (cond.c, rwlock.c, sem.c, spinlock.c, join_barrier.c). */
#ifndef LW_SYNC_H
#define LW_SYNC_H

#include <pthread.h>
#include <semaphore.h>

#include "runtime/runtime.h"

/* lw_rec_obj: a LOCK or SYNC record (object address, error number, flags),
 * then leave. */
static inline void lw_rec_obj(struct lw_thread *t, unsigned f, uint64_t t0, uint64_t t1, const void *o, unsigned err,
                              unsigned flags)
{
    uint8_t *b = lw_rec_start(t, t0, t1);
    if (b) {
        b = lw_rec_addr(t, b, (uintptr_t)o);
        b = lw_put_uv(b, err);
        if (flags)
            b = lw_put_uv(b, flags);
        lw_rec_commit(t, f, b);
    }
    lw_leave(t);
}

/* lw_rec_cond: a COND record (condvar, mutex, error number), then leave. */
static inline void lw_rec_cond(struct lw_thread *t, unsigned f, uint64_t t0, uint64_t t1, const void *c, const void *m,
                               unsigned err)
{
    uint8_t *b = lw_rec_start(t, t0, t1);
    if (b) {
        b = lw_rec_addr(t, b, (uintptr_t)c);
        b = lw_rec_addr(t, b, (uintptr_t)m);
        lw_rec_commit(t, f, lw_put_uv(b, err));
    }
    lw_leave(t);
}

/* A wrapped call that is a cancellation point: what its cancellation
 * cleanup handler needs to record it (err ECANCELED) and release the guard. */
struct lw_pending {
    struct lw_thread *t;
    uint64_t t0;
    const void *obj, *mutex; /* mutex: COND records only */
    unsigned func;
};

/* lw_cancelled: pthread_cleanup_push handler of a cancelled wrapped call:
 * records it as cancelled and releases the guard; the program's own
 * cleanup handlers run after it, as natively. */
void lw_cancelled(void *arg);

#endif
