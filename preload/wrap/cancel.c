/* cancel.c: the cancellation handler of the sync waits that are
 * cancellation points (LW_WRAP_CANCELLABLE, wrap.h). */
#define _GNU_SOURCE
#include "wrap/wrap.h"

void lw_cancelled(void *arg)
{
    const struct lw_pending *p = arg;
    struct lw_thread *t = p->t;
    uint8_t *b = lw_wrap_record(t, p->t0, lw_rdtsc());
    if (b && lw_func_info_of(p->func)->schema == LW_S_COND)
        b = lw_put_cond(t, b, p->obj, p->mutex, ECANCELED);
    else if (b)
        b = lw_put_obj(t, b, p->obj, ECANCELED, 0);
    lw_wrap_leave(t, p->func, b);
}
