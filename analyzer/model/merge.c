/* merge.c: the order of the merge (model/timeline.h): the moment each
 * call takes effect. */
#include "model/merge.h"

uint64_t wr_timeline_key(const struct wr_event *ev)
{
    if (ev->kind == LW_F_free || ev->kind == LW_F_pthread_mutex_unlock || ev->kind == LW_F_pthread_rwlock_unlock ||
        ev->kind == LW_F_pthread_spin_unlock)
        return ev->tsc;
    const struct lw_func_info *fi = lw_func_info_of(ev->kind);
    if (fi && fi->schema == LW_S_COND) /* releases the mutex at its start */
        return ev->tsc;
    return ev->tsc + ev->dur;
}
