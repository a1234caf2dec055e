/* lw_codec_meta.h: the bytes of the meta and control records' bodies
 * (THREAD, TIME, SWITCH, LOST, DROPPED, STACK, MODULE, FDID, EPCTL), each
 * encoder next to its decoder, under the rules of lw_codec.h, which
 * includes this file at its end: include lw_codec.h, not this. */
#ifndef LW_CODEC_META_H
#define LW_CODEC_META_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lw_codec.h"

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
