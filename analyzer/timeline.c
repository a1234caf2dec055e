/* timeline.c: the records of all threads merged into one time order: the
 * model's walk, and the analyses that need a process-wide order (analyses.h).
 *
 * The reader decodes a thread's chunks one at a time. Here each thread keeps
 * a cursor into its own chunks; the records of its current chunk are decoded
 * into a buffer, and a binary heap of threads ordered by their next record's
 * key picks the next record process-wide. A thread's records keep their
 * order. Memory is bounded by one chunk's records per thread (about 120
 * bytes per record), not by the trace's length; the trace is decoded once. */
#include <stdlib.h>
#include <string.h>

#include "analyses.h"

struct tl_ev {
    uint64_t key;
    struct wr_event ev;
};

struct tl_stream {
    size_t idx;       /* into t->streams and m->threads */
    size_t k;         /* next chunk of the stream to decode */
    struct tl_ev *ev; /* the current chunk's records */
    size_t n, cap, pos;
    uint64_t last_key; /* records without a stamp take the last key */
};

struct tl {
    struct wr_model *m;
    struct tl_stream *cur;
    int oom;
    /* while refilling the thread that is first: records up to lim go
     * straight to fn, until one has to wait (the rest is buffered) */
    int direct;
    uint64_t lim;
    wr_timeline_fn fn;
    void *ctx;
    int rc;
};

static int wanted(unsigned kind)
{
    const struct lw_func_info *fi = lw_func_info_of(kind);
    return fi && (fi->family == LW_FAM_MALLOC || fi->family == LW_FAM_LOCK);
}

uint64_t wr_timeline_key(const struct wr_event *ev)
{
    if (ev->kind == LW_F_free || ev->kind == LW_F_pthread_mutex_unlock)
        return ev->tsc;
    return ev->tsc + ev->dur;
}

/* collect: keep a record of the chunk being decoded, with its key. */
static int collect(void *ctx, const struct wr_event *ev)
{
    struct tl *c = ctx;
    struct tl_stream *s = c->cur;
    if (lw_func_info_of(ev->kind))
        s->last_key = wr_timeline_key(ev);
    if (c->direct && !s->n && s->last_key <= c->lim)
        return c->rc = c->fn(c->ctx, s->idx, ev);
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        struct tl_ev *n = realloc(s->ev, cap * sizeof *n);
        if (!n)
            return c->oom = 1;
        s->ev = n;
        s->cap = cap;
    }
    s->ev[s->n].key = s->last_key;
    s->ev[s->n++].ev = *ev;
    return 0;
}

/* refill: decode s's next chunks until one has records to buffer. 1 when
 * s has records buffered, 0 at its end, -1 on out of memory, or the walk's
 * fn's non-zero value (in c->rc) when it stopped a direct delivery. */
static int refill(struct tl *c, struct tl_stream *s)
{
    struct wr_trace *t = c->m->trace;
    s->n = s->pos = 0;
    while (s->k < t->streams[s->idx].count && !s->n) {
        c->cur = s;
        wr_trace_walk_chunk(t, s->idx, s->k++, collect, c);
        if (c->oom)
            return -1;
        if (c->rc)
            return -1;
    }
    return s->n > 0;
}

static uint64_t head(const struct tl_stream *s) { return s->ev[s->pos].key; }

/* sift_down: restore the min-heap of streams h[0..n) from index i. */
static void sift_down(struct tl_stream **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, min = i;
        if (l < n && head(h[l]) < head(h[min]))
            min = l;
        if (r < n && head(h[r]) < head(h[min]))
            min = r;
        if (min == i)
            return;
        struct tl_stream *x = h[i];
        h[i] = h[min];
        h[min] = x;
        i = min;
    }
}

struct direct {
    wr_timeline_fn fn;
    void *ctx;
    size_t idx;
};

/* deliver: a record straight to the walk's fn (one thread left). */
static int deliver(void *ctx, const struct wr_event *ev)
{
    struct direct *d = ctx;
    return d->fn(d->ctx, d->idx, ev);
}

int wr_timeline_walk(struct wr_model *m, wr_timeline_fn fn, void *ctx)
{
    struct wr_trace *t = m->trace;
    struct tl c = {.m = m, .fn = fn, .ctx = ctx};
    struct tl_stream *ss = calloc(t->nstreams ? t->nstreams : 1, sizeof *ss);
    struct tl_stream **h = calloc(t->nstreams ? t->nstreams : 1, sizeof *h);
    size_t n = 0;
    int r = 0;
    if (!ss || !h) {
        r = -1;
        goto out;
    }
    for (size_t i = 0; i < t->nstreams; i++) {
        ss[i].idx = i;
        int f = refill(&c, &ss[i]);
        if (f < 0) {
            r = -1;
            goto out;
        }
        if (f)
            h[n++] = &ss[i];
    }
    for (size_t i = n / 2; i-- > 0;)
        sift_down(h, n, i);
    while (n) {
        struct tl_stream *s = h[0];
        /* take s's calls up to the next thread's first */
        uint64_t lim = UINT64_MAX;
        if (n > 1)
            lim = head(h[1]);
        if (n > 2 && head(h[2]) < lim)
            lim = head(h[2]);
        do {
            if ((r = fn(ctx, s->idx, &s->ev[s->pos++].ev)) != 0)
                goto out;
        } while (s->pos < s->n && head(s) <= lim);
        if (s->pos == s->n && n == 1) {
            /* the last thread with records left: no merge, no buffer */
            struct direct d = {fn, ctx, s->idx};
            while (s->k < t->streams[s->idx].count)
                if ((r = wr_trace_walk_chunk(t, s->idx, s->k++, deliver, &d)) != 0)
                    goto out;
            break;
        }
        if (s->pos == s->n) {
            c.direct = 1;
            c.lim = lim;
            int f = refill(&c, s);
            c.direct = 0;
            if (f < 0) {
                r = c.rc ? c.rc : -1;
                goto out;
            }
            if (!f)
                h[0] = h[--n];
        }
        sift_down(h, n, 0);
    }
out:
    for (size_t i = 0; ss && i < t->nstreams; i++)
        free(ss[i].ev);
    free(ss);
    free(h);
    return r;
}

struct run {
    struct wr_model *m;
    wr_event_fn model_fn;
    struct wr_locks *locks;
    struct wr_heapan *heap;
};

/* each: the model's record, then the analyses of malloc/lock calls. */
static int each(void *ctx, size_t th, const struct wr_event *ev)
{
    struct run *r = ctx;
    r->m->cur_thread = th;
    int rc = r->model_fn(r->m, ev);
    if (rc || !wanted(ev->kind))
        return rc;
    struct wr_site *site = r->m->last_site; /* the site on_call just charged */
    if (lw_func_info_of(ev->kind)->family == LW_FAM_LOCK)
        return wr_locks_event(r->locks, th, site, ev);
    return wr_heap_event(r->heap, site, ev);
}

int wr_analyses_walk(struct wr_model *m, wr_event_fn model_fn)
{
    struct run r = {m, model_fn, wr_locks_new(m), wr_heap_new(m)};
    int rc = -1;
    if (r.locks && r.heap)
        rc = wr_timeline_walk(m, each, &r);
    if (r.heap)
        wr_heap_finish(r.heap);
    if (r.locks && wr_locks_finish(r.locks) != 0)
        rc = -1;
    return rc;
}
