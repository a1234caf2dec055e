/* wakers_barrier.c: barrier waits and their wakers (doc/wakers.md,
 * "barrier"). The last thread to arrive at a barrier releases the others:
 * it is the waker of every other wait of its generation.
 *
 * A generation is found from the waits themselves: its members all arrive
 * before its last arrival L and return after it, and a thread's arrival in
 * the next generation follows its own return. So, from a wait W, the
 * arrivals of other threads inside W taken in order belong to W's
 * generation until one comes after a member (W or one taken) returned; the
 * last one taken is L. W with none taken was the last arrival itself: it
 * did not wait for anyone. An arrival is kept once the walk reaches its
 * return, and W is matched once the walk is 10 x WK_LAG_NS (100 ms) past
 * W's end: the last arrival wakes the others before it returns, and may be
 * preempted in between. One preempted for longer is missed, and W is then
 * charged to the latest member that arrived inside it (itself waiting). */
#include <stdlib.h>

#include "analyses/wakers.h"

void wr_wk_arrive(struct wr_wk_state *st, struct wr_wk_obj *o, size_t th, struct wr_wk_thread *t, struct wr_wk_seg *g,
                  struct wr_site *site, const struct wr_event *ev)
{
    if (o->narr == o->caparr && o->caparr < WK_ARRIVALS) {
        uint32_t cap = o->caparr ? 2 * o->caparr : 16;
        struct wr_wk_arrival *a = realloc(o->arr, cap * sizeof *a);
        if (!a) {
            st->oom = 1;
            return;
        }
        o->arr = a, o->caparr = cap;
    }
    struct wr_wk_arrival *a = &o->arr[o->arrhead];
    *a = (struct wr_wk_arrival){ev->tsc, ev->tsc + ev->dur, (uint32_t)th, ev->stack};
    o->arrhead = (o->arrhead + 1) % o->caparr;
    o->narr += o->narr < o->caparr;
    if (o->narr == o->caparr && o->caparr < WK_ARRIVALS) /* grown next time: keep the ring in order */
        o->arrhead = o->narr;
    struct wr_wk_wait w = {g->e + 10 * st->lag, o->key, 0, th, (uint32_t)(g - t->ring), 0, 1, NULL, site, 0, 0};
    if (wr_wk_push(st, &w) == 0)
        g->pend = 1;
}

static int cmp_arrival(const void *x, const void *y)
{
    const struct wr_wk_arrival *a = *(const struct wr_wk_arrival *const *)x,
                               *b = *(const struct wr_wk_arrival *const *)y;
    return (a->a > b->a) - (a->a < b->a);
}

void wr_wk_barrier(struct wr_wk_state *st, const struct wr_wk_wait *w, struct wr_wk_seg *g)
{
    struct wr_wk_obj *o = wr_wk_obj_find(st, w->k);
    if (!o || !o->narr)
        return;
    const struct wr_wk_arrival **in = malloc(o->narr * sizeof *in);
    if (!in) {
        st->oom = 1;
        return;
    }
    size_t n = 0;
    for (uint32_t j = 0; j < o->narr; j++) { /* newest first: kept in the walk's order, by return */
        const struct wr_wk_arrival *a = &o->arr[(o->arrhead + o->caparr - 1 - j) % o->caparr];
        if (a->b < g->s) /* so are all older ones: none arrived inside g */
            break;
        if (a->th != w->th && a->a >= g->s && a->a <= g->e)
            in[n++] = a;
    }
    qsort(in, n, sizeof *in, cmp_arrival);
    const struct wr_wk_arrival *last = NULL;
    uint64_t ret = g->e; /* the first return of the generation so far */
    for (size_t i = 0; i < n && in[i]->a <= ret; i++) {
        last = in[i];
        ret = in[i]->b < ret ? in[i]->b : ret;
    }
    if (last)
        wr_wk_woken(st, w->th, g, w->site, last->th, last->a, last->stack, LW_F_pthread_barrier_wait);
    free(in);
}
