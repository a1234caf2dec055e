/* model.c: aggregation of decoded events into sites, threads and stacks. */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyses.h"
#include "grow.h"

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

/* on_call: aggregate one call into its site. */
static int on_call(struct wr_model *m, struct wr_thread *th, const struct wr_event *ev)
{
    uint32_t stack = m->stackmap ? map_stack(m, ev->stack) : ev->stack;
    uint64_t key = (uint64_t)stack << 8 | ev->kind | (uint64_t)!th->kept << 63;
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
            s->hidden = !th->kept;
            HASH_ADD(hh, m->sites, key, sizeof s->key, s);
            m->nsites += th->kept;
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
    uint64_t bytes = wr_call_bytes(fi, ev);
    switch (fi->schema) {
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
    uint64_t sw = 0, bl = 0, rn = 0;
    if (m->have_switches) {
        uint64_t a = wr_cpu_mono(m, ev->tsc), b = wr_cpu_mono(m, ev->tsc + ev->dur);
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
    m->calls += th->kept;
    m->calls_read++;
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

/* thread_name: the name a THREAD record gives its thread into th->name
 * (the last record's wins: names change). 1, or 0 for a malformed record. */
static int thread_name(const struct wr_event *ev, struct wr_thread *th)
{
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    uint64_t tid, fl, nlen;
    int64_t d;
    if (!(lw_get_uv(&p, e, &tid) && lw_get_uv(&p, e, &fl) && lw_get_sv(&p, e, &d) && lw_get_uv(&p, e, &nlen) &&
          nlen <= 16 && nlen <= (uint64_t)(e - p)))
        return 0;
    memcpy(th->name, p, nlen);
    th->name[nlen] = 0;
    return 1;
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
    case LW_REC_THREAD:
        if (thread_name(ev, th))
            stamp(m, th, ev->tsc);
        return 0;
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
        thread_name(ev, th);
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
        if (!s->hidden)
            m->sorted[i++] = s;
    qsort(m->sorted, m->nsites, sizeof *m->sorted, cmp_site);
    const struct lw_file_header *h = &t->hdr;
    if ((h->flags & LW_HF_CLOSED) && h->end_mono_ns > h->start_mono_ns)
        m->wall_ns = h->end_mono_ns - h->start_mono_ns;
    else if (m->last_tsc > h->start_tsc)
        m->wall_ns = wr_model_ns(m, m->last_tsc - h->start_tsc);
    return 0;
}

/* The line key of a stack: what the reports show of each of its frames
 * (function, file, line, inlined; module and offset without a line), so
 * that two stacks with equal keys differ only in addresses. */
struct line_key {
    UT_hash_handle hh;
    char *key;
    uint32_t canon; /* the lowest stack id with this key */
};

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* line_key_of: the line key of stack id in m, malloc'ed; NULL on out of memory. */
static char *line_key_of(struct wr_model *m, uint32_t id)
{
    struct wr_frame fr[LW_MAX_DEPTH];
    size_t n = wr_model_frames(m, id, fr, LW_MAX_DEPTH);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (fr[i].file && fr[i].line)
            fprintf(f, "%s\t%s:%d%s\n", fr[i].function, fr[i].file, fr[i].line, fr[i].inlined ? "\ti" : "");
        else
            fprintf(f, "%s\t%s+%" PRIx64 "\n", fr[i].function, fr[i].module, fr[i].offset);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* line_map: the stacks of m that show the same frames as a stack with a
 * lower id, each mapped to the lowest, into *map (*n of them). 0 or -1. */
static int line_map(struct wr_model *m, struct wr_stackmap **map, size_t *n)
{
    *map = NULL;
    *n = 0;
    size_t ns = HASH_COUNT(m->stacks), k = 0;
    uint32_t *ids = malloc((ns ? ns : 1) * sizeof *ids);
    if (!ids)
        return -1;
    for (struct wr_stackdef *d = m->stacks; d; d = d->hh.next)
        ids[k++] = d->id;
    qsort(ids, ns, sizeof *ids, cmp_u32);
    struct line_key *keys = NULL, *lk, *tmp;
    int r = 0;
    for (size_t i = 0; !r && i < ns; i++) {
        char *key = line_key_of(m, ids[i]);
        if (!key) {
            r = -1;
            break;
        }
        HASH_FIND_STR(keys, key, lk);
        if (!lk) {
            if (!(lk = calloc(1, sizeof *lk))) {
                free(key);
                r = -1;
                break;
            }
            lk->key = key;
            lk->canon = ids[i];
            HASH_ADD_KEYPTR(hh, keys, lk->key, strlen(lk->key), lk);
            continue;
        }
        free(key);
        struct wr_stackmap *e = calloc(1, sizeof *e);
        if (!e) {
            r = -1;
            break;
        }
        e->from = ids[i];
        e->to = lk->canon;
        HASH_ADD(hh, *map, from, sizeof e->from, e);
        (*n)++;
    }
    HASH_ITER(hh, keys, lk, tmp)
    {
        HASH_DEL(keys, lk);
        free(lk->key);
        free(lk);
    }
    free(ids);
    return r;
}

static void free_map(struct wr_stackmap *map)
{
    struct wr_stackmap *e, *tmp;
    HASH_ITER(hh, map, e, tmp)
    {
        HASH_DEL(map, e);
        free(e);
    }
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
    if (line_map(m, &map, &n) != 0) {
        free_map(map);
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
    const struct lw_stats *st = &m->trace->hdr.stats;
    if (m->trace->flight && st->records > m->calls_read) /* the run's self time; the threads' lives are the window's */
        d->self_ns = (uint64_t)((double)d->self_ns * (double)m->calls_read / (double)st->records);
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
        free(s->per_th);
        free(s);
    }
    free_map(m->stackmap);
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
