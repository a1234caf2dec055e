/* top_model.c: aggregation for `waitreport top`. A call's switches reach the
 * trace after the call itself (the recorder drains the kernel's ring at
 * clock syncs, chunk starts, and half-full), so each call waits in its
 * thread's queue until the thread's switches are known to be in up to the
 * call's end; then its blocked and runnable time are final and it is counted
 * in the current interval. Without switches calls count at once. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/top_model.h"
#include "trace/grow.h"

#define PEND_MAX (1u << 20) /* a thread's queue past this settles its oldest */

int wr_top_open(struct wr_top *t, const char *path, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->live.t.quiet = 1; /* a full-screen view has no room for warnings */
    if (wr_live_open(&t->live, path, err, errlen) != 0)
        return -1;
    t->sym.trace = &t->live.t;
    t->t_start = t->live.hdr.start_mono_ns;
    t->t_prev = t->t_now = t->t_start;
    return 0;
}

/* thread_of: the top thread of the stream being read (made on first use). */
static struct wr_top_thread *thread_of(struct wr_top *t)
{
    struct wr_live_stream *s = t->live.cur;
    if (!s)
        return NULL;
    if (s->user)
        return s->user;
    struct wr_top_thread *th = calloc(1, sizeof *th);
    if (!th || wr_grow((void **)&t->threads, &t->capthreads, t->nthreads, sizeof *t->threads, 64)) {
        free(th);
        return NULL;
    }
    th->stream = s->stream;
    th->tid = s->tid;
    t->threads[t->nthreads++] = th;
    s->user = th;
    return th;
}

static void acc_add(struct wr_top_acc *a, uint64_t dur, uint64_t bl, uint64_t rn)
{
    a->calls++;
    a->total_ns += dur;
    a->blocked_ns += bl;
    a->runnable_ns += rn;
    wr_hist_add(&a->hist, dur);
}

/* part: the part of site s and thread th in the current interval, made
 * on first use; NULL on out of memory (noted in t->oom). */
static struct wr_top_part *part(struct wr_top *t, struct wr_top_site *s, struct wr_top_thread *th)
{
    struct wr_top_part *p = t->last_part;
    if (p && p->site == s && p->th == th)
        return p;
    uintptr_t key[2] = {(uintptr_t)s, (uintptr_t)th};
    HASH_FIND(hh, t->parts, key, sizeof key, p);
    if (!p) {
        if (!(p = calloc(1, sizeof *p))) {
            t->oom = 1;
            return NULL;
        }
        memcpy(p->key, key, sizeof key);
        p->site = s;
        p->th = th;
        HASH_ADD(hh, t->parts, key, sizeof p->key, p);
    }
    return t->last_part = p;
}

/* count: a call of dur ns at site s on thread th, bl blocked, rn runnable,
 * moving bytes: into the current interval (folded into since-start at its
 * end). */
static void count(struct wr_top *t, struct wr_top_site *s, struct wr_top_thread *th, uint64_t dur, uint64_t bl,
                  uint64_t rn, uint64_t bytes)
{
    acc_add(&s->cur, dur, bl, rn);
    acc_add(&th->cur, dur, bl, rn);
    struct wr_top_part *p = t->parts_on ? part(t, s, th) : NULL;
    if (p) {
        p->calls++;
        p->total_ns += dur;
        p->blocked_ns += bl;
        p->runnable_ns += rn;
        p->bytes += bytes;
    }
}

static void free_parts(struct wr_top_part **h)
{
    struct wr_top_part *p, *tmp;
    HASH_ITER(hh, *h, p, tmp)
    {
        HASH_DEL(*h, p);
        free(p);
    }
}

/* settle: count the oldest pending call of th, split by its off-CPU
 * intervals as far as they are known. */
static void settle(struct wr_top *t, struct wr_top_thread *th)
{
    struct wr_top_pend *p = &th->pend[th->p0++];
    uint64_t bl = 0, rn = 0;
    for (size_t i = th->o0; t->have_switches && i < th->noff && th->off[i].start < p->b; i++) {
        uint64_t a = th->off[i].start > p->a ? th->off[i].start : p->a;
        uint64_t b = th->off[i].end < p->b ? th->off[i].end : p->b;
        if (b > a)
            *(th->off[i].preempt ? &rn : &bl) += b - a;
    }
    if (bl > p->dur_ns) /* clock mapping rounding: never above the call */
        bl = p->dur_ns;
    if (rn > p->dur_ns - bl)
        rn = p->dur_ns - bl;
    count(t, p->site, th, p->dur_ns, bl, rn, p->bytes);
    th->last_b = p->b;
}

/* settle_thread: settle what is covered (all when force), then drop the
 * intervals no pending call can need. */
static void settle_thread(struct wr_top *t, struct wr_top_thread *th, int force)
{
    while (th->p0 < th->np &&
           (force || !t->have_switches || th->ended || th->pend[th->p0].b <= th->covered || th->np - th->p0 > PEND_MAX))
        settle(t, th);
    if (th->p0 == th->np)
        th->p0 = th->np = 0;
    else if (th->p0 > th->cappend / 2) {
        memmove(th->pend, th->pend + th->p0, (th->np - th->p0) * sizeof *th->pend);
        th->np -= th->p0;
        th->p0 = 0;
    }
    uint64_t keep = th->p0 < th->np ? th->pend[th->p0].a : th->last_b;
    while (th->o0 < th->noff && th->off[th->o0].end <= keep)
        th->o0++;
    if (th->o0 == th->noff)
        th->o0 = th->noff = 0;
    else if (th->o0 > th->capoff / 2) {
        memmove(th->off, th->off + th->o0, (th->noff - th->o0) * sizeof *th->off);
        th->noff -= th->o0;
        th->o0 = 0;
    }
}

static int on_call(struct wr_top *t, struct wr_top_thread *th, const struct wr_event *ev)
{
    uint64_t key = (uint64_t)ev->stack << 8 | ev->kind;
    struct wr_top_site *s = t->last_site;
    if (!s || s->key != key)
        HASH_FIND(hh, t->sites, &key, sizeof key, s);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return -1;
        s->key = key;
        s->func = ev->kind;
        s->stack = ev->stack;
        HASH_ADD(hh, t->sites, key, sizeof s->key, s);
        t->nsites++;
    }
    t->last_site = s;
    int64_t di = wr_live_d2i((double)ev->dur * t->live.ns_per_tick);
    uint64_t dur = di > 0 ? (uint64_t)di : 0;
    uint64_t bytes = wr_call_bytes(lw_func_info_of(ev->kind), ev);
    /* the header as read before this poll may predate the thread's perf
     * ring; the flags now say whether its switches will come */
    if (!t->have_switches)
        t->have_switches = (wr_live_header_flags(&t->live) & LW_HF_SWITCHES) != 0;
    if (!t->have_switches) { /* nothing to wait for */
        count(t, s, th, dur, 0, 0, bytes);
        return 0;
    }
    if (wr_grow((void **)&th->pend, &th->cappend, th->np, sizeof *th->pend, 64))
        return -1;
    uint64_t a = wr_live_mono(&t->live, t->live.cur, ev->tsc);
    th->pend[th->np++] = (struct wr_top_pend){s, a, a + dur, dur, bytes};
    return 0;
}

static void on_switch(struct wr_top *t, struct wr_top_thread *th, const struct wr_event *ev)
{
    if (ev->mono > th->covered)
        th->covered = ev->mono;
    if (ev->aux & LW_SW_OUT) {
        th->out_ns = ev->mono;
        th->out_fl = (uint32_t)ev->aux;
        th->have_out = 1;
    } else if (th->have_out) {
        th->have_out = 0;
        if (ev->mono <= th->out_ns || wr_grow((void **)&th->off, &th->capoff, th->noff, sizeof *th->off, 64))
            return;
        if (th->noff > th->o0 && th->off[th->noff - 1].end > th->out_ns)
            return; /* out of order (damaged input): ignore */
        th->off[th->noff++] = (struct wr_offcpu){th->out_ns, ev->mono, (th->out_fl & LW_SW_PREEMPT) != 0};
    }
    (void)t;
}

static void on_mark(struct wr_top *t, const struct wr_event *ev)
{
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    uint64_t tsc, n;
    if (!lw_get_uv(&p, e, &tsc) || !lw_get_uv(&p, e, &n)) /* lw_dec_control, but a bad name only goes unshown */
        return;
    struct wr_mark *k = &t->marks[t->nmarks++ % WR_TOP_MARKS];
    memset(k, 0, sizeof *k);
    k->kind = ev->kind;
    k->tid = ev->tid;
    k->tsc = tsc;
    k->t_ns = ev->mono > t->t_start ? ev->mono - t->t_start : 0;
    if (ev->kind == LW_REC_MARK && n <= LW_MARK_MAX && n <= (uint64_t)(e - p)) {
        memcpy(k->name, p, n);
        wr_name_printable(k->name, n);
    } else if (ev->kind != LW_REC_MARK) {
        k->source = (unsigned)(n < 16 ? n : 0);
    }
}

static int on_event(void *ctx, const struct wr_event *ev)
{
    struct wr_top *t = ctx;
    if (t->live.cur && t->live.cur->meta) /* a flight trace's stacks and modules: no thread's */
        return wr_model_meta(&t->sym, ev) ? (t->oom = 1) : 0;
    struct wr_top_thread *th = thread_of(t);
    if (!th)
        return t->oom = 1;
    if (ev->kind != LW_REC_SWITCH && ev->kind != LW_REC_TIME && ev->kind != WR_LIVE_CHUNK && th->have_cand) {
        if (th->cand > th->covered)
            th->covered = th->cand; /* the drain after the sync or chunk start is complete */
        th->have_cand = 0;
        if (th->p0 < th->np && th->pend[th->p0].b <= th->covered)
            settle_thread(t, th, 0); /* keeps the queue short */
    }
    if (lw_func_info_of(ev->kind))
        return on_call(t, th, ev) ? (t->oom = 1) : 0;
    switch (ev->kind) {
    case LW_REC_SWITCH:
        on_switch(t, th, ev);
        if (th->p0 < th->np && th->pend[th->p0].b <= th->covered)
            settle_thread(t, th, 0);
        break;
    case LW_REC_TIME:
    case WR_LIVE_CHUNK:
        th->cand = ev->mono;
        th->have_cand = 1;
        break;
    case LW_REC_LOST:
        t->lost += ev->mono;
        break;
    case LW_REC_THREAD: {
        size_t n = wr_thread_name(ev, th->name);
        if (n) /* a full-screen view: no control bytes (nor NULs inside) */
            wr_name_printable(th->name, n - 1);
        if (ev->aux & 1)
            th->ended = 1;
        break;
    }
    case LW_REC_MARK:
    case LW_REC_PAUSE:
    case LW_REC_RESUME:
        if (ev->kind != LW_REC_MARK)
            t->rec_paused = ev->kind == LW_REC_PAUSE;
        on_mark(t, ev);
        break;
    case LW_REC_STACK:
    case LW_REC_MODULE:
        if (wr_model_meta(&t->sym, ev) != 0)
            return t->oom = 1;
        break;
    }
    return 0;
}

/* roll: close an interval: cur becomes last and is added to cum. */
static void roll(struct wr_top_acc *cur, struct wr_top_acc *last, struct wr_top_acc *cum)
{
    cum->calls += cur->calls;
    cum->total_ns += cur->total_ns;
    cum->blocked_ns += cur->blocked_ns;
    cum->runnable_ns += cur->runnable_ns;
    if (cur->hist.n)
        wr_hist_merge(&cum->hist, &cur->hist);
    *last = *cur;
    memset(cur, 0, sizeof *cur);
}

uint64_t wr_top_end_ns(const struct wr_top *t)
{
    const struct lw_file_header *h = &t->live.hdr;
    if ((h->flags & LW_HF_CLOSED) && h->end_mono_ns > h->start_mono_ns)
        return h->end_mono_ns;
    return t->live.gone ? t->end_ns : 0;
}

int wr_top_update(struct wr_top *t, uint64_t horizon, uint64_t now_ns)
{
    /* from the header copy (taken at open and each poll), never the mapping */
    t->have_switches = (t->live.hdr.flags & LW_HF_SWITCHES) != 0;
    if (wr_live_poll(&t->live, horizon, on_event, t) != 0 || t->oom)
        return -1;
    t->have_switches = (t->live.hdr.flags & LW_HF_SWITCHES) != 0;
    if (t->live.gone && !t->end_ns) { /* ended without closing: its latest stamp */
        if (horizon == UINT64_MAX)
            t->end_ns = t->live.last_mono; /* everything was read */
        else if (wr_live_scan_end(t->live.t.path, &t->end_ns) != 0 && !t->end_ns)
            return -1;
    }
    uint64_t end = wr_top_end_ns(t);
    if (end && now_ns > end)
        now_ns = end > t->t_start ? end : t->t_start;
    /* the process is gone and everything it wrote has been read */
    int all = t->live.finished || (horizon != UINT64_MAX && horizon >= wr_top_end_ns(t) && wr_top_end_ns(t));
    for (size_t i = 0; i < t->nthreads; i++)
        settle_thread(t, t->threads[i], all);
    t->t_prev = t->t_now;
    t->t_now = now_ns > t->t_now ? now_ns : t->t_now;
    t->events_last = t->live.records - t->rec_prev;
    t->rec_prev = t->live.records;
    for (struct wr_top_site *s = t->sites; s; s = s->hh.next)
        roll(&s->cur, &s->last, &s->cum);
    for (size_t i = 0; i < t->nthreads; i++)
        roll(&t->threads[i]->cur, &t->threads[i]->last, &t->threads[i]->cum);
    free_parts(&t->last_parts);
    t->last_parts = t->parts;
    t->parts = t->last_part = NULL;
    return t->oom ? -1 : 0;
}

void wr_top_sync_modules(struct wr_top *t)
{
    if (t->sym.sym && !t->sym_made) { /* made just now (wr_model_frames), with every module read */
        t->sym_made = 1;
        t->sym_mods = t->sym.nmods;
    }
    if (t->sym.sym && t->sym.nmods > t->sym_mods) { /* a library was loaded since */
        for (size_t i = t->sym_mods; i < t->sym.nmods; i++) {
            struct wr_module *m = &t->sym.mods[i];
            wr_symbols_add_module(t->sym.sym, m->path, m->base, m->build_id, m->build_id_len,
                                  (const uint64_t(*)[2])m->ranges, m->nranges, m->first_stack);
        }
        t->sym_mods = t->sym.nmods;
        for (struct wr_top_site *x = t->sites; x; x = x->hh.next)
            x->labelled = 0;
    }
}

const char *wr_top_label(struct wr_top *t, struct wr_top_site *s)
{
    wr_top_sync_modules(t);
    if (s->labelled)
        return s->where;
    struct wr_frame fr[1];
    size_t n = wr_model_frames(&t->sym, s->stack, fr, 1);
    wr_top_sync_modules(t);
    if (!n) {
        snprintf(s->where, sizeof s->where, "stack %u", s->stack);
        return s->where; /* the stack record may not be read yet: try again later */
    }
    const char *file = fr[0].file ? strrchr(fr[0].file, '/') : NULL;
    file = file ? file + 1 : fr[0].file;
    if (file && fr[0].line)
        snprintf(s->where, sizeof s->where, "%s (%s:%d)", fr[0].function, file, fr[0].line);
    else
        snprintf(s->where, sizeof s->where, "%s (%s)", fr[0].function, fr[0].module);
    s->labelled = 1;
    return s->where;
}

void wr_top_close(struct wr_top *t)
{
    struct wr_top_site *s, *ts;
    HASH_ITER(hh, t->sites, s, ts)
    {
        HASH_DEL(t->sites, s);
        free(s);
    }
    for (size_t i = 0; i < t->nthreads; i++) {
        free(t->threads[i]->pend);
        free(t->threads[i]->off);
        free(t->threads[i]);
    }
    free(t->threads);
    free_parts(&t->parts);
    free_parts(&t->last_parts);
    t->sym.trace = &t->live.t;
    wr_model_free(&t->sym);
    wr_live_close(&t->live);
    memset(t, 0, sizeof *t);
}
