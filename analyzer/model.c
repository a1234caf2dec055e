/* model.c: aggregation of decoded events into sites, threads and stacks. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "analyses.h"

const char *wr_model_family(unsigned f)
{
    static const char *names[LW_FAM_COUNT] = LW_FAMILY_NAMES;
    const struct lw_func_info *fi = lw_func_info_of(f);
    return fi && fi->family < LW_FAM_COUNT ? names[fi->family] : "unknown";
}

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

static int on_stack(struct wr_model *m, const struct wr_event *ev)
{
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    uint64_t id, depth;
    if (!lw_get_uv(&p, e, &id) || !lw_get_uv(&p, e, &depth) || id > UINT32_MAX || depth > LW_MAX_DEPTH) {
        wr_warn(m->trace, "thread %u: malformed stack record", ev->tid);
        return 0;
    }
    struct wr_stackdef *s;
    uint32_t id32 = (uint32_t)id;
    HASH_FIND(hh, m->stacks, &id32, sizeof id32, s);
    if (s)
        return 0; /* first definition wins */
    s = calloc(1, sizeof *s + depth * sizeof s->frames[0]);
    if (!s)
        return -1;
    s->id = id32;
    uint64_t prev = 0;
    for (uint64_t i = 0; i < depth; i++) {
        int64_t d;
        if (!lw_get_sv(&p, e, &d)) {
            wr_warn(m->trace, "thread %u: stack %u is truncated", ev->tid, id32);
            break;
        }
        s->frames[s->depth++] = prev += (uint64_t)d;
    }
    HASH_ADD(hh, m->stacks, id, sizeof s->id, s);
    return 0;
}

static int on_module(struct wr_model *m, const struct wr_event *ev)
{
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    uint64_t base, plen, blen, nr;
    if (!lw_get_uv(&p, e, &base) || !lw_get_uv(&p, e, &plen) || plen > LW_PATH_MAX || plen > (uint64_t)(e - p))
        goto bad;
    const uint8_t *path = p;
    p += plen;
    if (!lw_get_uv(&p, e, &blen) || blen > 64 || blen > (uint64_t)(e - p))
        goto bad;
    const uint8_t *bid = p;
    p += blen;
    if (!lw_get_uv(&p, e, &nr) || nr > 64)
        goto bad;
    if (m->nmods == m->capmods) {
        size_t cap = m->capmods ? 2 * m->capmods : 16;
        struct wr_module *n = realloc(m->mods, cap * sizeof *n);
        if (!n)
            return -1;
        m->mods = n;
        m->capmods = cap;
    }
    struct wr_module *mod = &m->mods[m->nmods];
    memset(mod, 0, sizeof *mod);
    for (uint64_t i = 0; i < nr; i++) {
        uint64_t lo, hi;
        if (!lw_get_uv(&p, e, &lo) || !lw_get_uv(&p, e, &hi))
            goto bad;
        if (lo < hi) {
            mod->ranges[mod->nranges][0] = lo;
            mod->ranges[mod->nranges++][1] = hi;
        }
    }
    uint64_t first = 0;
    if (p < e && (!lw_get_uv(&p, e, &first) || first > UINT32_MAX))
        goto bad;
    mod->first_stack = (uint32_t)first;
    mod->path = strndup((const char *)path, plen);
    if (!mod->path)
        return -1;
    mod->base = base;
    memcpy(mod->build_id, bid, blen);
    mod->build_id_len = blen;
    m->nmods++;
    return 0;
bad:
    wr_warn(m->trace, "thread %u: malformed module record", ev->tid);
    return 0;
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

static void stamp(struct wr_model *m, struct wr_thread *th, uint64_t tsc)
{
    if (!th->first_tsc || tsc < th->first_tsc)
        th->first_tsc = tsc;
    if (tsc > th->last_tsc)
        th->last_tsc = tsc;
    if (!m->first_tsc || tsc < m->first_tsc)
        m->first_tsc = tsc;
    if (tsc > m->last_tsc)
        m->last_tsc = tsc;
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

/* on_call: aggregate one call into its site. */
static int on_call(struct wr_model *m, struct wr_thread *th, const struct wr_event *ev)
{
    uint64_t key = (uint64_t)ev->stack << 8 | ev->kind;
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
            s->stack = ev->stack;
            HASH_ADD(hh, m->sites, key, sizeof s->key, s);
            m->nsites++;
        }
        *slot = s;
    }
    m->last_site = s;
    s->calls++;
    s->total_ticks += ev->dur;
    if (ev->dur > s->max_ticks)
        s->max_ticks = ev->dur;
    wr_hist_add(&s->hist, wr_model_ns(m, ev->dur));
    const struct lw_func_info *fi = lw_func_info_of(ev->kind);
    switch (fi->schema) {
    case LW_S_ALLOC:
    case LW_S_REALLOC:
        s->bytes += ev->size;
        s->errors += !ev->ptr && ev->size;
        break;
    case LW_S_MEMALIGN:
        s->bytes += ev->size;
        s->errors += ev->err != 0;
        break;
    case LW_S_LOCK:
    case LW_S_COND:
    case LW_S_SYNC:
        s->errors += ev->err != 0;
        break;
    case LW_S_IO:
        if (ev->ret > 0)
            s->bytes += (uint64_t)ev->ret;
        s->errors += ev->ret < 0;
        break;
    case LW_S_SELECT:
    case LW_S_EVENTFD:
    case LW_S_FDOP:
        s->errors += ev->ret < 0;
        break;
    case LW_S_SLEEP:
        s->asked_ns += ev->size;
        s->errors += ev->ret < 0;
        break;
    case LW_S_MMAP:
    case LW_S_MREMAP:
        if (!ev->err)
            s->bytes += ev->size;
        s->errors += ev->err != 0;
        break;
    }
    uint64_t sw = 0;
    if (m->have_switches) {
        uint64_t a = wr_cpu_mono(m, ev->tsc), b = wr_cpu_mono(m, ev->tsc + ev->dur), bl, rn;
        if (!off_cpu_free(th, a, b)) {
            wr_cpu_split(th, a, b, &bl, &rn, &sw);
            s->blocked_ns += bl;
            s->runnable_ns += rn;
            s->switches += sw;
            th->in_blocked_ns += bl;
            th->in_runnable_ns += rn;
        }
    }
    m->last_switches = sw;
    if (sw)
        s->slow_calls++, s->slow_ticks += ev->dur;
    else
        s->fast_calls++, s->fast_ticks += ev->dur;
    m->calls++;
    th->calls++;
    uint64_t end = ev->tsc + ev->dur;
    if (end >= ev->tsc && ev->tsc) {
        /* stamp(end) then stamp(tsc) with tsc <= end, both non-zero */
        if (!th->first_tsc || ev->tsc < th->first_tsc)
            th->first_tsc = ev->tsc;
        if (end > th->last_tsc)
            th->last_tsc = end;
        if (!m->first_tsc || ev->tsc < m->first_tsc)
            m->first_tsc = ev->tsc;
        if (end > m->last_tsc)
            m->last_tsc = end;
    } else {
        stamp(m, th, end);
        stamp(m, th, ev->tsc);
    }
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

static int on_event(void *ctx, const struct wr_event *ev)
{
    struct wr_model *m = ctx;
    struct wr_thread *th = wr_model_thread(m, ev->stream);
    m->records++;
    uint64_t rb = record_bytes(ev);
    if (lw_func_info_of(ev->kind)) {
        m->call_bytes += rb;
        return on_call(m, th, ev);
    }
    *(ev->kind == LW_REC_STACK ? &m->stack_bytes : &m->other_bytes) += rb;
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    switch (ev->kind) {
    case LW_REC_STACK:
        return on_stack(m, ev);
    case LW_REC_MODULE:
        return on_module(m, ev);
    case LW_REC_THREAD: {
        uint64_t tid, fl, nlen;
        int64_t d;
        if (lw_get_uv(&p, e, &tid) && lw_get_uv(&p, e, &fl) && lw_get_sv(&p, e, &d) && lw_get_uv(&p, e, &nlen) &&
            nlen <= 16 && nlen <= (uint64_t)(e - p)) {
            memcpy(th->name, p, nlen);
            th->name[nlen] = 0; /* the end record's name wins: names change */
            stamp(m, th, ev->tsc);
        }
        return 0;
    }
    case LW_REC_MARK:
    case LW_REC_PAUSE:
    case LW_REC_RESUME:
        return wr_marks_add(m, ev);
    case LW_REC_DROPPED: {
        uint64_t n;
        if (lw_get_uv(&p, e, &n))
            m->dropped_records += n;
        return 0;
    }
    }
    return 0;
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

int wr_model_build(struct wr_model *m, struct wr_trace *t)
{
    memset(m, 0, sizeof *m);
    m->trace = t;
    m->nthreads = t->nstreams;
    m->threads = calloc(t->nstreams ? t->nstreams : 1, sizeof *m->threads);
    if (!m->threads)
        return -1;
    for (size_t i = 0; i < t->nstreams; i++) {
        m->threads[i].stream = t->streams[i].stream;
        m->threads[i].tid = t->streams[i].tid;
        for (size_t k = 0; k < t->streams[i].count; k++) {
            struct lw_chunk_header ch;
            memcpy(&ch, t->map + LW_HEADER_SIZE + t->chunks[t->streams[i].first + k].index * t->hdr.chunk_size,
                   sizeof ch);
            add_pair(m, ch.base_tsc, ch.base_mono_ns);
        }
    }
    if (wr_cpu_prepare(m) != 0)
        return -1;
    for (size_t i = 0; i < m->npairs; i++)
        add_pair(m, m->pairs[i].tsc, m->pairs[i].ns);
    fit_rate(m);
    if (wr_analyses_walk(m, on_event) != 0)
        return -1;
    for (size_t i = 0; m->have_switches && i < m->nthreads; i++) {
        struct wr_thread *th = &m->threads[i];
        uint64_t a = wr_cpu_mono(m, th->first_tsc), b = wr_cpu_mono(m, th->last_tsc), sw;
        if (th->noff && th->off[0].start < a) /* off-CPU before its first stamp */
            a = th->off[0].start;
        th->life_ns = b > a ? b - a : 0;
        wr_cpu_split(th, a, b, &th->blocked_ns, &th->runnable_ns, &sw);
    }
    wr_marks_finish(m);
    m->sorted = malloc((m->nsites ? m->nsites : 1) * sizeof *m->sorted);
    if (!m->sorted)
        return -1;
    size_t i = 0;
    for (struct wr_site *s = m->sites; s; s = s->hh.next)
        m->sorted[i++] = s;
    qsort(m->sorted, m->nsites, sizeof *m->sorted, cmp_site);
    const struct lw_file_header *h = &t->hdr;
    if ((h->flags & LW_HF_CLOSED) && h->end_mono_ns > h->start_mono_ns)
        m->wall_ns = h->end_mono_ns - h->start_mono_ns;
    else if (m->last_tsc > h->start_tsc)
        m->wall_ns = wr_model_ns(m, m->last_tsc - h->start_tsc);
    return 0;
}

/* The denominator is the sum of each thread's traced life (first to last
 * stamp, or from its first switch out when that came earlier): its CPU time
 * plus its blocked and runnable time. libwait's work runs on the program's
 * threads and stretches their lives, and the report's figures (waits, holds,
 * wall) are all drawn from those lives, so this share says how much of what
 * the report measures was libwait's. CPU time alone would be the wrong base:
 * a program that sleeps through most of its run has little CPU time, and
 * libwait's start-up (the first unwinds and the load map, about a
 * millisecond) would be "most of it" although no wait it reports moved. The
 * self estimate is TSC time, so it includes libwait's own preemptions, as
 * the lives do. A sampled estimate can overshoot a life spent almost all in
 * libwait, hence the cap at 1.
 * The counters reach the header when threads flush, the last ones at exit:
 * in an incomplete trace self_ns is a lower bound, so a share over the
 * threshold is still a distortion, but one under it proves nothing
 * (distorted -1). */
void wr_model_distortion(const struct wr_model *m, struct wr_distortion *d)
{
    memset(d, 0, sizeof *d);
    d->self_ns = wr_model_ns(m, m->trace->hdr.stats.self_ticks);
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct wr_thread *th = &m->threads[i];
        uint64_t life = m->have_switches               ? th->life_ns
                        : th->last_tsc > th->first_tsc ? wr_model_ns(m, th->last_tsc - th->first_tsc)
                                                       : 0;
        d->thread_ns = life > UINT64_MAX - d->thread_ns ? UINT64_MAX : d->thread_ns + life;
    }
    if (d->thread_ns)
        d->share = (double)d->self_ns / (double)d->thread_ns;
    if (d->share > 1.0)
        d->share = 1.0;
    d->distorted = d->share > WR_DISTORT_SHARE ? 1 : m->trace->incomplete ? -1 : 0;
}

size_t wr_model_frames(struct wr_model *m, uint32_t stack, struct wr_frame *out, size_t max)
{
    struct wr_stackdef *s;
    HASH_FIND(hh, m->stacks, &stack, sizeof stack, s);
    if (!s || !max)
        return 0;
    if (!m->sym) {
        m->sym = m->symlib ? wr_symbols_new_in(m->symlib) : wr_symbols_new();
        if (!m->sym)
            return 0;
        for (size_t i = 0; i < m->nmods; i++) {
            struct wr_module *mod = &m->mods[i];
            wr_symbols_add_module(m->sym, mod->path, mod->base, mod->build_id, mod->build_id_len,
                                  (const uint64_t(*)[2])mod->ranges, mod->nranges, mod->first_stack);
        }
    }
    size_t n = 0;
    for (uint32_t i = 0; i < s->depth && n < max; i++)
        n += wr_symbols_resolve(m->sym, stack, s->frames[i], out + n, max - n);
    return n;
}

void wr_model_free(struct wr_model *m)
{
    struct wr_site *s, *ts;
    HASH_ITER(hh, m->sites, s, ts)
    {
        HASH_DEL(m->sites, s);
        free(s->holders);
        free(s);
    }
    struct wr_stackdef *d, *td;
    HASH_ITER(hh, m->stacks, d, td)
    {
        HASH_DEL(m->stacks, d);
        free(d);
    }
    for (size_t i = 0; i < m->nmods; i++)
        free(m->mods[i].path);
    free(m->mods);
    wr_mutexes_free(m);
    free(m->marks);
    wr_cpu_free(m);
    free(m->threads);
    free(m->sorted);
    if (m->sym)
        wr_symbols_free(m->sym);
    memset(m, 0, sizeof *m);
}

/* wr_model_meta: feed one STACK or MODULE record to m (incremental readers
 * that keep only stacks and modules, e.g. top). 0, or -1 on out of memory. */
int wr_model_meta(struct wr_model *m, const struct wr_event *ev)
{
    if (ev->kind == LW_REC_STACK)
        return on_stack(m, ev);
    if (ev->kind == LW_REC_MODULE)
        return on_module(m, ev);
    return 0;
}
