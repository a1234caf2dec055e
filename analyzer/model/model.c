/* model.c: aggregation of decoded events into sites, threads and stacks. */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "model/analysis.h"
#include "model/linemerge.h"
#include "model/timeline.h"
#include "trace/grow.h"

/* add_pair: note a (tsc, CLOCK_MONOTONIC ns) pair for the rate fit. */
static void add_pair(struct wr_model *m, uint64_t tsc, uint64_t ns)
{
    if (!tsc || !ns)
        return;
    if (!m->pair_lo[0] || tsc < m->pair_lo[0])
        m->pair_lo[0] = tsc, m->pair_lo[1] = ns;
    if (tsc > m->pair_hi[0])
        m->pair_hi[0] = tsc, m->pair_hi[1] = ns;
}

struct wr_thread *wr_model_thread(struct wr_model *m, uint32_t stream)
{
    if (m->cur_thread < m->nthreads && m->threads[m->cur_thread].stream == stream)
        return &m->threads[m->cur_thread];
    for (size_t i = 0; i < m->nthreads; i++)
        if (m->threads[i].stream == stream)
            return &m->threads[m->cur_thread = i];
    return NULL; /* cannot happen: threads mirror the reader's streams */
}

/* stamp: a stamp of thread th. The model's first and last stamps are its
 * threads' (model_stamps), taken once the walk is done. */
static void stamp(struct wr_thread *th, uint64_t tsc)
{
    if (!th->first_tsc || tsc < th->first_tsc)
        th->first_tsc = tsc;
    if (tsc > th->last_tsc)
        th->last_tsc = tsc;
}

/* model_stamps: the model's first and last stamps from its threads'. */
static void model_stamps(struct wr_model *m)
{
    m->first_tsc = m->last_tsc = 0;
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct wr_thread *th = &m->threads[i];
        if (th->first_tsc && (!m->first_tsc || th->first_tsc < m->first_tsc))
            m->first_tsc = th->first_tsc;
        if (th->last_tsc > m->last_tsc)
            m->last_tsc = th->last_tsc;
    }
}

/* off_cpu_free: 1 when th surely has no off-CPU time in [a, b): the
 * interval at its cursor (where wr_cpu_split would start) ends after a and
 * starts at or after b, or there is none (most calls); 0 when unsure. */
static inline int off_cpu_free(const struct wr_thread *th, uint64_t a, uint64_t b)
{
    size_t c = th->cursor;
    if (c > th->noff || (c > 0 && th->off[c - 1].end > a))
        return 0;
    return c == th->noff || (th->off[c].end > a && th->off[c].start >= b);
}

/* map_stack: the stack whose site a call of stack is charged to (merge_line). */
static uint32_t map_stack(struct wr_model *m, uint32_t stack)
{
    struct wr_stackmap *e;
    HASH_FIND(hh, m->stackmap, &stack, sizeof stack, e);
    return e ? e->to : stack;
}

size_t wr_site_th_find(const struct wr_site *s, uint32_t ti)
{
    size_t lo = 0, hi = s->nper;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->per_th[mid].th < ti)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* per_thread: s's entry for thread index ti, made when missing (kept
 * sorted by thread, found by binary search; a site's calls mostly come from
 * the thread of its last call, which is tried first). NULL on out of memory. */
static struct wr_site_th *per_thread(struct wr_site *s, uint32_t ti)
{
    if (s->nper && s->per_th[s->lastper].th == ti)
        return &s->per_th[s->lastper];
    size_t lo = wr_site_th_find(s, ti);
    if (lo == s->nper || s->per_th[lo].th != ti) {
        if (wr_grow((void **)&s->per_th, &s->capper, s->nper, sizeof *s->per_th, 2) != 0)
            return NULL;
        memmove(s->per_th + lo + 1, s->per_th + lo, (s->nper - lo) * sizeof *s->per_th);
        memset(&s->per_th[lo], 0, sizeof s->per_th[lo]);
        s->per_th[lo].th = ti;
        s->nper++;
    }
    s->lastper = lo;
    return &s->per_th[lo];
}

/* path_site: a call of thread th (index own - 1) at site s that the
 * thread does not own yet (wr_path_sums). */
static __attribute__((noinline)) void path_site(struct wr_model *m, struct wr_thread *th, struct wr_site *s,
                                                uint32_t own, const struct wr_event *ev)
{
    if (!s->path_owner) { /* a reading makes the site's entries at this call: its gap, then its duration */
        s->path_owner = own;
        s->path_seq = th->path.seq++;
        if (!ev->dur || (s->path_seq && ev->tsc <= th->call_end))
            th->path.bad = 1;
        return;
    }
    th->path.bad = 1;
    if (s->path_owner != UINT32_MAX)
        m->threads[s->path_owner - 1].path.bad = 1, s->path_owner = UINT32_MAX;
}

/* call_split: the part of call ev of thread th (at site s) spent blocked,
 * runnable and switched out, once the thread's known range free of off-CPU
 * time does not hold it, and its thread's part of s (wr_build.per_thread).
 * 0, or -1 on out of memory. */
static __attribute__((noinline)) int call_split(struct wr_model *m, struct wr_thread *th, struct wr_site *s,
                                                const struct wr_event *ev, int counted, uint64_t bytes)
{
    uint64_t sw = 0, bl = 0, rn = 0;
    uint64_t ce = ev->tsc + ev->dur;
    if (m->have_switches && !(ev->tsc >= th->free_lo && ce <= th->free_hi && ce >= ev->tsc)) {
        uint64_t a = wr_cpu_mono(m, ev->tsc), b = wr_cpu_mono(m, ce);
        if (off_cpu_free(th, a, b)) {
            /* such calls keep coming: learn their range (not with per-thread
             * parts, which every call takes here: on_call's check is then
             * whether the range holds alone) */
            if (++th->free_tries >= 8 && !m->per_thread)
                th->free_tries = 0, wr_cpu_free_range(m, th, ev->tsc);
        } else {
            wr_cpu_split(th, a, b, &bl, &rn, &sw);
            s->blocked_ns += bl;
            s->runnable_ns += rn;
            s->switches += sw;
            if (counted) { /* the thread's life is the window's */
                th->in_blocked_ns += bl;
                th->in_runnable_ns += rn;
            }
        }
    }
    m->last_switches = sw;
    if (sw) /* the fast calls are the others (site_sums) */
        s->slow_calls++, s->slow_ticks += ev->dur;
    if (m->per_thread) {
        struct wr_site_th *pt = per_thread(s, (uint32_t)(th - m->threads));
        if (!pt)
            return -1;
        pt->calls++;
        pt->ticks += ev->dur;
        pt->bytes += bytes;
        pt->blocked_ns += bl;
        pt->runnable_ns += rn;
    }
    return 0;
}

/* call_times: the times call ev of thread th (at site s) adds: the gap
 * since the end of the thread's calls so far, charged to s; that end and
 * the thread's stamps; and whether the path can use the thread's sums
 * (wr_path_sums). */
static __attribute__((noinline)) int call_times(struct wr_thread *th, struct wr_site *s, const struct wr_event *ev)
{
    uint64_t from = th->call_end;
    if (!from) { /* its first call: from its birth, when the record came first */
        from = th->first_tsc;
        th->path.first_cs = ev->tsc;
        th->path.first_gap = from && ev->tsc > from ? ev->tsc - from : 0;
    }
    if (from && ev->tsc > from)
        s->gap_ticks += ev->tsc - from;
    th->path.bad |= ev->tsc < th->call_end;
    if (ev->tsc + ev->dur > th->call_end && ev->tsc + ev->dur >= ev->tsc)
        th->call_end = ev->tsc + ev->dur;
    uint64_t end = ev->tsc + ev->dur;
    if (end >= ev->tsc && ev->tsc) {
        /* stamp(end) then stamp(tsc) with tsc <= end, both non-zero */
        if (!th->first_tsc || ev->tsc < th->first_tsc)
            th->first_tsc = ev->tsc;
        if (end > th->last_tsc)
            th->last_tsc = end;
    } else {
        th->path.bad = 1;
        stamp(th, end);
        stamp(th, ev->tsc);
    }
    return 0;
}

/* on_call: aggregate one call, of a function of schema sch, into its site
 * (into *site too, for the analyses). */
static inline __attribute__((always_inline)) int on_call(struct wr_model *m, struct wr_thread *th, unsigned sch,
                                                         const struct wr_event *ev, struct wr_site **site)
{
    uint32_t stack = m->stackmap ? map_stack(m, ev->stack) : ev->stack;
    int inwin = wr_model_in_window(m, ev), counted = th->kept && inwin; /* else for the analyses only */
    uint64_t key = (uint64_t)stack << 8 | ev->kind | (uint64_t)!counted << 63;
    struct wr_site **slot = &m->site_cache[(key * 0x9e3779b97f4a7c15ull) >> 54 & (WR_SITE_CACHE - 1)];
    struct wr_site *s = *slot;
    if (!s || s->key != key) {
        HASH_FIND(hh, m->sites, &key, sizeof key, s);
        if (!s) {
            s = calloc(1, sizeof *s);
            if (!s)
                return -1;
            s->key = key;
            s->func = ev->kind;
            s->stack = stack;
            s->hidden = !counted;
            s->min_ticks = UINT64_MAX;
            HASH_ADD(hh, m->sites, key, sizeof s->key, s);
            m->nsites += counted;
        }
        *slot = s;
    }
    *site = s;
    if (__builtin_expect(s->path_owner != th->path.own, 0))
        path_site(m, th, s, th->path.own, ev);
    s->calls++;
    s->total_ticks += ev->dur;
    if (ev->dur > s->max_ticks)
        s->max_ticks = ev->dur;
    if (ev->dur < s->min_ticks)
        s->min_ticks = ev->dur;
    /* the histogram's count and extremes are the site's (site_sums) */
    wr_hist_add_bucket(&s->hist,
                       ev->dur < WR_TICK_TAB ? m->tick_bucket[ev->dur] : wr_hist_index(wr_model_ns(m, ev->dur)));
    uint64_t bytes = wr_call_bytes_as(sch, ev);
    switch (sch) {
    case LW_S_ALLOC:
    case LW_S_REALLOC:
        s->errors += !ev->ptr && ev->size;
        break;
    case LW_S_MEMALIGN:
    case LW_S_LOCK:
    case LW_S_COND:
    case LW_S_SYNC:
    case LW_S_MMAP:
    case LW_S_MREMAP:
        s->errors += ev->err != 0;
        break;
    case LW_S_IO:
    case LW_S_SELECT:
    case LW_S_EVENTFD:
    case LW_S_FDOP:
        s->errors += ev->ret < 0;
        break;
    case LW_S_SLEEP:
        s->asked_ns += ev->size;
        s->errors += ev->ret < 0;
        break;
    }
    s->bytes += bytes;
    uint64_t ce = ev->tsc + ev->dur;
    if (__builtin_expect(
            m->have_switches ? !(ev->tsc >= th->free_lo && ce <= th->free_hi && ce >= ev->tsc) : m->per_thread, 0)) {
        if (call_split(m, th, s, ev, counted, bytes) != 0)
            return -1;
    } else {
        m->last_switches = 0; /* no switch inside it: call_split would find none */
    }
    th->calls += inwin;
    th->call_ticks += ev->dur;
    th->last_stack = stack;
    uint64_t t = ev->tsc, end = t + ev->dur, last = th->call_end;
    if (__builtin_expect(!last || t < last || end < t || !th->first_tsc || t < th->first_tsc, 0))
        return call_times(th, s, ev);
    /* the likely call, after the thread's last and within its stamps'
     * start: call_times's steps reduce to these */
    s->gap_ticks += t - last;
    th->call_end = end;
    if (end > th->last_tsc)
        th->last_tsc = end;
    return 0;
}

/* record_bytes: the bytes of ev's record in the trace: its kind byte, its
 * length (a varint, written as short as it goes) and its body. */
static uint64_t record_bytes(const struct wr_event *ev)
{
    uint64_t n = 2 + ev->len;
    for (uint64_t l = ev->len; l >= 0x80; l >>= 7)
        n++;
    return n;
}

/* on_event: one record of thread th into the model (fi: its function, or
 * NULL for a record that is not a call; sch: its schema, or WR_SCH_ANY);
 * a call's site into *site. */
static inline __attribute__((always_inline)) int on_event(struct wr_model *m, struct wr_thread *th,
                                                          const struct lw_func_info *fi, unsigned sch,
                                                          const struct wr_event *ev, struct wr_site **site)
{
    uint64_t rb = record_bytes(ev);
    if (sch != WR_SCH_ANY || fi) { /* counted in m->records from m->calls_read (site_sums) */
        m->call_bytes += rb;
        return on_call(m, th, sch != WR_SCH_ANY ? sch : fi->schema, ev, site);
    }
    m->records++;
    *(ev->kind == LW_REC_STACK ? &m->stack_bytes : &m->other_bytes) += rb;
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    switch (ev->kind) {
    case LW_REC_STACK:
        return wr_model_meta(m, ev);
    case LW_REC_MODULE:
        return wr_model_meta(m, ev);
    case LW_REC_THREAD:
        if (wr_thread_name(ev, th->name))
            stamp(th, ev->tsc);
        return 0;
    case LW_REC_DROPPED: {
        uint64_t n;
        if (lw_dec_count(&p, e, &n))
            m->dropped_records += n;
        return 0;
    }
    }
    return 0;
}

/* The model's walk: the analyses' states, and which analyses want each
 * record kind (bit i: wr_analyses[i]). */
struct run {
    struct wr_model *m;
    void *state[WR_MAX_ANALYSES];
    int (*event[WR_MAX_ANALYSES])(void *state, size_t th, struct wr_site *site, const struct wr_event *ev);
    uint32_t route[256];
};

/* each: a record in timeline order to the model, then to the analyses that
 * want its kind, given the site on_call charged a call to. */
static inline __attribute__((always_inline)) int each(void *ctx, size_t th, unsigned sch, const struct wr_event *ev)
{
    struct run *r = ctx;
    struct wr_model *m = r->m;
    const struct lw_func_info *fi = sch != WR_SCH_ANY ? NULL : wr_funcs[ev->kind & 0xff];
    struct wr_site *site = NULL;
    int rc = on_event(m, &m->threads[th], fi, sch, ev, &site);
    uint32_t want = r->route[ev->kind & 0xff];
    if (rc || !want)
        return rc;
    do {
        unsigned i = (unsigned)__builtin_ctz(want);
        if ((rc = r->event[i](r->state[i], th, site, ev)) != 0)
            return rc;
    } while (want &= want - 1);
    return 0;
}

/* model_walk: every record of the trace in timeline order (merge.h) through
 * each, the analyses begun before and finished after. 0, or -1 on out of
 * memory. */
static int model_walk(struct wr_model *m)
{
    struct run r = {.m = m};
    size_t n = 0;
    int rc = 0;
    for (; wr_analyses[n]; n++) {
        if (n == WR_MAX_ANALYSES)
            return -1;
        const struct wr_analysis *a = wr_analyses[n];
        for (unsigned k = 0; k < 256; k++)
            r.route[k] |= (uint32_t)(a->wants(k) != 0) << n;
        r.event[n] = a->event;
        if (!(r.state[n] = a->begin(m)))
            rc = -1;
    }
    if (rc == 0)
        rc = wr_timeline_walk(m, each, &r);
    for (size_t i = 0; i < n; i++)
        if (r.state[i] && wr_analyses[i]->finish(r.state[i]) != 0)
            rc = -1;
    return rc;
}

/* site_sums: what the walk left to be summed once it is done: s's calls
 * without a switch (the others), its histogram's count and extremes (a
 * duration's ns grow with its ticks, so the extremes' ns are the extreme
 * ticks'), and s's calls into the model's counts (every call read, and
 * so every record; those of the kept threads, whose sites are shown). */
static void site_sums(struct wr_model *m, struct wr_site *s)
{
    s->hist.n = s->calls;
    if (s->calls) {
        s->hist.min_ns = wr_model_ns(m, s->min_ticks);
        s->hist.max_ns = wr_model_ns(m, s->max_ticks);
    }
    s->fast_calls = s->calls - s->slow_calls;
    s->fast_ticks = s->total_ticks - s->slow_ticks;
    m->calls_read += s->calls;
    m->records += s->calls;
    if (!s->hidden)
        m->calls += s->calls;
}

static int cmp_site(const void *a, const void *b)
{
    const struct wr_site *x = *(struct wr_site *const *)a, *y = *(struct wr_site *const *)b;
    if (x->total_ticks != y->total_ticks)
        return x->total_ticks > y->total_ticks ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

/* fit_rate: ns per tick from the two clock pairs furthest apart. */
static void fit_rate(struct wr_model *m)
{
    const struct lw_file_header *h = &m->trace->hdr;
    add_pair(m, h->start_tsc, h->start_mono_ns);
    add_pair(m, h->end_tsc, h->end_mono_ns);
    uint64_t dt = m->pair_hi[0] - m->pair_lo[0];
    if (m->pair_hi[1] > m->pair_lo[1] && dt && m->pair_hi[1] - m->pair_lo[1] >= 1000000) {
        m->ns_per_tick = (double)(m->pair_hi[1] - m->pair_lo[1]) / (double)dt;
    } else if (h->tsc_hz_hint >= 100000000ull && h->tsc_hz_hint <= 20000000000ull) {
        m->ns_per_tick = 1e9 / (double)h->tsc_hz_hint;
        m->rate_estimated = 1;
    } else {
        m->ns_per_tick = 1.0; /* no usable clock data: report ticks */
        m->rate_estimated = 2;
        wr_warn(m->trace, "no usable clock data; times are in TSC ticks");
    }
}

/* keep_thread: whether th passes filter f (see struct wr_filter). */
static int keep_thread(const struct wr_filter *f, const struct wr_thread *th)
{
    int ok = !f->ntids;
    for (size_t i = 0; !ok && i < f->ntids; i++)
        ok = f->tids[i] == th->tid;
    const char *name = th->name[0] ? th->name : "?";
    int named = !f->nnames;
    for (size_t i = 0; !named && i < f->nnames; i++)
        named = fnmatch(f->names[i], name, 0) == 0;
    return ok && named;
}

/* name_pass: the names of the threads, from their THREAD records, before
 * the walk that needs them to filter. */
static int name_pass(void *ctx, const struct wr_event *ev)
{
    struct wr_model *m = ctx;
    struct wr_thread *th = ev->kind == LW_REC_THREAD ? wr_model_thread(m, ev->stream) : NULL;
    if (th)
        wr_thread_name(ev, th->name);
    return 0;
}

/* build: wr_model_build_with for one reading of t; map (owned by m once
 * given, also on failure) charges stacks to others. */
static int build(struct wr_model *m, struct wr_trace *t, const struct wr_build *b, struct wr_stackmap *map)
{
    memset(m, 0, sizeof *m);
    m->trace = t;
    m->stackmap = map;
    m->symlib = b ? b->lib : NULL;
    m->per_thread = b && b->per_thread;
    m->keep_wake_links = b && b->wake_links;
    m->crit.mark = b ? b->crit_mark : NULL;
    m->merge_line = b && b->merge_line;
    const struct wr_filter *f = b && b->filter && (b->filter->ntids || b->filter->nnames) ? b->filter : NULL;
    m->filter = f;
    m->nthreads = t->nstreams;
    m->threads = calloc(t->nstreams ? t->nstreams : 1, sizeof *m->threads);
    if (!m->threads)
        return -1;
    for (size_t i = 0; i < t->nstreams; i++) {
        m->threads[i].stream = t->streams[i].stream;
        m->threads[i].tid = t->streams[i].tid;
        m->threads[i].path.own = (uint32_t)i + 1;
        for (size_t k = 0; k < t->streams[i].count; k++) {
            struct lw_chunk_header ch;
            memcpy(&ch, t->map + LW_HEADER_SIZE + t->chunks[t->streams[i].first + k].index * t->hdr.chunk_size,
                   sizeof ch);
            add_pair(m, ch.base_tsc, ch.base_mono_ns);
        }
    }
    if (f && f->nnames) { /* quiet: the walks below warn about any damage */
        unsigned w = t->warnings;
        int q = t->quiet;
        t->quiet = t->skip_calls = 1;
        int r = wr_trace_walk(t, name_pass, m);
        t->quiet = q;
        t->skip_calls = 0;
        t->warnings = w;
        if (r)
            return -1;
    }
    for (size_t i = 0; i < m->nthreads; i++) {
        m->threads[i].kept = !f || keep_thread(f, &m->threads[i]);
        m->kept_threads += m->threads[i].kept;
    }
    if (wr_cpu_prepare(m) != 0)
        return -1;
    for (size_t i = 0; i < m->npairs; i++)
        add_pair(m, m->pairs[i].tsc, m->pairs[i].ns);
    fit_rate(m);
    wr_cpu_tick_table(m);
    m->window = b ? b->window : NULL;
    wr_window_resolve(m);
    if (model_walk(m) != 0)
        return -1;
    model_stamps(m);
    for (size_t i = 0; m->have_switches && i < m->nthreads; i++) {
        struct wr_thread *th = &m->threads[i];
        uint64_t a = wr_cpu_mono(m, th->first_tsc), b = wr_cpu_mono(m, th->last_tsc), sw;
        if (th->noff && th->off[0].start < a) /* off-CPU before its first stamp */
            a = th->off[0].start;
        if (m->window) /* the part of its life inside the window */
            wr_window_clip(m, &a, &b);
        th->life_ns = b > a ? b - a : 0;
        wr_cpu_split(th, a, b, &th->blocked_ns, &th->runnable_ns, &sw);
    }
    m->sorted = malloc((m->nsites ? m->nsites : 1) * sizeof *m->sorted);
    if (!m->sorted)
        return -1;
    size_t i = 0;
    for (struct wr_site *s = m->sites; s; s = s->hh.next) {
        site_sums(m, s);
        if (!s->hidden)
            m->sorted[i++] = s;
    }
    qsort(m->sorted, m->nsites, sizeof *m->sorted, cmp_site);
    const struct lw_file_header *h = &t->hdr;
    if ((h->flags & LW_HF_CLOSED) && h->end_mono_ns > h->start_mono_ns)
        m->wall_ns = h->end_mono_ns - h->start_mono_ns;
    else if (m->last_tsc > h->start_tsc)
        m->wall_ns = wr_model_ns(m, m->last_tsc - h->start_tsc);
    return 0;
}

int wr_model_build(struct wr_model *m, struct wr_trace *t) { return wr_model_build_with(m, t, NULL); }

int wr_model_build_with(struct wr_model *m, struct wr_trace *t, const struct wr_build *b)
{
    unsigned w = t->warnings;
    int r = build(m, t, b, NULL);
    if (r || !b || !b->merge_line)
        return r;
    struct wr_stackmap *map;
    size_t n;
    if (wr_line_map(m, &map, &n) != 0) {
        wr_stackmap_free(map);
        return -1;
    }
    if (!n)
        return 0;
    /* read again, quietly: the first reading warned about any damage */
    int q = t->quiet;
    wr_model_free(m);
    t->warnings = w;
    t->quiet = 1;
    r = build(m, t, b, map);
    t->quiet = q;
    m->stacks_merged = n;
    return r;
}

void wr_model_free(struct wr_model *m)
{
    for (size_t i = 0; wr_analyses[i]; i++) /* first: their results may hang off the sites */
        wr_analyses[i]->release(m);
    struct wr_site *s, *ts;
    HASH_ITER(hh, m->sites, s, ts)
    {
        HASH_DEL(m->sites, s);
        free(s->holders);
        free(s->per_th);
        free(s);
    }
    wr_stackmap_free(m->stackmap);
    struct wr_stackdef *d, *td;
    HASH_ITER(hh, m->stacks, d, td)
    {
        HASH_DEL(m->stacks, d);
        free(d);
    }
    for (size_t i = 0; i < m->nmods; i++)
        free(m->mods[i].path);
    free(m->mods);
    wr_cpu_free(m);
    free(m->threads);
    free(m->sorted);
    if (m->sym)
        wr_symbols_free(m->sym);
    memset(m, 0, sizeof *m);
}
