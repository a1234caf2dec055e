/* lw_codec.h: the bytes of every record body, each schema's encoder next to
 * its decoder. The recorder (preload/) writes records only through the
 * lw_enc_* functions and the analyzer (analyzer/) reads them only through
 * the lw_dec_* functions, so the two sides of lw_format.h's contract are
 * written once, side by side, and tests/unit/test_codec.c round-trips each.
 *
 * Encoders write at b, which has room for the schema's widest form (every
 * varint at LW_VARINT_MAX bytes), and return where the body ends. They are
 * on the recorder's hot path: static inline, no branch beyond the varints'.
 *
 * Decoders read [*pp, e) of an untrusted body. They return 1 and advance
 * *pp past what they read, or 0 for a field that is truncated, over-long
 * or out of range, and then leave the outputs and the delta state partly
 * written (the reader drops the rest of the chunk). They never read at or
 * past e.
 *
 * Delta state is the chunk's (lw_format.h): the last stamp, the last
 * address and the last object, which encoder and decoder advance alike, so
 * a body decodes only after every body before it in its chunk. The LOCK,
 * SYNC and COND coders take the last object as their base (last_obj), the
 * others the last address (last_addr). */
#ifndef LW_CODEC_H
#define LW_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lw_format.h"

/* ---- fields ---- */

/* lw_dec_uv, lw_dec_sv: lw_get_uv and lw_get_sv with the one-byte case
 * (most fields of most records) first, then the two-byte one (sizes, stack
 * ids past 127, near addresses) without lw_get_uv's loop: the same results
 * and bounds. The longer ones (addresses that jump between the heap and a
 * lock, stamps after a long call) are inline too (lw_get_uv always is), as
 * the analyzer's hot loop meets them on most lock records. */
static inline __attribute__((always_inline)) int lw_dec_uv(const uint8_t **pp, const uint8_t *e, uint64_t *out)
{
    const uint8_t *p = *pp;
    if (__builtin_expect(p < e && !(*p & 0x80), 1)) {
        *out = *p;
        *pp = p + 1;
        return 1;
    }
    if (__builtin_expect(e - p >= 2 && !(p[1] & 0x80), 1)) { /* p[0] has its continuation bit here */
        *out = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
        *pp = p + 2;
        return 1;
    }
    return lw_get_uv(pp, e, out);
}

static inline __attribute__((always_inline)) int lw_dec_sv(const uint8_t **pp, const uint8_t *e, int64_t *out)
{
    uint64_t u;
    if (!lw_dec_uv(pp, e, &u))
        return 0;
    *out = lw_unzz(u);
    return 1;
}

/* lw_enc_addr, lw_dec_addr: an address as a signed delta against the
 * chunk's last address (*last), which both advance. */
static inline uint8_t *lw_enc_addr(uint8_t *b, uint64_t *last, uint64_t a)
{
    b = lw_put_sv(b, (int64_t)(a - *last));
    *last = a;
    return b;
}

static inline __attribute__((always_inline)) int lw_dec_addr(const uint8_t **pp, const uint8_t *e, uint64_t *last,
                                                             uint64_t *a)
{
    int64_t d;
    if (!lw_dec_sv(pp, e, &d))
        return 0;
    *a = *last += (uint64_t)d;
    return 1;
}

/* ---- the record frame: [kind u8][len varint][body] ---- */

/* LW_REC_CALL_MAX: the largest call record (kind, len and the widest body
 * of any schema: SELECT with its ready, 3 + 3 + 2 + LW_READY_MAX fields),
 * so its length always fits the one byte that lw_enc_call_len writes. */
#define LW_REC_CALL_MAX (2 + (8 + LW_READY_MAX) * LW_VARINT_MAX)
_Static_assert(LW_REC_CALL_MAX - 2 < 0x80, "a call record's length is one byte");

/* lw_enc_call_len: a call record at rec, whose body ends at end: its
 * length byte. The kind byte is stored last, by the writer (lw_format.h). */
static inline void lw_enc_call_len(uint8_t *rec, const uint8_t *end) { rec[1] = (uint8_t)(end - rec - 2); }

/* lw_enc_len: the length of a meta record's body, after its kind byte at
 * rec; returns where the body goes. */
static inline uint8_t *lw_enc_len(uint8_t *rec, size_t len) { return lw_put_uv(rec + 1, len); }

/* lw_dec_len: the length of the record at rec, in a chunk that ends at
 * end: its body is [*body, *body_end). 1, or 0 when the length is
 * malformed or runs past end. The kind byte, rec[0], is the caller's to
 * read, with the memory order it needs (lw_format.h: a reader that may
 * race the writer loads it with acquire order, and kind 0 means nothing
 * committed from there on). */
static inline __attribute__((always_inline)) int lw_dec_len(const uint8_t *rec, const uint8_t *end,
                                                            const uint8_t **body, const uint8_t **body_end)
{
    const uint8_t *p = rec + 1;
    uint64_t len;
    if (!lw_dec_uv(&p, end, &len) || len > (uint64_t)(end - p))
        return 0;
    *body = p;
    *body_end = p + len;
    return 1;
}

/* ---- call records: the common part, then the schema's arguments ---- */

/* lw_enc_call, lw_dec_call: the common part of a call of stack that ran
 * over [t0, t1): stack id, s(start - last stamp), duration. The start
 * becomes the chunk's last stamp. */
static inline uint8_t *lw_enc_call(uint8_t *b, uint64_t *last_tsc, uint32_t stack, uint64_t t0, uint64_t t1)
{
    b = lw_put_uv(b, stack);
    b = lw_put_sv(b, (int64_t)(t0 - *last_tsc));
    *last_tsc = t0;
    return lw_put_uv(b, t1 - t0);
}

static inline __attribute__((always_inline)) int lw_dec_call(const uint8_t **pp, const uint8_t *e, uint64_t *last_tsc,
                                                             uint32_t *stack, uint64_t *t0, uint64_t *dur)
{
    uint64_t id;
    int64_t d;
    if (!lw_dec_uv(pp, e, &id) || !lw_dec_sv(pp, e, &d) || !lw_dec_uv(pp, e, dur) || id > UINT32_MAX)
        return 0;
    *stack = (uint32_t)id;
    *t0 = *last_tsc += (uint64_t)d;
    return 1;
}

/* ALLOC: bytes asked for, the block (0: failed). */
static inline uint8_t *lw_enc_alloc(uint8_t *b, uint64_t *last_addr, uint64_t size, uint64_t ptr)
{
    b = lw_put_uv(b, size);
    return lw_enc_addr(b, last_addr, ptr);
}

static inline __attribute__((always_inline)) int lw_dec_alloc(const uint8_t **pp, const uint8_t *e, uint64_t *last_addr,
                                                              uint64_t *size, uint64_t *ptr)
{
    return lw_dec_uv(pp, e, size) && lw_dec_addr(pp, e, last_addr, ptr);
}

/* REALLOC: the old block, bytes asked for, the new block (0: failed). */
static inline uint8_t *lw_enc_realloc(uint8_t *b, uint64_t *last_addr, uint64_t old, uint64_t size, uint64_t ptr)
{
    b = lw_enc_addr(b, last_addr, old);
    return lw_enc_alloc(b, last_addr, size, ptr);
}

static inline int lw_dec_realloc(const uint8_t **pp, const uint8_t *e, uint64_t *last_addr, uint64_t *old,
                                 uint64_t *size, uint64_t *ptr)
{
    return lw_dec_addr(pp, e, last_addr, old) && lw_dec_alloc(pp, e, last_addr, size, ptr);
}

/* FREE: the block. */
static inline uint8_t *lw_enc_free(uint8_t *b, uint64_t *last_addr, uint64_t ptr)
{
    return lw_enc_addr(b, last_addr, ptr);
}

static inline __attribute__((always_inline)) int lw_dec_free(const uint8_t **pp, const uint8_t *e, uint64_t *last_addr,
                                                             uint64_t *ptr)
{
    return lw_dec_addr(pp, e, last_addr, ptr);
}

/* MEMALIGN: bytes asked for, the block (0 unless it succeeded), the error
 * number posix_memalign returned. */
static inline uint8_t *lw_enc_memalign(uint8_t *b, uint64_t *last_addr, uint64_t size, uint64_t ptr, uint64_t err)
{
    b = lw_enc_alloc(b, last_addr, size, ptr);
    return lw_put_uv(b, err);
}

static inline int lw_dec_memalign(const uint8_t **pp, const uint8_t *e, uint64_t *last_addr, uint64_t *size,
                                  uint64_t *ptr, uint64_t *err)
{
    return lw_dec_alloc(pp, e, last_addr, size, ptr) && lw_dec_uv(pp, e, err);
}

/* LOCK and SYNC: the object, the error number (0: success), and the
 * LW_LOCK_* / LW_SYNC_* flags, written only when not 0. The decoder sets
 * *has_flags to whether the record carries them (a zero written
 * explicitly counts): a record without them came from a recorder that
 * may not know them. */
static inline uint8_t *lw_enc_obj(uint8_t *b, uint64_t *last_obj, uint64_t obj, uint64_t err, uint64_t flags)
{
    b = lw_enc_addr(b, last_obj, obj);
    b = lw_put_uv(b, err);
    return flags ? lw_put_uv(b, flags) : b;
}

static inline __attribute__((always_inline)) int lw_dec_obj(const uint8_t **pp, const uint8_t *e, uint64_t *last_obj,
                                                            uint64_t *obj, uint64_t *err, uint64_t *flags,
                                                            uint64_t *has_flags)
{
    if (!lw_dec_addr(pp, e, last_obj, obj) || !lw_dec_uv(pp, e, err))
        return 0;
    if (*pp < e && lw_dec_uv(pp, e, flags)) /* a damaged trailing field reads as absent */
        *has_flags = 1;
    return 1;
}

/* COND: the condvar, the mutex, the error number. */
static inline uint8_t *lw_enc_cond(uint8_t *b, uint64_t *last_obj, uint64_t cond, uint64_t mutex, uint64_t err)
{
    b = lw_enc_addr(b, last_obj, cond);
    b = lw_enc_addr(b, last_obj, mutex);
    return lw_put_uv(b, err);
}

static inline int lw_dec_cond(const uint8_t **pp, const uint8_t *e, uint64_t *last_obj, uint64_t *cond, uint64_t *mutex,
                              uint64_t *err)
{
    return lw_dec_addr(pp, e, last_obj, cond) && lw_dec_addr(pp, e, last_obj, mutex) && lw_dec_uv(pp, e, err);
}

/* IO: the fd (as unsigned), bytes moved or -errno. */
static inline uint8_t *lw_enc_io(uint8_t *b, unsigned fd, int64_t ret)
{
    b = lw_put_uv(b, fd);
    return lw_put_sv(b, ret);
}

static inline int lw_dec_io(const uint8_t **pp, const uint8_t *e, uint64_t *fd, int64_t *ret)
{
    return lw_dec_uv(pp, e, fd) && lw_dec_sv(pp, e, ret);
}

/* SELECT: nfds (or maxevents), fds ready or -errno, the timeout's class:
 * 0 none, 1 zero (a poll), 2 finite. */
static inline uint8_t *lw_enc_select(uint8_t *b, uint64_t nfds, int64_t ret, unsigned tmo)
{
    b = lw_put_uv(b, nfds);
    b = lw_put_sv(b, ret);
    return lw_put_uv(b, tmo);
}

static inline int lw_dec_select(const uint8_t **pp, const uint8_t *e, uint64_t *nfds, int64_t *ret, uint64_t *tmo)
{
    return lw_dec_uv(pp, e, nfds) && lw_dec_sv(pp, e, ret) && lw_dec_uv(pp, e, tmo);
}

/* SELECT's ready (lw_format.h), written after lw_enc_select and only
 * when the call returned ready: the epoll fd (-1 for poll and select,
 * whose values are fds), then n (<= LW_READY_MAX) values: fds, or the
 * data of epoll events. */
struct lw_ready {
    int64_t epfd;
    uint64_t n;
    uint64_t v[LW_READY_MAX];
};

static inline uint8_t *lw_enc_ready(uint8_t *b, int64_t epfd, unsigned n, const uint64_t *v)
{
    b = lw_put_sv(b, epfd);
    b = lw_put_uv(b, n);
    for (unsigned i = 0; i < n; i++)
        b = lw_put_uv(b, v[i]);
    return b;
}

/* lw_dec_ready: the ready at *pp, after a SELECT body's three fields: 1
 * with r filled; 0 when the body ends there (a recorder that did not
 * write it, or a call that was not ready) or the field is malformed (n
 * over LW_READY_MAX, a value truncated), which reads as absent: nothing
 * is known of which fds were ready. */
static inline int lw_dec_ready(const uint8_t **pp, const uint8_t *e, struct lw_ready *r)
{
    if (*pp >= e || !lw_dec_sv(pp, e, &r->epfd) || !lw_dec_uv(pp, e, &r->n) || r->n > LW_READY_MAX)
        return 0;
    for (uint64_t i = 0; i < r->n; i++)
        if (!lw_dec_uv(pp, e, &r->v[i]))
            return 0;
    return 1;
}

/* EVENTFD: the initial value, the flags (as unsigned), the fd or -errno. */
static inline uint8_t *lw_enc_eventfd(uint8_t *b, unsigned initval, unsigned flags, int64_t ret)
{
    b = lw_put_uv(b, initval);
    b = lw_put_uv(b, flags);
    return lw_put_sv(b, ret);
}

static inline int lw_dec_eventfd(const uint8_t **pp, const uint8_t *e, uint64_t *initval, uint64_t *flags, int64_t *ret)
{
    return lw_dec_uv(pp, e, initval) && lw_dec_uv(pp, e, flags) && lw_dec_sv(pp, e, ret);
}

/* FDOP: the fd acted on (signed: AT_FDCWD), the new fd, 0 or -errno. */
static inline uint8_t *lw_enc_fdop(uint8_t *b, int64_t fd, int64_t ret)
{
    b = lw_put_sv(b, fd);
    return lw_put_sv(b, ret);
}

static inline int lw_dec_fdop(const uint8_t **pp, const uint8_t *e, int64_t *fd, int64_t *ret)
{
    return lw_dec_sv(pp, e, fd) && lw_dec_sv(pp, e, ret);
}

/* SLEEP: the time asked for in ns, the result. */
static inline uint8_t *lw_enc_sleep(uint8_t *b, uint64_t ns, int64_t ret)
{
    b = lw_put_uv(b, ns);
    return lw_put_sv(b, ret);
}

static inline int lw_dec_sleep(const uint8_t **pp, const uint8_t *e, uint64_t *ns, int64_t *ret)
{
    return lw_dec_uv(pp, e, ns) && lw_dec_sv(pp, e, ret);
}

/* MMAP: bytes, the range's address (0: mmap failed), errno or 0. */
static inline uint8_t *lw_enc_mmap(uint8_t *b, uint64_t *last_addr, uint64_t size, uint64_t addr, uint64_t err)
{
    return lw_enc_memalign(b, last_addr, size, addr, err);
}

static inline int lw_dec_mmap(const uint8_t **pp, const uint8_t *e, uint64_t *last_addr, uint64_t *size, uint64_t *addr,
                              uint64_t *err)
{
    return lw_dec_memalign(pp, e, last_addr, size, addr, err);
}

/* MREMAP: the old range (address, bytes), the new size, the new address
 * (0: failed), errno or 0. */
static inline uint8_t *lw_enc_mremap(uint8_t *b, uint64_t *last_addr, uint64_t old, uint64_t old_size, uint64_t size,
                                     uint64_t addr, uint64_t err)
{
    b = lw_enc_addr(b, last_addr, old);
    b = lw_put_uv(b, old_size);
    return lw_enc_mmap(b, last_addr, size, addr, err);
}

static inline int lw_dec_mremap(const uint8_t **pp, const uint8_t *e, uint64_t *last_addr, uint64_t *old,
                                uint64_t *old_size, uint64_t *size, uint64_t *addr, uint64_t *err)
{
    return lw_dec_addr(pp, e, last_addr, old) && lw_dec_uv(pp, e, old_size) &&
           lw_dec_mmap(pp, e, last_addr, size, addr, err);
}

/* The meta and control records' coders, in a header of their own. */
#include "lw_codec_meta.h"

#endif
