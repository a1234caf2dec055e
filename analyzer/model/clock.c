/* clock.c: the wait/CPU split from the kernel's context-switch records.
 * A first pass collects each thread's switches and every (TSC, monotonic)
 * clock pair; switches become off-CPU intervals (blocked after a voluntary
 * switch, runnable after a preemption). Calls are then mapped from TSC to
 * CLOCK_MONOTONIC piecewise between the nearest clock pairs and intersected
 * with their thread's intervals. */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

struct cpu_pass {
    struct wr_model *m;
    int oom;
};

static int push(void **arr, size_t *n, size_t *cap, size_t elem)
{
    if (*n < *cap)
        return 0;
    size_t c = *cap ? 2 * *cap : 64;
    void *p = realloc(*arr, c * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = c;
    return 0;
}

static int on_pass1(void *ctx, const struct wr_event *ev)
{
    struct cpu_pass *c = ctx;
    struct wr_model *m = c->m;
    if (ev->kind == LW_REC_TIME) {
        const uint8_t *p = ev->body, *e = ev->body + ev->len;
        uint64_t tsc, ns;
        if (lw_dec_time(&p, e, &tsc, &ns)) {
            if (push((void **)&m->pairs, &m->npairs, &m->cappairs, sizeof *m->pairs))
                return c->oom = 1;
            m->pairs[m->npairs].tsc = tsc;
            m->pairs[m->npairs++].ns = ns;
        }
    } else if (ev->kind == LW_REC_SWITCH) {
        struct wr_thread *th = wr_model_thread(m, ev->stream);
        if (push((void **)&th->sw, &th->nsw, &th->capsw, sizeof *th->sw))
            return c->oom = 1;
        th->sw[th->nsw].ns = ev->mono;
        th->sw[th->nsw++].flags = (uint32_t)ev->aux;
        m->switches++;
    } else if (ev->kind == LW_REC_LOST) {
        m->switches_lost += ev->mono;
    }
    return 0;
}

static int cmp_pair(const void *a, const void *b)
{
    const struct wr_pair *x = a, *y = b;
    return x->tsc < y->tsc ? -1 : x->tsc > y->tsc;
}

static int cmp_sw(const void *a, const void *b)
{
    const struct wr_switch *x = a, *y = b;
    return x->ns < y->ns ? -1 : x->ns > y->ns;
}

/* sw_sorted: whether a thread's n switches are in order already (the
 * kernel writes them in order, so they most often are): then they are not
 * sorted, which would leave them as they are (glibc's qsort is a merge
 * sort, so equal stamps keep their order either way). */
static int sw_sorted(const struct wr_switch *sw, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (sw[i].ns < sw[i - 1].ns)
            return 0;
    return 1;
}

/* intervals: turn a thread's sorted switches into off-CPU intervals, in
 * place (an interval per OUT that an IN closes; an OUT left open at the end
 * of the trace is closed at end_ns). The intervals overwrite the switches'
 * own buffer: interval k (24 bytes at 24k) is written once switch 2k+1 or
 * later was read, and ends before switch 2k+2 (at 32k+32), the next one
 * unread; at most nsw/2+1 intervals fit, as capsw >= max(nsw, 64). Then
 * th->off owns the buffer (shrunk) and th->sw is gone: no second array. */
static void intervals(struct wr_thread *th, uint64_t end_ns)
{
    struct wr_offcpu *off = (struct wr_offcpu *)(void *)th->sw;
    size_t n = 0;
    uint64_t open = 0;
    uint32_t fl = 0;
    int have = 0;
    for (size_t i = 0; i < th->nsw; i++) {
        struct wr_switch s = th->sw[i];
        if (s.flags & LW_SW_OUT) {
            open = s.ns, fl = s.flags, have = 1;
        } else if (have) {
            struct wr_offcpu o = {open, s.ns, (fl & LW_SW_PREEMPT) != 0};
            off[n++] = o;
            have = 0;
        }
    }
    if (have && end_ns > open) {
        struct wr_offcpu o = {open, end_ns, (fl & LW_SW_PREEMPT) != 0};
        off[n++] = o;
    }
    th->off = n ? realloc(off, n * sizeof *off) : NULL;
    if (!th->off) /* shrinking cannot fail in practice; keep the buffer if it does */
        th->off = off;
    th->noff = n;
    th->sw = NULL;
    th->nsw = th->capsw = 0;
}

int wr_cpu_prepare(struct wr_model *m)
{
    struct cpu_pass c = {m, 0};
    m->trace->skip_calls = 1; /* this pass needs only meta records */
    int r = wr_trace_walk(m->trace, on_pass1, &c);
    m->trace->skip_calls = 0;
    if (r != 0 || c.oom)
        return -1;
    if (m->npairs)
        qsort(m->pairs, m->npairs, sizeof *m->pairs, cmp_pair);
    for (size_t i = 0; i < m->npairs; i++) { /* once here, not per stamp */
        const struct wr_pair *a = i ? &m->pairs[i - 1] : NULL, *b = &m->pairs[i];
        m->pairs[i].rate = 0;
        if (a && b->tsc != a->tsc && b->ns != a->ns && (b->tsc > a->tsc) == (b->ns > a->ns))
            m->pairs[i].rate = (double)((int64_t)(b->ns - a->ns)) / (double)((int64_t)(b->tsc - a->tsc));
    }
    const struct lw_file_header *h = &m->trace->hdr;
    uint64_t end_ns = h->end_mono_ns;
    for (size_t i = 0; i < m->nthreads; i++) {
        struct wr_thread *th = &m->threads[i];
        if (th->nsw && !sw_sorted(th->sw, th->nsw))
            qsort(th->sw, th->nsw, sizeof *th->sw, cmp_sw);
        if (th->nsw && th->sw[th->nsw - 1].ns > end_ns)
            end_ns = th->sw[th->nsw - 1].ns;
    }
    for (size_t i = 0; i < m->nthreads; i++) {
        struct wr_thread *th = &m->threads[i];
        th->free_lo = 1, th->free_hi = 0; /* no free range known */
        if (!th->sw) {                    /* no switches: an empty list, never NULL */
            th->off = calloc(1, sizeof *th->off);
            if (!th->off)
                return -1;
            th->noff = 0;
            continue;
        }
        intervals(th, end_ns);
    }
    m->have_switches = (h->flags & LW_HF_SWITCHES) != 0;
    return 0;
}

/* wr_cpu_mono_seek: wr_cpu_mono_at for any stamp: finds its segment (kept
 * in at for the next stamp) by binary search. */
uint64_t wr_cpu_mono_seek(const struct wr_model *m, struct wr_mono_at *at, uint64_t tsc)
{
    const struct wr_pair *p = m->pairs;
    size_t n = m->npairs;
    if (n == 0)
        return m->pair_lo[1] + (uint64_t)wr_cpu_sat_i64((double)(int64_t)(tsc - m->pair_lo[0]) * m->ns_per_tick);
    size_t lo = 0, hi = n; /* first pair with tsc > the stamp */
    size_t c = at->seg;    /* stamps come mostly in order: try the last segment */
    if (c > 0 && c < n && p[c - 1].tsc <= tsc && tsc < p[c].tsc)
        lo = hi = c;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p[mid].tsc <= tsc)
            lo = mid + 1;
        else
            hi = mid;
    }
    at->seg = lo;
    const struct wr_pair *a, *b;
    if (lo == 0)
        a = &p[0], b = n > 1 ? &p[1] : NULL;
    else if (lo == n)
        a = &p[n - 1], b = n > 1 ? &p[n - 2] : NULL;
    else
        a = &p[lo - 1], b = &p[lo];
    double rate = m->ns_per_tick;
    if (lo > 0 && lo < n) {
        if (b->rate != 0)
            rate = b->rate; /* segment a..b, computed by wr_cpu_prepare */
    } else if (b && b->tsc != a->tsc && b->ns != a->ns && (b->tsc > a->tsc) == (b->ns > a->ns)) {
        rate = (double)((int64_t)(b->ns - a->ns)) / (double)((int64_t)(b->tsc - a->tsc));
    }
    /* the segment from a on, while the product stays far from saturation,
     * is now wr_cpu_mono's inline range */
    at->span = 0;
    if (lo > 0 && rate == rate) {
        uint64_t span = (lo < n ? p[lo].tsc : UINT64_MAX) - a->tsc;
        double lim = rate != 0 ? 9.0e18 / (rate < 0 ? -rate : rate) : 4.0e18;
        if (span > (1ull << 62))
            span = 1ull << 62;
        if (lim < (double)span)
            span = (uint64_t)lim;
        at->a_tsc = a->tsc, at->a_ns = a->ns, at->rate = rate, at->span = span;
    }
    return a->ns + (uint64_t)wr_cpu_sat_i64((double)(int64_t)(tsc - a->tsc) * rate);
}

/* mono_in: wr_cpu_mono of t in the inline range of m->mono (the same
 * value, whatever segment was used last: wr_cpu_mono is a function of t). */
static inline uint64_t mono_in(const struct wr_model *m, uint64_t t)
{
    return m->mono.a_ns + (uint64_t)(int64_t)((double)(int64_t)(t - m->mono.a_tsc) * m->mono.rate);
}

/* The range is searched by bisection over stamps, where the conversion is
 * monotone: within one inline range with a rate that is not negative, and
 * whose ns do not wrap (checked at its ends). */
void wr_cpu_free_range(struct wr_model *m, struct wr_thread *th, uint64_t tsc)
{
    th->free_lo = 1, th->free_hi = 0;
    (void)wr_cpu_mono(m, tsc); /* m->mono: the segment of tsc, when it has an inline range */
    uint64_t a = m->mono.a_tsc, z = a + m->mono.span - 1;
    size_t c = th->cursor;
    if (!m->mono.span || tsc - a >= m->mono.span || z < a || !(m->mono.rate >= 0) || mono_in(m, z) < mono_in(m, a) ||
        c > th->noff)
        return;
    uint64_t lo = a, hi = z;
    if (c > 0) { /* from the first stamp at or after the end of the interval before */
        uint64_t need = th->off[c - 1].end;
        if (mono_in(m, tsc) < need)
            return;
        for (uint64_t h = tsc; lo < h;) {
            uint64_t mid = lo + (h - lo) / 2;
            if (mono_in(m, mid) >= need)
                h = mid;
            else
                lo = mid + 1;
        }
    }
    if (c < th->noff) { /* to the last stamp at or before the next one's start (its end is later) */
        uint64_t start = th->off[c].start;
        if (th->off[c].end <= start || mono_in(m, tsc) > start)
            return;
        for (uint64_t l = tsc; l < hi;) {
            uint64_t mid = l + (hi - l + 1) / 2;
            if (mono_in(m, mid) <= start)
                l = mid;
            else
                hi = mid - 1;
        }
    }
    th->free_lo = lo, th->free_hi = hi;
}

/* first_after: index of th's first off-CPU interval ending after t (kept
 * in *cursor, where the next search starts). */
static size_t first_after(const struct wr_thread *th, size_t *cursor, uint64_t t)
{
    size_t lo = 0, hi = th->noff, c = *cursor;
    if (c <= th->noff && (c == 0 || th->off[c - 1].end <= t)) {
        /* at or after the cursor: most often there, or a few intervals on
         * (a thread that blocks in each call passes one per call) */
        for (size_t k = 0; k < 4 && c < th->noff && th->off[c].end <= t; k++)
            c++;
        if (c == th->noff || th->off[c].end > t)
            return *cursor = c;
        lo = c;
    }
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (th->off[mid].end <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return *cursor = lo;
}

void wr_cpu_split_from(const struct wr_thread *th, size_t *cursor, uint64_t s, uint64_t e, uint64_t *blocked,
                       uint64_t *runnable, uint64_t *switches)
{
    *blocked = *runnable = *switches = 0;
    for (size_t i = first_after(th, cursor, s); i < th->noff && th->off[i].start < e; i++) {
        uint64_t a = th->off[i].start > s ? th->off[i].start : s;
        uint64_t b = th->off[i].end < e ? th->off[i].end : e;
        if (b <= a)
            continue;
        if (th->off[i].preempt)
            *runnable += b - a;
        else
            *blocked += b - a;
        *switches += th->off[i].start >= s;
    }
}

void wr_cpu_tick_table(struct wr_model *m)
{
    for (uint64_t d = 0; d < WR_TICK_TAB; d++) {
        m->tick_ns[d] = wr_model_ns(m, d);
        m->tick_bucket[d] = (uint16_t)wr_hist_index(m->tick_ns[d]);
    }
}

void wr_cpu_free(struct wr_model *m)
{
    for (size_t i = 0; i < m->nthreads; i++) {
        free(m->threads[i].sw);
        free(m->threads[i].off);
    }
    free(m->pairs);
}
