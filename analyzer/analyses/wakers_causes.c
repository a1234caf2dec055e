/* wakers_causes.c: a wait's time handed on to what its waker's thread
 * did meanwhile, through that thread's own waits, down to CPU work or a
 * wait nothing in the process ended (doc/wakers.md, "Causes"). Each call
 * walks only the calls the threads kept, within a depth and work bound. */
#include <stdlib.h>
#include <string.h>

#include "analyses/wakers.h"

static uint32_t tid_of(const struct wr_wk_state *st, size_t th)
{
    return th < st->m->nthreads ? st->m->threads[th].tid : 0;
}

/* add: ns to the entry (tid, stack, func, label) of list *l (n used); the
 * list holds WR_WAKE_MAX entries, the last one summing the rest as "other".
 * In a full list a new entry larger than the smallest one takes its place
 * (the smallest goes to "other"): a chain explored from its end meets many
 * small entries first (a thread's CPU at many stacks) and its largest
 * (the sleep that began it) last, and would else lose it to "other". */
static inline __attribute__((always_inline)) void add(struct wr_wk_state *st, struct wr_wake **l, size_t *n,
                                                      uint32_t tid, uint32_t stack, unsigned func, const char *label,
                                                      uint64_t ns)
{
    if (!ns && label && !strcmp(label, "cpu"))
        return;
    if (!*l && !(*l = calloc(WR_WAKE_MAX, sizeof **l))) {
        st->oom = 1;
        return;
    }
    size_t i = 0;
    while (i < *n && !((*l)[i].tid == tid && (*l)[i].stack == stack && (*l)[i].func == func &&
                       ((*l)[i].label == label || (label && (*l)[i].label && !strcmp((*l)[i].label, label)))))
        i++;
    if (i == *n) {
        if (*n == WR_WAKE_MAX) {
            size_t o = WR_WAKE_MAX - 1, lo = 0;
            (*l)[o] = (struct wr_wake){.label = "other", .calls = (*l)[o].calls, .ns = (*l)[o].ns};
            for (size_t j = 1; j < o; j++)
                if ((*l)[j].ns < (*l)[lo].ns)
                    lo = j;
            i = o;
            if (ns > (*l)[lo].ns) {
                (*l)[o].calls += (*l)[lo].calls, (*l)[o].ns += (*l)[lo].ns;
                (*l)[lo] = (struct wr_wake){.tid = tid, .stack = stack, .func = func, .label = label};
                i = lo;
            }
        } else {
            (*l)[i] = (struct wr_wake){.tid = tid, .stack = stack, .func = func, .label = label};
            (*n)++;
        }
    }
    (*l)[i].calls++;
    (*l)[i].ns += ns;
}

static void cause(struct wr_wk_state *st, uint32_t tid, uint32_t stack, unsigned func, const char *label,
                  uint64_t ticks)
{
    if (ticks)
        add(st, &st->site->causes, &st->site->ncauses, tid, stack, func, label, wr_model_ns(st->m, ticks));
}

static void explain(struct wr_wk_state *st, size_t u, uint64_t x, uint64_t y);

/* on_path: whether thread u is on the chain being followed with an
 * interval that overlaps [x, y]: then u waits for itself through the chain. */
static int on_path(const struct wr_wk_state *st, size_t u, uint64_t x, uint64_t y)
{
    for (size_t i = 0; i < st->depth; i++)
        if (st->path[i].th == u && st->path[i].x < y && x < st->path[i].y)
            return 1;
    return 0;
}

/* woken_off: the ticks of [k, hi] that thread u, woken at k, spent off
 * the CPU: waiting for one, since nothing held it any more (0 without the
 * switch records). A condition variable's waiter is the exception: woken
 * by a signal, it must still take the mutex the signaller holds, and that
 * wait is the signaller's doing, so it counts none here. */
static uint64_t woken_off(struct wr_wk_state *st, size_t u, const struct wr_wk_seg *g, uint64_t k, uint64_t hi)
{
    struct wr_model *m = st->m;
    if (!m->have_switches || u >= m->nthreads || m->ns_per_tick <= 0 || g->func == LW_F_pthread_cond_wait ||
        g->func == LW_F_pthread_cond_timedwait || g->func == LW_F_pthread_cond_clockwait)
        return 0;
    uint64_t b, r, n, a = wr_cpu_mono_at(m, &st->mono, k), e = wr_cpu_mono_at(m, &st->mono, hi);
    if (e <= a)
        return 0;
    size_t own = 0, *cursor = u < st->nth && st->th[u] ? &st->th[u]->cpu_cursor : &own;
    wr_cpu_split_from(&m->threads[u], cursor, a, e, &b, &r, &n);
    uint64_t off = (uint64_t)((double)(b + r) / m->ns_per_tick);
    return off < hi - k ? off : hi - k;
}

/* seg_cause: the part [lo, hi] of call g of thread u: handed on to its
 * waker up to the wake-up; after it, the time u spent off the CPU is
 * "runnable" (woken, it waited for a CPU: more busy threads than CPUs),
 * and the rest CPU at the waker's call (a "cycle" when the waker is a
 * thread that was waiting on this chain meanwhile: a token handed back and
 * forth); a call nobody woke is its own cause. */
static void seg_cause(struct wr_wk_state *st, size_t u, const struct wr_wk_seg *g, uint64_t lo, uint64_t hi)
{
    if (g->wth < 0) {
        cause(st, tid_of(st, u), g->stack, g->func, NULL, hi - lo);
        return;
    }
    uint64_t k = g->wk < lo ? lo : g->wk > hi ? hi : g->wk;
    explain(st, (size_t)g->wth, lo, k);
    uint64_t off = hi > k ? woken_off(st, u, g, k, hi) : 0;
    if (off) {
        cause(st, tid_of(st, u), 0, 0, "runnable", off);
        hi -= off;
    }
    if (hi > k && on_path(st, (size_t)g->wth, k, hi)) {
        cause(st, tid_of(st, (size_t)g->wth), 0, 0, "cycle", hi - k);
        st->m->wake_cycles++;
    } else {
        cause(st, tid_of(st, (size_t)g->wth), g->wstack, 0, "cpu", hi - k);
    }
}

/* newest_before: how many of t's kept calls, newest first, start at or
 * after stamp y: a thread's calls start in order, so the walk back from y
 * skips them by bisection, not one by one within its budget. The answer
 * is most often a few calls back, where a bisection of the whole ring
 * would start with cache misses far from it: when the kept calls are in
 * order (the answer is then the same whatever the search), the bisection
 * is narrowed first by doubling steps back from the newest call. */
static uint32_t newest_before(const struct wr_wk_thread *t, uint64_t y)
{
    uint32_t lo = 0, hi = t->n; /* the answer is in [lo, hi] */
    for (uint32_t b = 1; !t->unordered && b <= t->n; b *= 2) {
        if (wr_wk_newest(t, b - 1)->s < y) {
            hi = b - 1;
            break;
        }
        lo = b;
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (wr_wk_newest(t, mid)->s >= y)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

uint64_t wr_wk_waker_pending(const struct wr_wk_state *st, size_t u, uint64_t x, uint64_t y)
{
    const struct wr_wk_thread *t = u < st->nth ? st->th[u] : NULL;
    if (!t)
        return 0;
    uint32_t j = newest_before(t, y);
    for (uint32_t look = 0; j < t->n && look < WK_PEND_LOOK; j++, look++) {
        const struct wr_wk_seg *g = wr_wk_newest(t, j);
        if (g->e <= x)
            break;
        if (g->pend && g->wth < 0)
            return g->e;
    }
    return 0;
}

/* explain: hand [x, y] of thread u on to what u did then, walking its
 * kept calls back from y; every tick ends in exactly one cause. */
static void explain(struct wr_wk_state *st, size_t u, uint64_t x, uint64_t y)
{
    if (x >= y)
        return;
    if (on_path(st, u, x, y)) {
        cause(st, tid_of(st, u), 0, 0, "cycle", y - x);
        st->m->wake_cycles++;
        return;
    }
    struct wr_wk_thread *t = u < st->nth ? st->th[u] : NULL;
    if (!t || st->depth == WK_DEPTH || !st->budget) {
        cause(st, tid_of(st, u), 0, 0, "unknown", y - x);
        st->m->wake_cut += t != NULL;
        return;
    }
    st->path[st->depth++] = (struct wr_wk_path){u, x, y};
    uint64_t cur = y;
    uint32_t j = newest_before(t, cur);
    /* the stack of the first call after y (of the last call, when none is) */
    uint32_t after = t->n ? wr_wk_newest(t, j ? j - 1 : 0)->stack : 0;
    for (; j < t->n && cur > x && st->budget; j++, st->budget--) {
        const struct wr_wk_seg *g = wr_wk_newest(t, j);
        if (g->s >= cur) {
            after = g->stack;
            continue;
        }
        uint64_t hi = g->e < cur ? g->e : cur, lo = g->s > x ? g->s : x, gap = hi > x ? hi : x;
        if (cur > gap) /* outside any call: CPU at the code that ran up to the next call */
            cause(st, tid_of(st, u), after, 0, "cpu", cur - gap);
        if (hi > lo)
            seg_cause(st, u, g, lo, hi);
        cur = lo;
        after = g->stack;
    }
    if (cur > x) /* before the first call kept: the thread's start, or forgotten */
        cause(st, tid_of(st, u), t->n < t->cap ? after : 0, 0, t->n < t->cap ? "cpu" : "unknown", cur - x);
    st->depth--;
}

/* woken: wait g of thread th at site was ended by waker (th wth, stamp k,
 * call func at stack; func 0: the end of that thread): the waker and the
 * causes of the whole wait. */
void wr_wk_woken(struct wr_wk_state *st, size_t th, struct wr_wk_seg *g, struct wr_site *site, size_t wth, uint64_t k,
                 uint32_t stack, unsigned func)
{
    g->wth = (int32_t)wth, g->wk = k, g->wstack = stack, g->wfunc = (uint16_t)func;
    st->m->woken_waits++;
    wr_wk_link(st->m, th, wth, g->s, g->e, k, func);
    struct wr_wk_thread *t = st->th[th];
    if (t->njumps == t->capjumps) {
        size_t cap = t->capjumps ? 2 * t->capjumps : 16;
        struct wr_wk_jump *a = realloc(t->jumps, cap * sizeof *a);
        if (!a)
            st->oom = 1;
        else
            t->jumps = a, t->capjumps = cap;
    }
    if (t->njumps < t->capjumps)
        t->jumps[t->njumps++] = (struct wr_wk_jump){g->s, g->e, k, (uint32_t)wth, stack, (uint16_t)func};
    add(st, &site->wakers, &site->nwakers, tid_of(st, wth), stack, func, func ? NULL : "exit",
        wr_model_ns(st->m, g->e - g->s));
    st->site = site;
    st->depth = 1;
    st->path[0] = (struct wr_wk_path){th, g->s, g->e};
    st->budget = WK_BUDGET;
    explain(st, wth, g->s, k);
    uint64_t off = g->e > k ? woken_off(st, th, g, k, g->e) : 0;
    if (off)
        cause(st, tid_of(st, th), 0, 0, "runnable", off);
    cause(st, tid_of(st, wth), stack, 0, "cpu", g->e - k - off);
}

/* alone: wait g of thread th ended by nothing in the process: label says
 * what did, and the wait is its own cause. */
void wr_wk_alone(struct wr_wk_state *st, size_t th, const struct wr_wk_seg *g, struct wr_site *site, const char *label)
{
    add(st, &site->wakers, &site->nwakers, 0, 0, 0, label, wr_model_ns(st->m, g->e - g->s));
    st->site = site;
    cause(st, tid_of(st, th), g->stack, g->func, NULL, g->e - g->s);
}
