/* walk.h: the records of one chunk, decoded one at a time: the one chunk
 * walker of the offline reader (reader.c) and the live follower (live.c).
 * It frames each record (lw_codec.h), decodes call records and the meta
 * records whose fields carry the chunk's delta state or a time (THREAD,
 * SWITCH, LOST) into a struct wr_event, and leaves every other body to its
 * consumer (ev.body, ev.len). Inline: it is the analyzer's hot loop.
 *
 * Untrusted input: a record never runs past the chunk's end, and a
 * malformed one is reported, never decoded past its body. */
#ifndef WR_WALK_H
#define WR_WALK_H

#include "lw_codec.h"
#include "trace/reader.h"

/* wr_funcs: lw_func_info_of of every kind byte, filled before main (reader.c,
 * which every walk links): one load per record instead of its checks. */
extern const struct lw_func_info *wr_funcs[256];

/* wr_cursor: where the walk of one chunk stands. */
struct wr_cursor {
    const uint8_t *p, *end;                 /* the next record; the chunk's end */
    uint64_t last_tsc, last_addr, last_obj; /* the chunk's delta state at p */
    uint64_t base_mono;                     /* the chunk header's base_mono_ns */
    int one_base;                           /* a version 1 trace: objects are deltas against last_addr */
};

/* wr_cursor_obj_base: where the cursor's objects take their deltas from
 * (lw_format.h, "Address deltas"). */
static inline uint64_t *wr_cursor_obj_base(struct wr_cursor *c) { return c->one_base ? &c->last_addr : &c->last_obj; }

/* What wr_cursor_next found. */
enum wr_next {
    WR_NEXT_RECORD = 1, /* a record, decoded into ev */
    WR_NEXT_NONE = 0,   /* kind 0: nothing committed from here on */
    WR_NEXT_END = 2,    /* LW_REC_CHUNK_END */
    WR_NEXT_LONG = -1,  /* the record runs past the chunk's end */
    WR_NEXT_BAD = -2,   /* its body is malformed (ev.kind says which kind) */
    WR_NEXT_SKIP = 3,   /* a call record passed over (skip_calls), c past it */
};

/* wr_event_init: a fresh event, every field set. Field by field, not
 * memset: GCC turns that into `rep stos`, a third of the walk's time.
 * The assert catches a field added to struct wr_event but not here. */
_Static_assert(sizeof(struct wr_event) == 120, "wr_event_init must set every field of struct wr_event");
static inline void wr_event_init(struct wr_event *ev, unsigned kind, uint32_t stream, uint32_t tid, const uint8_t *body,
                                 size_t len)
{
    ev->kind = kind;
    ev->stream = stream;
    ev->tid = tid;
    ev->tsc = ev->dur = 0;
    ev->stack = 0;
    ev->size = ev->ptr = ev->old = 0;
    ev->ret = 0;
    ev->err = ev->fd = ev->aux = ev->mono = 0;
    ev->body = body;
    ev->len = len;
}

/* wr_event_init_call: wr_event_init for a call record of schema sch
 * (WR_SCH_ANY: any), less the fields its decoding sets whenever it succeeds
 * (the common part's, and malloc's and free's arguments); an event that
 * fails to decode is reported by its kind alone. */
static inline __attribute__((always_inline)) void wr_event_init_call(struct wr_event *ev, unsigned sch, unsigned kind,
                                                                     uint32_t stream, uint32_t tid, const uint8_t *body,
                                                                     size_t len)
{
    if (sch != LW_S_ALLOC && sch != LW_S_FREE) {
        wr_event_init(ev, kind, stream, tid, body, len);
        return;
    }
    ev->kind = kind;
    ev->stream = stream;
    ev->tid = tid;
    if (sch == LW_S_FREE)
        ev->size = 0;
    ev->old = 0;
    ev->ret = 0;
    ev->err = ev->fd = ev->aux = ev->mono = 0;
    ev->body = body;
    ev->len = len;
}

/* wr_decode_args: the arguments of a call record of schema sch from
 * [p, e) into ev (fields as struct wr_event says), advancing the chunk's
 * address state: last_obj for the synchronization objects, last_addr for
 * the rest. 0 when malformed. */
static inline __attribute__((always_inline)) int wr_decode_args(unsigned sch, const uint8_t *p, const uint8_t *e,
                                                                uint64_t *last_addr, uint64_t *last_obj,
                                                                struct wr_event *ev)
{
    int64_t fd;
    switch (sch) {
    case LW_S_ALLOC:
        return lw_dec_alloc(&p, e, last_addr, &ev->size, &ev->ptr);
    case LW_S_REALLOC:
        return lw_dec_realloc(&p, e, last_addr, &ev->old, &ev->size, &ev->ptr);
    case LW_S_FREE:
        return lw_dec_free(&p, e, last_addr, &ev->ptr);
    case LW_S_MEMALIGN:
        return lw_dec_memalign(&p, e, last_addr, &ev->size, &ev->ptr, &ev->err);
    case LW_S_COND: /* ptr = condvar, old = mutex */
        return lw_dec_cond(&p, e, last_obj, &ev->ptr, &ev->old, &ev->err);
    case LW_S_SYNC:
    case LW_S_LOCK: /* optional trailing flags: fd = 1 when present */
        return lw_dec_obj(&p, e, last_obj, &ev->ptr, &ev->err, &ev->aux, &ev->fd);
    case LW_S_IO:
        return lw_dec_io(&p, e, &ev->fd, &ev->ret);
    case LW_S_SELECT:
        return lw_dec_select(&p, e, &ev->fd, &ev->ret, &ev->aux);
    case LW_S_EVENTFD:
        return lw_dec_eventfd(&p, e, &ev->size, &ev->aux, &ev->ret);
    case LW_S_FDOP: /* fd may be negative (AT_FDCWD): kept as its 64-bit pattern */
        if (!lw_dec_fdop(&p, e, &fd, &ev->ret))
            return 0;
        ev->fd = (uint64_t)fd;
        return 1;
    case LW_S_SLEEP:
        return lw_dec_sleep(&p, e, &ev->size, &ev->ret);
    case LW_S_MMAP:
        return lw_dec_mmap(&p, e, last_addr, &ev->size, &ev->ptr, &ev->err);
    case LW_S_MREMAP: /* aux = the old size */
        return lw_dec_mremap(&p, e, last_addr, &ev->old, &ev->aux, &ev->size, &ev->ptr, &ev->err);
    }
    return 0;
}

/* WR_SCH_ANY: in place of a schema, "not known here". A walk that has read
 * the schema of the call it is at passes that schema on instead, as a
 * constant, so that what it passes it to is expanded for that schema alone,
 * without a switch on it (wr_cursor_next_known, which needs a schema;
 * model/timeline.h does so for the commonest calls). */
#define WR_SCH_ANY 0xffu

/* wr_decode_body: the body [p, e) of a record of kind (fi: its function,
 * NULL for a meta record) into ev, advancing the chunk's delta state in c.
 * Calls: the common part and the arguments. THREAD: ev.tsc its stamp,
 * ev.fd the tid, ev.aux the LW_THR_* flags. SWITCH: ev.aux the LW_SW_*
 * flags, ev.mono its time. LOST: ev.mono the count. Other kinds are left
 * to their consumers. 0 when malformed. */
static inline __attribute__((always_inline)) int wr_decode_body(const struct lw_func_info *fi, unsigned kind,
                                                                const uint8_t *p, const uint8_t *e, struct wr_cursor *c,
                                                                struct wr_event *ev)
{
    if (fi)
        return lw_dec_call(&p, e, &c->last_tsc, &ev->stack, &ev->tsc, &ev->dur) &&
               wr_decode_args(fi->schema, p, e, &c->last_addr, wr_cursor_obj_base(c), ev);
    struct lw_thread_rec th;
    switch (kind) {
    case LW_REC_THREAD:
        if (!lw_dec_thread_head(&p, e, &c->last_tsc, &th))
            return 0;
        ev->tsc = th.tsc;
        ev->aux = th.flags;
        ev->fd = th.tid;
        return 1;
    case LW_REC_SWITCH:
        return lw_dec_switch(&p, e, c->base_mono, &ev->aux, &ev->mono);
    case LW_REC_LOST:
        return lw_dec_count(&p, e, &ev->mono);
    }
    return 1; /* no delta state; an unknown kind from a newer writer is passed on by its length */
}

/* wr_cursor_start: a cursor at the first record of the chunk at base
 * (chunk_size bytes, its header already checked) of a trace of format
 * version (lw_file_header.version, already checked). */
static inline void wr_cursor_start(struct wr_cursor *c, const uint8_t *base, size_t chunk_size, uint32_t version)
{
    struct lw_chunk_header ch;
    memcpy(&ch, base, sizeof ch);
    c->p = base + sizeof ch;
    c->end = base + chunk_size;
    c->last_tsc = ch.base_tsc;
    c->last_addr = c->last_obj = 0;
    c->base_mono = ch.base_mono_ns;
    c->one_base = LW_VERSION_ONE_BASE(version);
}

/* wr_cursor_next: the record at c->p, with ev's stream and tid as given.
 * WR_NEXT_RECORD: decoded into ev, c past it; with skip_calls, a call
 * record is passed over undecoded (WR_NEXT_SKIP). The kind byte is read with acquire order, so a record whose kind is
 * seen was complete (lw_format.h). On WR_NEXT_NONE and WR_NEXT_END c is
 * left at the record; on damage, c's delta state may have moved. The
 * caller checks c->p < c->end first. */
static inline __attribute__((always_inline)) int wr_cursor_next(struct wr_cursor *c, uint32_t stream, uint32_t tid,
                                                                int skip_calls, struct wr_event *ev)
{
    const uint8_t *body, *e;
    if (skip_calls) {
        /* the likely run: call records with a one-byte length, passed
         * over by their length alone (the checks below, in short) */
        const uint8_t *p = c->p;
        if (c->end - p > 2 + 0x7f) { /* up to where any such record fits: no length check */
            const uint8_t *lim = c->end - (2 + 0x7f);
            while (p <= lim && (unsigned)(__atomic_load_n(p, __ATOMIC_ACQUIRE) - 1) < LW_REC_CHUNK_END - 1 &&
                   p[1] < 0x80)
                p += 2 + p[1];
        }
        while (c->end - p >= 2 && (unsigned)(__atomic_load_n(p, __ATOMIC_ACQUIRE) - 1) < LW_REC_CHUNK_END - 1 &&
               p[1] < 0x80 && p[1] <= c->end - p - 2)
            p += 2 + p[1];
        if (p != c->p) {
            c->p = p;
            return WR_NEXT_SKIP;
        }
    }
    unsigned kind = __atomic_load_n(c->p, __ATOMIC_ACQUIRE);
    if (kind == LW_REC_NONE)
        return WR_NEXT_NONE;
    if (!lw_dec_len(c->p, c->end, &body, &e))
        return WR_NEXT_LONG;
    if (kind == LW_REC_CHUNK_END)
        return WR_NEXT_END;
    /* skipping, any function id goes: one without a function is not
     * decoded either, and a consumer of the other records ignores it */
    if (skip_calls && kind < LW_REC_CHUNK_END) {
        c->p = e;
        return WR_NEXT_SKIP;
    }
    const struct lw_func_info *fi = wr_funcs[kind & 0xff];
    wr_event_init(ev, kind, stream, tid, body, (size_t)(e - body));
    if (!wr_decode_body(fi, kind, body, e, c, ev))
        return WR_NEXT_BAD;
    c->p = e;
    return WR_NEXT_RECORD;
}

/* wr_cursor_next_known: wr_cursor_next (skip_calls 0) for the record at
 * c->p when the caller has read its kind byte (kind, with acquire order)
 * and found it a call of a function of schema sch: the same result and
 * state, without the checks that kind makes needless (a function's id is
 * neither LW_REC_NONE nor LW_REC_CHUNK_END), and with the decoding expanded
 * for sch alone where it is a constant. */
_Static_assert((int)LW_F_COUNT <= (int)LW_REC_CHUNK_END, "a function's id is below the meta records' kinds");
static inline __attribute__((always_inline)) int wr_cursor_next_known(struct wr_cursor *c, uint32_t stream,
                                                                      uint32_t tid, unsigned kind, unsigned sch,
                                                                      struct wr_event *ev)
{
    const uint8_t *body, *e;
    if (!lw_dec_len(c->p, c->end, &body, &e))
        return WR_NEXT_LONG;
    wr_event_init_call(ev, sch, kind, stream, tid, body, (size_t)(e - body));
    const uint8_t *p = body;
    if (!lw_dec_call(&p, e, &c->last_tsc, &ev->stack, &ev->tsc, &ev->dur) ||
        !wr_decode_args(sch, p, e, &c->last_addr, wr_cursor_obj_base(c), ev))
        return WR_NEXT_BAD;
    c->p = e;
    return WR_NEXT_RECORD;
}

/* wr_cursor_next_call: wr_cursor_next for a walk that wants only the calls'
 * common part. A call record is framed and decoded as wr_cursor_next does
 * (its arguments checked and the address state advanced, so damage stops
 * the walk at the same record), but only ev's kind, stack, tsc and dur are
 * set; every other record goes through wr_cursor_next, whole. */
static inline __attribute__((always_inline)) int wr_cursor_next_call(struct wr_cursor *c, uint32_t stream, uint32_t tid,
                                                                     struct wr_event *ev)
{
    unsigned kind = __atomic_load_n(c->p, __ATOMIC_ACQUIRE);
    const struct lw_func_info *fi = wr_funcs[kind & 0xff];
    if (!fi)
        return wr_cursor_next(c, stream, tid, 0, ev);
    const uint8_t *body, *e;
    if (!lw_dec_len(c->p, c->end, &body, &e))
        return WR_NEXT_LONG;
    ev->kind = kind;
    if (!lw_dec_call(&body, e, &c->last_tsc, &ev->stack, &ev->tsc, &ev->dur) ||
        !wr_decode_args(fi->schema, body, e, &c->last_addr, wr_cursor_obj_base(c), ev))
        return WR_NEXT_BAD;
    c->p = e;
    return WR_NEXT_RECORD;
}

/* wr_walk_chunk: the records of chunk k of stream si, in order, to fn:
 * the one loop of wr_trace_walk_chunk (calls 0: every record, or only the
 * meta records when t->skip_calls) and of a reading that wants only the
 * calls' common part (calls 1: fn sees call records, decoded as
 * wr_cursor_next_call says). Inline, so that a known fn is too. The walk
 * stops at the chunk's end or damage (wr_trace_chunk_done reports it),
 * or when fn returns non-zero: that value, the chunk's pages kept. */
static inline __attribute__((always_inline)) int wr_walk_chunk(struct wr_trace *t, size_t si, size_t k, int calls,
                                                               wr_event_fn fn, void *ctx)
{
    const struct wr_stream *s = &t->streams[si];
    struct wr_cursor cur;
    if (!wr_trace_chunk_begin(t, si, k, &cur))
        return 0;
    struct wr_event ev;
    ev.kind = 0;
    const uint8_t *rec;
    int got;
    for (;;) {
        rec = cur.p;
        if (rec >= cur.end) {
            got = WR_NEXT_RECORD; /* past the end: no end marker */
            break;
        }
        __builtin_prefetch(rec + 768); /* the hardware prefetcher stops at page ends */
        got = calls ? wr_cursor_next_call(&cur, s->stream, s->tid, &ev)
                    : wr_cursor_next(&cur, s->stream, s->tid, t->skip_calls, &ev);
        if (got == WR_NEXT_SKIP)
            continue;
        if (got != WR_NEXT_RECORD)
            break;
        if (calls && !wr_funcs[ev.kind & 0xff])
            continue;
        int r = fn(ctx, &ev);
        if (r)
            return r;
    }
    wr_trace_chunk_done(t, si, k, got, rec, ev.kind);
    return 0;
}

#endif
