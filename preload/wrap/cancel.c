/* cancel.c: the cancellation handler shared by the sync wrappers whose
 * calls are cancellation points. */
#define _GNU_SOURCE
#include "wrap/sync.h"

void lw_cancelled(void *arg)
{
    const struct lw_pending *p = arg;
    uint64_t t1 = lw_rdtsc();
    if (lw_func_info_of(p->func)->schema == LW_S_COND)
        lw_rec_cond(p->t, p->func, p->t0, t1, p->obj, p->mutex, ECANCELED);
    else
        lw_rec_obj(p->t, p->func, p->t0, t1, p->obj, ECANCELED, 0);
}
