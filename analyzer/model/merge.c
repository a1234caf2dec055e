/* merge.c: the records of all threads merged into one time order: the
 * model's walk, and the analyses that need a process-wide order (analysis.h).
 *
 * The reader decodes a thread's chunks one at a time. Here each thread keeps
 * a cursor into its own chunks; its next records are decoded into a buffer
 * of at most TL_BATCH (the chunk walk pauses there and resumes later), and a
 * binary heap of threads ordered by their next record's key picks the next
 * record process-wide. A thread's records keep their order. Records that
 * need not wait behind another thread's are handed on without buffering.
 * Memory: TL_BATCH records (1 MB) per thread at most, whatever the trace's
 * length or chunk size; the trace is decoded once. */
#include <stdlib.h>
#include <string.h>

#include "model/analysis.h"
#include "model/merge.h"

struct tl_ev {
    uint64_t key;
    struct wr_event ev;
};

struct tl_stream {
    size_t idx;       /* into t->streams and m->threads */
    size_t k;         /* next chunk of the stream to decode */
    struct tl_ev *ev; /* the current chunk's records */
    size_t n, cap, pos;
    uint64_t last_key;      /* records without a stamp take the last key */
    struct wr_chunk_pos at; /* where the walk of chunk k stands */
};

/* at most this many records buffered per thread (1 MB); then its walk pauses */
#define TL_BATCH 8192
#define TL_PAUSE 0x7ffffff0

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

uint64_t wr_timeline_key(const struct wr_event *ev)
{
    if (ev->kind == LW_F_free || ev->kind == LW_F_pthread_mutex_unlock || ev->kind == LW_F_pthread_rwlock_unlock ||
        ev->kind == LW_F_pthread_spin_unlock)
        return ev->tsc;
    const struct lw_func_info *fi = lw_func_info_of(ev->kind);
    if (fi && fi->schema == LW_S_COND) /* releases the mutex at its start */
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
    return s->n == TL_BATCH ? TL_PAUSE : 0;
}

/* advance: walk s on from where it stands, handing records to fn. TL_PAUSE
 * when fn paused it (the next walk resumes there), 0 at the stream's end,
 * or fn's other non-zero value. */
static int advance(struct wr_trace *t, struct tl_stream *s, wr_event_fn fn, void *ctx)
{
    while (s->k < t->streams[s->idx].count) {
        int r = wr_trace_walk_chunk_from(t, s->idx, s->k, &s->at, fn, ctx);
        if (r)
            return r;
        s->k++;
        memset(&s->at, 0, sizeof s->at);
    }
    return 0;
}

/* refill: decode s on until TL_BATCH records are buffered or it ends.
 * 1 when s has records buffered, 0 at its end, -1 on out of memory, or
 * when the walk's fn stopped a direct delivery (its value in c->rc). */
static int refill(struct tl *c, struct tl_stream *s)
{
    s->n = s->pos = 0;
    c->cur = s;
    advance(c->m->trace, s, collect, c);
    if (c->oom || c->rc)
        return -1;
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
            if ((r = advance(t, s, deliver, &d)) != 0)
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

/* The walk of wr_model_walk: the analyses' states, and which analyses
 * want each record kind (bit i: wr_analyses[i]). */
struct run {
    struct wr_model *m;
    wr_event_fn model_fn;
    void *state[WR_MAX_ANALYSES];
    uint32_t route[256];
};

/* each: the model's record, then the analyses that want its kind. */
static int each(void *ctx, size_t th, const struct wr_event *ev)
{
    struct run *r = ctx;
    r->m->cur_thread = th;
    int rc = r->model_fn(r->m, ev);
    uint32_t want = ev->kind < 256 ? r->route[ev->kind] : 0;
    if (rc || !want)
        return rc;
    struct wr_site *site = lw_func_info_of(ev->kind) ? r->m->last_site : NULL; /* the site on_call just charged */
    for (size_t i = 0; want; i++, want >>= 1)
        if ((want & 1) && (rc = wr_analyses[i]->event(r->state[i], th, site, ev)) != 0)
            return rc;
    return 0;
}

int wr_model_walk(struct wr_model *m, wr_event_fn model_fn)
{
    struct run r = {.m = m, .model_fn = model_fn};
    size_t n = 0;
    int rc = 0;
    for (; wr_analyses[n]; n++) {
        if (n == WR_MAX_ANALYSES)
            return -1;
        const struct wr_analysis *a = wr_analyses[n];
        for (unsigned k = 0; k < 256; k++)
            r.route[k] |= (uint32_t)(a->wants(k) != 0) << n;
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
