/* thcalls.h: each thread's calls summed by (stack, function), with the
 * time its thread ran between them, in the order the sums first grew.
 *
 * The critical path (analyses/wakers_path.c) charges what a thread did on
 * a stretch of the path: each call to (stack, function), the time since
 * its thread's previous call to (stack, "cpu"). When a thread's calls all
 * lie inside one stretch, those charges are these sums, and the path takes
 * them from here instead of reading the thread's records a second time.
 * The sums follow that reading's rules exactly: calls in the thread's
 * order, a call without a stamp or whose end overflows left out, and an
 * entry's place among the thread's entries set by its first non-zero
 * charge (the path's results list entries of equal time in that order).
 * A thread whose calls overlap (a damaged trace) is marked, and read.
 *
 * Memory: one entry per (thread, stack, function), as sites are. */
#ifndef WR_THCALLS_H
#define WR_THCALLS_H

#include "model/model.h"

/* wr_thcall: the calls of thread index th at (stack, func). ticks: their
 * durations; gap: the time from each call's predecessor in the thread to
 * it (the thread's first call has none here: wr_thcalls.first_*). seq and
 * gap_seq: the order (within the thread) in which ticks and gap first
 * became non-zero; unset while they are 0. */
struct wr_thcall {
    UT_hash_handle hh;
    struct wr_thcall_key {
        uint32_t th, stack, func;
    } k;
    uint64_t ticks, gap;
    uint32_t seq, gap_seq;
    const struct wr_thread *owner; /* &m->threads[k.th] */
    struct wr_thcall *next;        /* the thread's next entry (wr_thcalls.list) */
};

/* wr_thcall_find: the entry of (th, stack, func), made when missing and
 * linked into the thread's list. NULL on out of memory. */
struct wr_thcall *wr_thcall_find(struct wr_model *m, uint32_t th, uint32_t stack, unsigned func);

/* wr_thcalls_free: every entry of m. */
void wr_thcalls_free(struct wr_model *m);

/* wr_thcall_add: call ev of thread index ti (th), charged by the model to
 * site s, into its thread's sums; s caches the entry its last call used.
 * 0, or -1 on out of memory. */
static inline __attribute__((always_inline)) int wr_thcall_add(struct wr_model *m, struct wr_thread *th, uint32_t ti,
                                                               struct wr_site *s, const struct wr_event *ev)
{
    uint64_t cs = ev->tsc, ce = cs + ev->dur;
    if (!cs || ce < cs)
        return 0;
    struct wr_thcall *e = s->thc;
    if (__builtin_expect(!e || e->owner != th || e->k.stack != ev->stack, 0)) {
        if (!(e = wr_thcall_find(m, ti, ev->stack, ev->kind)))
            return -1;
        s->thc = e;
    }
    struct wr_thcalls *t = &th->tc;
    uint64_t prev = t->prev; /* 0 before the thread's first call (its end is not 0) */
    if (__builtin_expect(!prev, 0)) {
        t->first_cs = cs, t->first_stack = ev->stack;
    } else if (cs > prev) {
        if (!e->gap)
            e->gap_seq = t->seq++;
        e->gap += cs - prev;
    } else {
        t->overlap |= cs < prev;
    }
    if (ce > cs) {
        if (!e->ticks)
            e->seq = t->seq++;
        e->ticks += ce - cs;
    }
    t->prev = ce;
    t->last = e;
    return 0;
}

#endif
