/* timeline.h: the records of all threads merged into one time order, for
 * the model's walk and the analyses that need a process-wide order
 * (analysis.h). Inline, and included only by the walk's one user
 * (model.c): with the walk's function known where it is expanded, the
 * decoding of each record (trace/walk.h), the merge and the model's
 * aggregation of a call into its site are one loop, with no intermediate
 * call per record.
 *
 * Each thread keeps a cursor into its own chunks; its next records are
 * decoded into a buffer of at most TL_BATCH (the chunk walk pauses there and
 * resumes later), and a binary heap of threads ordered by their next
 * record's key (wr_timeline_key) picks the next record process-wide. A
 * thread's records keep their order. Records that need not wait behind
 * another thread's are handed on without buffering. Memory: TL_BATCH
 * records (1 MB) per thread at most, whatever the trace's length or chunk
 * size; the trace is decoded once. */
#ifndef WR_TIMELINE_H
#define WR_TIMELINE_H

#include <stdlib.h>
#include <string.h>

#include "model/merge.h"
#include "trace/walk.h"

struct tl_ev {
    uint64_t key;
    struct wr_event ev;
};

struct tl_stream {
    size_t idx;       /* into t->streams and m->threads */
    size_t k;         /* next chunk of the stream to decode, or the one open */
    int open;         /* chunk k is being walked: cur stands in it */
    struct tl_ev *ev; /* the current chunk's records */
    size_t n, cap, pos;
    uint64_t last_key;    /* records without a stamp take the last key */
    struct wr_cursor cur; /* where the walk of chunk k stands */
};

/* at most this many records buffered per thread (1 MB); then its walk pauses */
#define TL_BATCH 8192
#define TL_PAUSE 0x7ffffff0

struct tl {
    struct wr_model *m;
    int oom;
    /* while refilling the thread that is first: records up to lim go
     * straight to fn, until one has to wait (the rest is buffered) */
    int direct;
    uint64_t lim;
    int rc;
    uint8_t at_start[256]; /* by kind: a call whose key is its start (wr_timeline_key) */
    uint8_t is_call[256];
    uint8_t schema[256]; /* by kind: its function's schema, WR_SCH_ANY for the other records */
};

/* collect: a record of s just decoded: to fn at once, or kept with its key
 * (at most TL_BATCH, then TL_PAUSE). last: s is the only thread left, so
 * every record goes to fn. 0, TL_PAUSE, or fn's non-zero value (also in
 * c->rc). */
static inline __attribute__((always_inline)) int collect(struct tl *c, struct tl_stream *s, const struct wr_event *ev,
                                                         unsigned sch, int last, wr_timeline_fn fn, void *ctx)
{
    if (last)
        return c->rc = fn(ctx, s->idx, sch, ev);
    if (sch != WR_SCH_ANY || c->is_call[ev->kind & 0xff])
        s->last_key = ev->tsc + (c->at_start[ev->kind & 0xff] ? 0 : ev->dur); /* wr_timeline_key */
    if (c->direct && !s->n && s->last_key <= c->lim)
        return c->rc = fn(ctx, s->idx, sch, ev);
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

/* step: decode the record at s's cursor (of kind; sch: the schema of its
 * function as a constant, or WR_SCH_ANY) into ev, and pass it to collect.
 * WR_NEXT_RECORD and collect's value in *r, or wr_cursor_next's other
 * value. */
static inline __attribute__((always_inline)) int step(struct tl *c, struct tl_stream *s, const struct wr_stream *st,
                                                      unsigned kind, unsigned sch, int last, wr_timeline_fn fn,
                                                      void *ctx, struct wr_event *ev, int *r)
{
    int got = sch != WR_SCH_ANY ? wr_cursor_next_known(&s->cur, st->stream, st->tid, kind, sch, ev)
                                : wr_cursor_next(&s->cur, st->stream, st->tid, 0, ev);
    if (got == WR_NEXT_RECORD)
        *r = collect(c, s, ev, sch, last, fn, ctx);
    return got;
}

/* advance: walk s on from where it stands, each record through collect.
 * The decoding is inline here (trace/walk.h): this is the walk every
 * record of the trace takes. TL_PAUSE when the buffer filled (the next
 * walk resumes after the record that filled it), 0 at the stream's end,
 * or fn's other non-zero value. */
static inline __attribute__((always_inline)) int advance(struct tl *c, struct tl_stream *s, int last, wr_timeline_fn fn,
                                                         void *ctx)
{
    struct wr_trace *t = c->m->trace;
    const struct wr_stream *st = &t->streams[s->idx];
    while (s->k < st->count) {
        if (!s->open && !wr_trace_chunk_begin(t, s->idx, s->k, &s->cur)) {
            s->k++;
            continue;
        }
        s->open = 1;
        struct wr_event ev;
        ev.kind = 0;
        const uint8_t *rec;
        int got;
        for (;;) {
            rec = s->cur.p;
            if (rec >= s->cur.end) {
                got = WR_NEXT_RECORD; /* past the end: no end marker */
                break;
            }
            __builtin_prefetch(rec + 768); /* the hardware prefetcher stops at page ends */
            /* The commonest calls, the allocator's, are expanded for their
             * schema alone: decoding them and charging them to their site
             * then takes no switch on the schema. */
            unsigned kind = __atomic_load_n(rec, __ATOMIC_ACQUIRE);
            unsigned sch = c->schema[kind];
            int r = 0;
            if (sch == LW_S_ALLOC)
                got = step(c, s, st, kind, LW_S_ALLOC, last, fn, ctx, &ev, &r);
            else if (sch == LW_S_FREE)
                got = step(c, s, st, kind, LW_S_FREE, last, fn, ctx, &ev, &r);
            else
                got = step(c, s, st, kind, WR_SCH_ANY, last, fn, ctx, &ev, &r);
            if (got != WR_NEXT_RECORD)
                break;
            if (r)
                return r;
        }
        wr_trace_chunk_done(t, s->idx, s->k, got, rec, ev.kind);
        s->open = 0;
        s->k++;
    }
    return 0;
}

/* refill: decode s on until TL_BATCH records are buffered or it ends.
 * 1 when s has records buffered, 0 at its end, -1 on out of memory, or
 * when the walk's fn stopped a direct delivery (its value in c->rc). */
static inline __attribute__((always_inline)) int refill(struct tl *c, struct tl_stream *s, wr_timeline_fn fn, void *ctx)
{
    s->n = s->pos = 0;
    advance(c, s, 0, fn, ctx);
    if (c->oom || c->rc)
        return -1;
    return s->n > 0;
}

static inline uint64_t head(const struct tl_stream *s) { return s->ev[s->pos].key; }

/* sift_down: restore the min-heap of streams h[0..n) from index i. */
static inline void sift_down(struct tl_stream **h, size_t n, size_t i)
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

/* wr_timeline_walk: every record of the trace, in the global order of
 * wr_timeline_key (a k-way merge of the threads; records without a stamp
 * keep their place in their thread), to fn. 0, -1 on out of memory, or
 * fn's non-zero value. */
static inline __attribute__((always_inline)) int wr_timeline_walk(struct wr_model *m, wr_timeline_fn fn, void *ctx)
{
    struct wr_trace *t = m->trace;
    struct tl c = {.m = m};
    for (unsigned k = 0; k < 256; k++) {
        const struct lw_func_info *fi = lw_func_info_of(k);
        struct wr_event probe = {.kind = k, .tsc = 0, .dur = 1};
        c.is_call[k] = fi != NULL;
        c.schema[k] = fi ? fi->schema : WR_SCH_ANY;
        c.at_start[k] = fi && wr_timeline_key(&probe) == 0;
    }
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
        int f = refill(&c, &ss[i], fn, ctx);
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
            if ((r = fn(ctx, s->idx, WR_SCH_ANY, &s->ev[s->pos++].ev)) != 0)
                goto out;
        } while (s->pos < s->n && head(s) <= lim);
        if (s->pos == s->n && n == 1) {
            /* the last thread with records left: no merge, no buffer */
            if ((r = advance(&c, s, 1, fn, ctx)) != 0)
                goto out;
            break;
        }
        if (s->pos == s->n) {
            c.direct = 1;
            c.lim = lim;
            int f = refill(&c, s, fn, ctx);
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

#endif
