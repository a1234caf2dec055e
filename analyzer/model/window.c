/* window.c: the time window of a report (--since, --until). A call counts
 * when its end stamp falls in the window, as a sample counts in perf's
 * --time when its stamp does: a call that started before the window and
 * ended in it counts whole, one that started in it and ended after it does
 * not count. Consecutive windows thus split the calls of a trace exactly,
 * each call in one of them. Calls outside the window are still seen by the
 * analyses (locks, heap, wakers), like the threads a --tid filter leaves
 * out, so a wait in the window is blamed on a hold that began before it.
 * The window's text and the thread filter's, for the reports, are here too. */
#include <stdio.h>
#include <string.h>

#include "model/model.h"

struct end_scan {
    uint64_t end;
};

/* on_end: the latest stamp of a call (its end) or of a THREAD record, the
 * stamps the model's last_tsc is made of. */
static int on_end(void *ctx, const struct wr_event *ev)
{
    struct end_scan *e = ctx;
    uint64_t t = ev->tsc;
    if (lw_func_info_of(ev->kind)) {
        if (ev->tsc + ev->dur >= ev->tsc)
            t = ev->tsc + ev->dur;
    } else if (ev->kind != LW_REC_THREAD)
        return 0;
    if (t > e->end)
        e->end = t;
    return 0;
}

/* trace_end: the TSC stamp where the trace ends: the header's after a clean
 * exit; else the latest stamp in each thread's last chunk that holds one
 * (a thread's chunks follow each other in time, so no earlier chunk holds
 * a later stamp). Reading those chunks is quiet: the model's walk warns
 * about any damage. */
static uint64_t trace_end(struct wr_model *m)
{
    struct wr_trace *t = m->trace;
    const struct lw_file_header *h = &t->hdr;
    if ((h->flags & LW_HF_CLOSED) && h->end_tsc > h->start_tsc)
        return h->end_tsc;
    struct end_scan e = {0};
    unsigned w = t->warnings;
    int q = t->quiet;
    t->quiet = 1;
    for (size_t i = 0; i < t->nstreams; i++) {
        uint64_t before = e.end;
        for (size_t k = t->streams[i].count; k-- > 0 && e.end == before;)
            if (wr_trace_walk_chunk(t, i, k, on_end, &e) != 0)
                break;
    }
    t->quiet = q;
    t->warnings = w;
    return e.end;
}

/* ticks: ns as TSC ticks at m's rate, saturated. */
static uint64_t ticks(const struct wr_model *m, uint64_t ns)
{
    double v = (double)ns / m->ns_per_tick;
    return !(v > 0) ? 0 : v >= 1.8e19 ? UINT64_MAX : (uint64_t)v;
}

/* bound: a bound of w in ns since the start, against a trace of span ns
 * (from the end: never before the start). */
static uint64_t bound(uint64_t ns, int from_end, uint64_t span) { return !from_end ? ns : span > ns ? span - ns : 0; }

void wr_window_resolve(struct wr_model *m)
{
    const struct wr_window *w = m->window;
    m->win_lo = 0;
    m->win_hi = UINT64_MAX;
    m->win_empty = 0;
    if (!w || (!w->has_since && !w->has_until)) {
        m->window = NULL;
        return;
    }
    uint64_t t0 = m->trace->hdr.start_tsc, end = trace_end(m);
    uint64_t span = end > t0 ? wr_model_ns(m, end - t0) : 0;
    uint64_t lo = w->has_since ? bound(w->since_ns, w->since_end, span) : 0;
    uint64_t hi = w->has_until ? bound(w->until_ns, w->until_end, span) : span;
    m->span_ns = span;
    m->win_start_ns = lo;
    m->win_end_ns = hi < span ? hi : span;
    if (lo >= span || hi <= lo) { /* no call can end in it */
        m->win_empty = 1;
        m->win_lo = m->win_hi = 0;
        m->win_start_ns = lo < span ? lo : span;
        return;
    }
    m->win_lo = lo ? t0 + ticks(m, lo) : 0;
    if (hi < span) /* else open: the call that ends the trace is in */
        m->win_hi = t0 + ticks(m, hi);
}

void wr_window_clip(struct wr_model *m, uint64_t *a, uint64_t *b)
{
    uint64_t lo = m->win_lo ? wr_cpu_mono(m, m->win_lo) : 0;
    uint64_t hi = m->win_hi != UINT64_MAX ? wr_cpu_mono(m, m->win_hi) : UINT64_MAX;
    if (m->win_empty)
        lo = hi = 0;
    if (*a < lo)
        *a = lo;
    if (*b > hi)
        *b = hi;
    if (*b < *a)
        *b = *a;
}

/* secs: ns as seconds with up to 3 decimals ("0.25 s", "12 s"). */
static const char *secs(char *buf, size_t cap, uint64_t ns)
{
    snprintf(buf, cap, "%.3f", (double)ns / 1e9);
    char *e = buf + strlen(buf);
    while (e > buf && e[-1] == '0')
        *--e = 0;
    if (e > buf && e[-1] == '.')
        *--e = 0;
    snprintf(e, cap - (size_t)(e - buf), " s");
    return buf;
}

const char *wr_window_text(const struct wr_model *m, char *buf, size_t cap)
{
    char a[40], b[40];
    snprintf(buf, cap, "%s to %s", secs(a, sizeof a, m->win_start_ns), secs(b, sizeof b, m->win_end_ns));
    return buf;
}

const char *wr_window_arg(const struct wr_window *w, char *buf, size_t cap)
{
    char a[40], b[40];
    size_t o = 0;
    buf[0] = 0;
    if (w->has_since)
        o += (size_t)snprintf(buf, cap, "--since %s%s", w->since_end ? "-" : "", secs(a, sizeof a, w->since_ns));
    if (w->has_until && o < cap)
        snprintf(buf + o, cap - o, "%s--until %s%s", o ? " " : "", w->until_end ? "-" : "",
                 secs(b, sizeof b, w->until_ns));
    return buf;
}

int wr_window_missed(const struct wr_model *m)
{
    if (!m->window || !m->win_empty)
        return 0;
    char a[96], b[40];
    fprintf(stderr, "waitreport: %s: %s is outside the trace, which is %s long: no call ended in it\n", m->trace->path,
            wr_window_arg(m->window, a, sizeof a), secs(b, sizeof b, m->span_ns));
    return 1;
}

const char *wr_filter_text(const struct wr_filter *f, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < f->ntids && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%u", i ? "," : "tid ", f->tids[i]);
    for (size_t i = 0; i < f->nnames && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s'%s'", i ? ", " : o ? "; thread " : "thread ", f->names[i]);
    return buf;
}
