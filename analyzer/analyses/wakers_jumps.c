/* wakers_jumps.c: the waits another thread ended (each thread's jumps),
 * as the waker analysis leaves them in the model for the critical path
 * (wakers_path.c), sorted by start, and freed once the path is made. */
#include <stdlib.h>

#include "analyses/wakers.h"

static int cmp_jump(const void *a, const void *b)
{
    const struct wr_wk_jump *x = a, *y = b;
    return (x->s > y->s) - (x->s < y->s);
}

/* sort_jumps: a thread's n jumps by start. They are matched about in the
 * order of their ends, so they come nearly sorted (a wait put off for its
 * waker's sometimes swaps with the next): an insertion sort, linear then,
 * which past n moves (a trace far from that) leaves the rest to qsort.
 * Both keep equal starts in their order, as glibc's qsort (a merge sort)
 * does alone, so the order is the same. */
static void sort_jumps(struct wr_wk_jump *j, size_t n)
{
    size_t moves = 0;
    for (size_t i = 1; i < n; i++) {
        if (j[i].s >= j[i - 1].s)
            continue;
        struct wr_wk_jump x = j[i];
        size_t k = i;
        for (; k > 0 && j[k - 1].s > x.s; k--) {
            if (++moves > n) {
                j[k] = x;
                qsort(j, n, sizeof *j, cmp_jump);
                return;
            }
            j[k] = j[k - 1];
        }
        j[k] = x;
    }
}

int wr_wk_keep_path(struct wr_wk_state *st)
{
    struct wr_model *m = st->m;
    struct wr_crit_in *in = calloc(1, sizeof *in);
    if (!in || !(in->th = calloc(st->nth ? st->nth : 1, sizeof *in->th))) {
        free(in);
        return -1;
    }
    in->n = st->nth;
    for (size_t i = 0; i < st->nth; i++) {
        struct wr_wk_thread *t = st->th[i];
        if (!t)
            continue;
        in->th[i] = (struct wr_crit_th){t->jumps, t->njumps, t->birth, t->creator, t->born};
        sort_jumps(t->jumps, t->njumps);
        in->jumps += t->njumps;
        t->jumps = NULL, t->njumps = 0;
    }
    m->crit.in = in;
    return 0;
}

void wr_crit_free(struct wr_model *m)
{
    wr_crit_in_free(m->crit.in);
    free(m->crit.path);
    m->crit.in = NULL, m->crit.path = NULL, m->crit.n = 0, m->crit.done = 0;
}

void wr_crit_in_free(struct wr_crit_in *in)
{
    for (size_t i = 0; in && i < in->n; i++)
        free(in->th[i].jumps);
    if (in)
        free(in->th);
    free(in);
}
