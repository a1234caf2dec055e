/* tb.h: synthetic traces for unit tests, laid out exactly as the recorder
 * writes them (one chunk per stream here). 2 TSC ticks per ns; the trace
 * starts at tsc TB_T0 and lasts 1 s. */
#ifndef TB_H
#define TB_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

#define TB_CHUNK   4096u
#define TB_HZ      2000000000ull
#define TB_T0      1000000ull
#define TB_NOFLAGS UINT64_MAX

struct tb {
    uint8_t *buf;
    size_t size;
    uint8_t *cur, *end;
    uint64_t last_tsc, last_addr, last_obj;
    int one_base; /* write format version 1: objects are deltas against last_addr (set version 1 too) */
};

static inline void tb_init(struct tb *b, unsigned nchunks)
{
    b->size = LW_HEADER_SIZE + (size_t)nchunks * TB_CHUNK;
    b->buf = calloc(1, b->size);
    struct lw_file_header *h = (struct lw_file_header *)b->buf;
    memcpy(h->magic, LW_MAGIC, sizeof LW_MAGIC);
    h->version = LW_VERSION;
    h->header_size = LW_HEADER_SIZE;
    h->chunk_size = TB_CHUNK;
    h->pid = 42;
    h->flags = LW_HF_CLOSED;
    h->start_tsc = TB_T0;
    h->start_mono_ns = 5000000000ull;
    h->end_tsc = h->start_tsc + TB_HZ;
    h->end_mono_ns = h->start_mono_ns + 1000000000ull;
    h->tsc_hz_hint = TB_HZ;
    strcpy(h->command, "synthetic");
}

/* tb_chunk: start chunk i for stream s (chunk sequence seq, thread tid). */
static inline void tb_chunk(struct tb *b, unsigned i, uint32_t s, uint32_t seq, uint32_t tid)
{
    struct lw_file_header *h = (struct lw_file_header *)b->buf;
    if (i + 1 > h->next_chunk)
        h->next_chunk = i + 1;
    uint8_t *c = b->buf + LW_HEADER_SIZE + (size_t)i * TB_CHUNK;
    struct lw_chunk_header ch = {.magic = LW_CHUNK_MAGIC,
                                 .stream = s,
                                 .seq = seq,
                                 .tid = tid,
                                 .base_tsc = h->start_tsc,
                                 .base_mono_ns = h->start_mono_ns};
    memcpy(c, &ch, sizeof ch);
    b->cur = c + sizeof ch;
    b->end = c + TB_CHUNK;
    b->last_tsc = ch.base_tsc;
    b->last_addr = b->last_obj = 0;
}

static inline void tb_end(struct tb *b) { b->cur[0] = LW_REC_CHUNK_END; }

/* tb_rec: a record of kind with body [body, body + len). */
static inline void tb_rec(struct tb *b, unsigned kind, const uint8_t *body, size_t len)
{
    uint8_t *p = lw_put_uv(b->cur + 1, len);
    memcpy(p, body, len);
    b->cur[0] = (uint8_t)kind;
    b->cur = p + len;
    if (b->cur > b->end)
        abort();
}

/* tb_stack: a STACK record of id with frames f[0..n), innermost first. */
static inline void tb_stack(struct tb *b, uint32_t id, const uint64_t *f, unsigned n)
{
    uint8_t body[512], *p = body;
    p = lw_put_uv(p, id);
    p = lw_put_uv(p, n);
    uint64_t prev = 0;
    for (unsigned i = 0; i < n; i++)
        p = lw_put_sv(p, (int64_t)(f[i] - prev)), prev = f[i];
    tb_rec(b, LW_REC_STACK, body, (size_t)(p - body));
}

/* tb_call: call record of f at stack, from tsc for dur ticks; args are the
 * schema's: ALLOC (size, ptr), FREE (ptr), REALLOC (old, size, new), LOCK
 * (mutex, err, flags or TB_NOFLAGS), SYNC (object, err, flags or
 * TB_NOFLAGS), COND (condvar, mutex, err), IO (fd, bytes or -errno as a
 * two's complement). Addresses absolute. */
static inline void tb_call(struct tb *b, unsigned f, uint32_t stack, uint64_t tsc, uint64_t dur, uint64_t a0,
                           uint64_t a1, uint64_t a2)
{
    uint8_t body[128], *p = body;
    p = lw_put_uv(p, stack);
    p = lw_put_sv(p, (int64_t)(tsc - b->last_tsc));
    b->last_tsc = tsc;
    p = lw_put_uv(p, dur);
#define ADDR(a) (p = lw_put_sv(p, (int64_t)((a)-b->last_addr)), b->last_addr = (a))
#define OBJ(a)  (b->one_base ? ADDR(a) : (p = lw_put_sv(p, (int64_t)((a)-b->last_obj)), b->last_obj = (a)))
    switch (lw_func_info_of(f)->schema) {
    case LW_S_ALLOC:
        p = lw_put_uv(p, a0);
        ADDR(a1);
        break;
    case LW_S_FREE:
        ADDR(a0);
        break;
    case LW_S_REALLOC:
        ADDR(a0);
        p = lw_put_uv(p, a1);
        ADDR(a2);
        break;
    case LW_S_COND:
        OBJ(a0);
        OBJ(a1);
        p = lw_put_uv(p, a2);
        break;
    case LW_S_SYNC:
    case LW_S_LOCK:
        OBJ(a0);
        p = lw_put_uv(p, a1);
        if (a2 != TB_NOFLAGS)
            p = lw_put_uv(p, a2);
        break;
    case LW_S_IO:
        p = lw_put_uv(p, a0);
        p = lw_put_sv(p, (int64_t)a1);
        break;
    default:
        abort();
    }
#undef ADDR
#undef OBJ
    tb_rec(b, f, body, (size_t)(p - body));
}

/* tb_switch: a context-switch record of the chunk's thread at mono ns
 * (flags LW_SW_*); the trace then says switches were collected. */
static inline void tb_switch(struct tb *b, unsigned flags, uint64_t mono)
{
    struct lw_file_header *h = (struct lw_file_header *)b->buf;
    uint8_t body[32];
    h->flags |= LW_HF_SWITCHES;
    tb_rec(b, LW_REC_SWITCH, body, (size_t)(lw_enc_switch(body, h->start_mono_ns, flags, mono) - body));
}

/* tb_site: the site of f at stack in m, or NULL. */
static inline struct wr_site *tb_site(struct wr_model *m, unsigned f, uint32_t stack)
{
    uint64_t key = (uint64_t)stack << 8 | f;
    struct wr_site *s;
    HASH_FIND(hh, m->sites, &key, sizeof key, s);
    return s;
}

#endif
