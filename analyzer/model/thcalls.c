/* thcalls.c: the entries of each thread's call sums (thcalls.h). */
#include <stdlib.h>

#include "model/thcalls.h"

struct wr_thcall *wr_thcall_find(struct wr_model *m, uint32_t th, uint32_t stack, unsigned func)
{
    struct wr_thcall_key k = {th, stack, func};
    struct wr_thcall *e;
    HASH_FIND(hh, m->thcalls, &k, sizeof k, e);
    if (e)
        return e;
    if (!(e = calloc(1, sizeof *e)))
        return NULL;
    e->k = k;
    e->owner = &m->threads[th];
    HASH_ADD(hh, m->thcalls, k, sizeof e->k, e);
    e->next = m->threads[th].tc.list;
    m->threads[th].tc.list = e;
    return e;
}

void wr_thcalls_free(struct wr_model *m)
{
    struct wr_thcall *e, *t;
    HASH_ITER(hh, m->thcalls, e, t)
    {
        HASH_DEL(m->thcalls, e);
        free(e);
    }
}
