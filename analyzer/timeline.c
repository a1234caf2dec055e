/* timeline.c: the malloc and lock family calls of all threads merged into
 * one time order, and the analyses that need it (analyses.h).
 *
 * The reader decodes one thread at a time. Here each thread keeps a cursor
 * into its own chunks: the malloc/lock calls of its current chunk are
 * decoded into a buffer (the reader walks a view of the trace holding just
 * that chunk), and a binary heap of threads ordered by their next call's key
 * picks the next call process-wide. Memory is bounded by one chunk's
 * malloc/lock calls per thread, not by the trace's length. */
#include <stdlib.h>
#include <string.h>

#include "analyses.h"

struct tl_stream {
    size_t idx;          /* into t->streams and m->threads */
    size_t k;            /* next chunk of the stream to decode */
    struct wr_event *ev; /* the current chunk's malloc/lock calls */
    size_t n, cap, pos;
};

struct tl {
    struct wr_model *m;
    struct tl_stream *cur;
    int oom;
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

/* collect: keep the malloc/lock calls of the chunk being decoded. */
static int collect(void *ctx, const struct wr_event *ev)
{
    struct tl *c = ctx;
    struct tl_stream *s = c->cur;
    if (!wanted(ev->kind))
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        struct wr_event *n = realloc(s->ev, cap * sizeof *n);
        if (!n)
            return c->oom = 1;
        s->ev = n;
        s->cap = cap;
    }
    s->ev[s->n] = *ev;
    s->ev[s->n].body = NULL; /* call records need no body */
    s->n++;
    return 0;
}

/* refill: decode s's next chunks until one has malloc/lock calls. 1 when
 * s has calls buffered, 0 at its end, -1 on out of memory. Damage was
 * warned about by the model's own walk, so this view is quiet. */
static int refill(struct tl *c, struct tl_stream *s)
{
    struct wr_trace *t = c->m->trace;
    const struct wr_stream *st = &t->streams[s->idx];
    s->n = s->pos = 0;
    while (s->k < st->count && !s->n) {
        size_t k = s->k++;
        if (k && t->chunks[st->first + k].seq == t->chunks[st->first + k - 1].seq)
            continue; /* a duplicate, skipped by the main walk too */
        struct wr_trace view = *t;
        struct wr_stream one = *st;
        one.first = st->first + k;
        one.count = 1;
        view.streams = &one;
        view.nstreams = 1;
        view.quiet = 1;
        view.skip_calls = 0;
        c->cur = s;
        wr_trace_walk(&view, collect, c);
        if (c->oom)
            return -1;
    }
    return s->n > 0;
}

static uint64_t head(const struct tl_stream *s) { return wr_timeline_key(&s->ev[s->pos]); }

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

/* site_of: the site of a call the model's walk has aggregated. */
static struct wr_site *site_of(struct wr_model *m, const struct wr_event *ev)
{
    uint64_t key = (uint64_t)ev->stack << 8 | ev->kind;
    struct wr_site *s = m->last_site;
    if (!s || s->key != key) {
        HASH_FIND(hh, m->sites, &key, sizeof key, s);
        m->last_site = s;
    }
    return s;
}

int wr_timeline_walk(struct wr_model *m, wr_timeline_fn fn, void *ctx)
{
    struct wr_trace *t = m->trace;
    struct tl c = {m, NULL, 0};
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
        if (!m->threads[i].ml_calls)
            continue; /* no malloc/lock calls: nothing to decode */
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
            const struct wr_event *ev = &s->ev[s->pos++];
            struct wr_site *site = site_of(m, ev);
            if (site && (r = fn(ctx, s->idx, site, ev)) != 0)
                goto out;
        } while (s->pos < s->n && head(s) <= lim);
        if (s->pos == s->n) {
            int f = refill(&c, s);
            if (f < 0) {
                r = -1;
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
    struct wr_locks *locks;
    struct wr_heapan *heap;
};

static int dispatch(void *ctx, size_t th, struct wr_site *site, const struct wr_event *ev)
{
    struct run *r = ctx;
    if (lw_func_info_of(ev->kind)->family == LW_FAM_LOCK)
        return wr_locks_event(r->locks, th, site, ev);
    return wr_heap_event(r->heap, site, ev);
}

int wr_analyses_run(struct wr_model *m)
{
    struct run r = {wr_locks_new(m), wr_heap_new(m)};
    int rc = -1;
    if (r.locks && r.heap)
        rc = m->ml_calls ? wr_timeline_walk(m, dispatch, &r) : 0;
    if (r.heap)
        wr_heap_finish(r.heap);
    if (r.locks && wr_locks_finish(r.locks) != 0)
        rc = -1;
    return rc;
}
