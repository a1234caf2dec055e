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

/* ---- meta and control records ---- */

/* THREAD: tid, flags (LW_THR_*), s(stamp - last stamp), the name (length,
 * bytes: at most 16), then by flag: BORN self, creator; FAULTS minor,
 * major. The stamp becomes the chunk's last stamp. A decoder of an older
 * or newer writer's record reads the fields it knows and stops: hence one
 * decoder per part. */
struct lw_thread_rec {
    uint64_t tid, flags, tsc;
    char name[17]; /* NUL-terminated copy; the name may hold NULs itself */
    size_t name_len;
    uint64_t self, creator;  /* LW_THR_BORN */
    uint64_t minflt, majflt; /* LW_THR_FAULTS */
};

#define LW_THREAD_REC_MAX (7 * LW_VARINT_MAX + 16)

static inline uint8_t *lw_enc_thread(uint8_t *b, uint64_t *last_tsc, const struct lw_thread_rec *r)
{
    size_t n = r->name_len > 16 ? 16 : r->name_len;
    b = lw_put_uv(b, r->tid);
    b = lw_put_uv(b, r->flags);
    b = lw_put_sv(b, (int64_t)(r->tsc - *last_tsc));
    *last_tsc = r->tsc;
    b = lw_put_uv(b, n);
    memcpy(b, r->name, n);
    b += n;
    if (r->flags & LW_THR_BORN) {
        b = lw_put_uv(b, r->self);
        b = lw_put_uv(b, r->creator);
    }
    if (r->flags & LW_THR_FAULTS) {
        b = lw_put_uv(b, r->minflt);
        b = lw_put_uv(b, r->majflt);
    }
    return b;
}

/* lw_dec_thread_head: tid, flags and the stamp, advancing *last_tsc. */
static inline int lw_dec_thread_head(const uint8_t **pp, const uint8_t *e, uint64_t *last_tsc, struct lw_thread_rec *r)
{
    int64_t d;
    if (!lw_get_uv(pp, e, &r->tid) || !lw_get_uv(pp, e, &r->flags) || !lw_get_sv(pp, e, &d))
        return 0;
    r->tsc = *last_tsc += (uint64_t)d;
    return 1;
}

/* lw_dec_thread_name: the name, after the head, into r->name (as recorded:
 * control bytes and NULs included). */
static inline int lw_dec_thread_name(const uint8_t **pp, const uint8_t *e, struct lw_thread_rec *r)
{
    uint64_t n;
    if (!lw_get_uv(pp, e, &n) || n > 16 || n > (uint64_t)(e - *pp))
        return 0;
    memcpy(r->name, *pp, n);
    r->name[n] = 0;
    r->name_len = (size_t)n;
    *pp += n;
    return 1;
}

/* lw_dec_thread_born: self and creator, after the name of a record with
 * LW_THR_BORN. */
static inline int lw_dec_thread_born(const uint8_t **pp, const uint8_t *e, struct lw_thread_rec *r)
{
    return lw_get_uv(pp, e, &r->self) && lw_get_uv(pp, e, &r->creator);
}

/* lw_dec_thread_faults: the page faults, after BORN's fields if any, of a
 * record with LW_THR_FAULTS. */
static inline int lw_dec_thread_faults(const uint8_t **pp, const uint8_t *e, struct lw_thread_rec *r)
{
    return lw_get_uv(pp, e, &r->minflt) && lw_get_uv(pp, e, &r->majflt);
}

/* TIME: a clock pair, both absolute: tsc, CLOCK_MONOTONIC ns. */
static inline uint8_t *lw_enc_time(uint8_t *b, uint64_t tsc, uint64_t ns)
{
    b = lw_put_uv(b, tsc);
    return lw_put_uv(b, ns);
}

static inline int lw_dec_time(const uint8_t **pp, const uint8_t *e, uint64_t *tsc, uint64_t *ns)
{
    return lw_get_uv(pp, e, tsc) && lw_get_uv(pp, e, ns);
}

/* SWITCH: the LW_SW_* flags, s(CLOCK_MONOTONIC ns - the chunk's
 * base_mono_ns). */
static inline uint8_t *lw_enc_switch(uint8_t *b, uint64_t base_mono, unsigned flags, uint64_t mono)
{
    b = lw_put_uv(b, flags);
    return lw_put_sv(b, (int64_t)(mono - base_mono));
}

static inline int lw_dec_switch(const uint8_t **pp, const uint8_t *e, uint64_t base_mono, uint64_t *flags,
                                uint64_t *mono)
{
    int64_t d;
    if (!lw_get_uv(pp, e, flags) || !lw_get_sv(pp, e, &d))
        return 0;
    *mono = base_mono + (uint64_t)d;
    return 1;
}

/* LOST and DROPPED: one count (switch records the kernel dropped; calls
 * the recorder lost). */
static inline uint8_t *lw_enc_count(uint8_t *b, uint64_t n) { return lw_put_uv(b, n); }

static inline int lw_dec_count(const uint8_t **pp, const uint8_t *e, uint64_t *n) { return lw_get_uv(pp, e, n); }

/* STACK: id, depth (at most LW_MAX_DEPTH), then each frame as a signed
 * delta against the one before (the first against 0), caller last. */
#define LW_STACK_REC_MAX ((2 + LW_MAX_DEPTH) * LW_VARINT_MAX)

static inline uint8_t *lw_enc_stack(uint8_t *b, uint32_t id, const uintptr_t *frames, uint32_t depth)
{
    b = lw_put_uv(b, id);
    b = lw_put_uv(b, depth);
    uintptr_t prev = 0;
    for (uint32_t i = 0; i < depth; i++) {
        b = lw_put_sv(b, (int64_t)(frames[i] - prev));
        prev = frames[i];
    }
    return b;
}

/* lw_dec_stack_head: id and depth, checked against their limits. */
static inline int lw_dec_stack_head(const uint8_t **pp, const uint8_t *e, uint32_t *id, uint32_t *depth)
{
    uint64_t i, d;
    if (!lw_get_uv(pp, e, &i) || !lw_get_uv(pp, e, &d) || i > UINT32_MAX || d > LW_MAX_DEPTH)
        return 0;
    *id = (uint32_t)i;
    *depth = (uint32_t)d;
    return 1;
}

/* lw_dec_stack_frame: the next frame, from the one before (*prev, 0 for
 * the first), which it advances. */
static inline int lw_dec_stack_frame(const uint8_t **pp, const uint8_t *e, uint64_t *prev)
{
    int64_t d;
    if (!lw_get_sv(pp, e, &d))
        return 0;
    *prev += (uint64_t)d;
    return 1;
}

/* MODULE: load base, path (length <= LW_PATH_MAX, bytes), build id (length
 * <= 64, bytes), n ranges (<= 64) as (lo, hi), then first (the first
 * stack id that may hold its code; optional, absent = 0). */
#define LW_MODULE_RANGES   64
#define LW_MODULE_BUILD_ID 64
#define LW_MODULE_REC_MAX  (LW_PATH_MAX + LW_MODULE_BUILD_ID + (5 + 2 * LW_MODULE_RANGES) * LW_VARINT_MAX)

struct lw_module_rec {
    uint64_t base;
    const uint8_t *path, *build_id; /* decoded: into the body */
    size_t path_len, build_id_len;
    uint64_t ranges[LW_MODULE_RANGES][2];
    size_t nranges;
    uint64_t first;
};

/* The encoder comes in three parts, so that the recorder writes the
 * ranges as it finds them, without a copy on the program's stack: the
 * head (nranges: how many lw_enc_module_range calls follow), each range,
 * then lw_enc_module_first. The caller keeps the limits above. */
static inline uint8_t *lw_enc_module_head(uint8_t *b, uint64_t base, const void *path, size_t path_len,
                                          const void *build_id, size_t build_id_len, size_t nranges)
{
    b = lw_put_uv(b, base);
    b = lw_put_uv(b, path_len);
    memcpy(b, path, path_len);
    b += path_len;
    b = lw_put_uv(b, build_id_len);
    memcpy(b, build_id, build_id_len);
    b += build_id_len;
    return lw_put_uv(b, nranges);
}

static inline uint8_t *lw_enc_module_range(uint8_t *b, uint64_t lo, uint64_t hi)
{
    b = lw_put_uv(b, lo);
    return lw_put_uv(b, hi);
}

static inline uint8_t *lw_enc_module_first(uint8_t *b, uint64_t first) { return lw_put_uv(b, first); }

/* lw_dec_module: the whole record; path and build_id point into the body.
 * Every range is kept as recorded (an empty one too). */
static inline int lw_dec_module(const uint8_t **pp, const uint8_t *e, struct lw_module_rec *r)
{
    uint64_t plen, blen, nr;
    if (!lw_get_uv(pp, e, &r->base) || !lw_get_uv(pp, e, &plen) || plen > LW_PATH_MAX || plen > (uint64_t)(e - *pp))
        return 0;
    r->path = *pp;
    r->path_len = (size_t)plen;
    *pp += plen;
    if (!lw_get_uv(pp, e, &blen) || blen > LW_MODULE_BUILD_ID || blen > (uint64_t)(e - *pp))
        return 0;
    r->build_id = *pp;
    r->build_id_len = (size_t)blen;
    *pp += blen;
    if (!lw_get_uv(pp, e, &nr) || nr > LW_MODULE_RANGES)
        return 0;
    for (r->nranges = 0; r->nranges < nr; r->nranges++)
        if (!lw_get_uv(pp, e, &r->ranges[r->nranges][0]) || !lw_get_uv(pp, e, &r->ranges[r->nranges][1]))
            return 0;
    r->first = 0;
    return *pp == e || (lw_get_uv(pp, e, &r->first) && r->first <= UINT32_MAX);
}

/* MARK, PAUSE, RESUME: the absolute stamp, then MARK's name (length <=
 * LW_MARK_MAX, bytes) or PAUSE's and RESUME's source (LW_CTL_*). */
#define LW_CTL_REC_MAX (2 * LW_VARINT_MAX + LW_MARK_MAX)

static inline uint8_t *lw_enc_mark(uint8_t *b, uint64_t tsc, const char *name, size_t n)
{
    b = lw_put_uv(b, tsc);
    b = lw_put_uv(b, n);
    memcpy(b, name, n);
    return b + n;
}

static inline uint8_t *lw_enc_pause(uint8_t *b, uint64_t tsc, uint64_t source)
{
    b = lw_put_uv(b, tsc);
    return lw_put_uv(b, source);
}

/* lw_dec_stamp: the absolute stamp that leads a MARK, PAUSE, RESUME,
 * FDID or EPCTL body, alone (a reader that needs only the time). */
static inline int lw_dec_stamp(const uint8_t **pp, const uint8_t *e, uint64_t *tsc) { return lw_get_uv(pp, e, tsc); }

/* lw_dec_control: a MARK, PAUSE or RESUME body (kind says which): the
 * stamp, and the source or the name's length; a MARK's name starts at
 * *pp afterwards, and is checked to fit the body and LW_MARK_MAX. */
static inline int lw_dec_control(const uint8_t **pp, const uint8_t *e, unsigned kind, uint64_t *tsc, uint64_t *arg)
{
    if (!lw_get_uv(pp, e, tsc) || !lw_get_uv(pp, e, arg))
        return 0;
    return kind != LW_REC_MARK || (*arg <= LW_MARK_MAX && *arg <= (uint64_t)(e - *pp));
}

/* FDID: the absolute stamp, s(fd), type (LW_FD_*), dev, ino, peer ino,
 * and for LW_FD_SOCKET and LW_FD_LISTEN: family, local, peer, peer pid. */
struct lw_fdid_rec {
    uint64_t tsc;
    int64_t fd;
    uint64_t type, dev, ino, peer_ino;
    uint64_t family, local, peer, pid; /* LW_FD_SOCKET, LW_FD_LISTEN */
};

#define LW_FDID_REC_MAX (10 * LW_VARINT_MAX)

static inline uint8_t *lw_enc_fdid(uint8_t *b, const struct lw_fdid_rec *r)
{
    b = lw_put_uv(b, r->tsc);
    b = lw_put_sv(b, r->fd);
    b = lw_put_uv(b, r->type);
    b = lw_put_uv(b, r->dev);
    b = lw_put_uv(b, r->ino);
    b = lw_put_uv(b, r->peer_ino);
    if (r->type == LW_FD_SOCKET || r->type == LW_FD_LISTEN) {
        b = lw_put_uv(b, r->family);
        b = lw_put_uv(b, r->local);
        b = lw_put_uv(b, r->peer);
        b = lw_put_uv(b, r->pid);
    }
    return b;
}

/* EPCTL: the absolute stamp, s(epfd), op (EPOLL_CTL_*), s(fd), data. */
struct lw_epctl_rec {
    uint64_t tsc;
    int64_t epfd, fd;
    uint64_t op, data;
};

#define LW_EPCTL_REC_MAX (5 * LW_VARINT_MAX)

static inline uint8_t *lw_enc_epctl(uint8_t *b, const struct lw_epctl_rec *r)
{
    b = lw_put_uv(b, r->tsc);
    b = lw_put_sv(b, r->epfd);
    b = lw_put_uv(b, r->op);
    b = lw_put_sv(b, r->fd);
    return lw_put_uv(b, r->data);
}

static inline int lw_dec_epctl(const uint8_t **pp, const uint8_t *e, struct lw_epctl_rec *r)
{
    return lw_get_uv(pp, e, &r->tsc) && lw_get_sv(pp, e, &r->epfd) && lw_get_uv(pp, e, &r->op) &&
           lw_get_sv(pp, e, &r->fd) && lw_get_uv(pp, e, &r->data);
}

/* lw_dec_fdid: the whole record; a socket's peer pid is optional (absent
 * = 0), the other fields are not. */
static inline int lw_dec_fdid(const uint8_t **pp, const uint8_t *e, struct lw_fdid_rec *r)
{
    r->family = r->local = r->peer = r->pid = 0;
    if (!(lw_get_uv(pp, e, &r->tsc) && lw_get_sv(pp, e, &r->fd) && lw_get_uv(pp, e, &r->type) &&
          lw_get_uv(pp, e, &r->dev) && lw_get_uv(pp, e, &r->ino) && lw_get_uv(pp, e, &r->peer_ino)))
        return 0;
    if (r->type != LW_FD_SOCKET && r->type != LW_FD_LISTEN)
        return 1;
    if (!(lw_get_uv(pp, e, &r->family) && lw_get_uv(pp, e, &r->local) && lw_get_uv(pp, e, &r->peer)))
        return 0;
    return *pp == e || lw_get_uv(pp, e, &r->pid);
}

#endif
