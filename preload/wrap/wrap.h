/* wrap.h: the shape shared by the fd, poll and sleep wrappers: resolve,
 * enter, two stamps around the real call, record, errno as the real call
 * left it. Included by the preload files that wrap those families. */
#ifndef LW_WRAP_H
#define LW_WRAP_H

#include "runtime/runtime.h"

/* lw_rec_io: record an IO-schema call on fd that returned ret (bytes, or
 * -errno); releases the guard. */
static inline void lw_rec_io(struct lw_thread *t, unsigned f, uint64_t t0, uint64_t t1, int fd, int64_t ret)
{
    uint8_t *b = lw_rec_start(t, t0, t1);
    if (b) {
        b = lw_put_uv(b, (uint64_t)(unsigned)fd);
        lw_rec_commit(t, f, lw_put_sv(b, ret));
    }
    lw_leave(t);
}

/* lw_rec_fdop: record an FDOP-schema call (fd may be AT_FDCWD; ret = new
 * fd, 0, or -errno); releases the guard. */
static inline void lw_rec_fdop(struct lw_thread *t, unsigned f, uint64_t t0, uint64_t t1, int fd, int64_t ret)
{
    uint8_t *b = lw_rec_start(t, t0, t1);
    if (b) {
        b = lw_put_sv(b, fd);
        lw_rec_commit(t, f, lw_put_sv(b, ret));
    }
    lw_leave(t);
}

/* lw_rec_select: record a SELECT-schema call (nfds, ready or -errno, timeout
 * class 0 none / 1 zero / 2 finite); releases the guard. */
static inline void lw_rec_select(struct lw_thread *t, unsigned f, uint64_t t0, uint64_t t1, uint64_t nfds, int64_t ret,
                                 unsigned tmo)
{
    uint8_t *b = lw_rec_start(t, t0, t1);
    if (b) {
        b = lw_put_uv(b, nfds);
        b = lw_put_sv(b, ret);
        lw_rec_commit(t, f, lw_put_uv(b, tmo));
    }
    lw_leave(t);
}

/* lw_tmo_ts: SELECT's timeout class of a timespec pointer. */
static inline unsigned lw_tmo_ts(const struct timespec *ts)
{
    return !ts ? 0 : (ts->tv_sec == 0 && ts->tv_nsec == 0) ? 1 : 2;
}

/* lw_tmo_ms: SELECT's timeout class of a poll/epoll millisecond timeout. */
static inline unsigned lw_tmo_ms(int ms) { return ms < 0 ? 0 : ms == 0 ? 1 : 2; }

/* LW_WRAP: exported function sym(params) calling real_<sym>(args), which
 * returns rtype with errno set on failure. REC records it (it sees t, t0,
 * t1, r and e = the real call's errno) and must release the guard. The
 * program gets r and errno exactly as the real call left them. A thread
 * cancelled inside the real call releases the guard as it unwinds
 * (LW_UNWIND_GUARD); the call is then not recorded. */
#define LW_WRAP(rtype, sym, params, args, REC)                                                                         \
    LW_EXPORT rtype sym params                                                                                         \
    {                                                                                                                  \
        if (LW_UNLIKELY(!real_##sym))                                                                                  \
            lw_resolve();                                                                                              \
        struct lw_thread *t = lw_enter();                                                                              \
        if (!t)                                                                                                        \
            return real_##sym args;                                                                                    \
        LW_UNWIND_GUARD(t);                                                                                            \
        uint64_t t0 = lw_rdtsc();                                                                                      \
        rtype r = real_##sym args;                                                                                     \
        uint64_t t1 = lw_rdtsc();                                                                                      \
        lw_ug = NULL;                                                                                                  \
        int e = errno;                                                                                                 \
        REC;                                                                                                           \
        errno = e;                                                                                                     \
        return r;                                                                                                      \
    }

/* LW_WRAP_IO: a call on fd returning a byte count or -1, recorded as
 * function id f (the plain name for the 64 and _chk variants). */
#define LW_WRAP_IO(rtype, sym, f, params, args)                                                                        \
    LW_WRAP(rtype, sym, params, args, lw_rec_io(t, f, t0, t1, fd, r < 0 ? -(int64_t)e : (int64_t)r))

/* LW_WRAP_FDOP: a call on fd returning an fd, 0 or -1. */
#define LW_WRAP_FDOP(rtype, sym, f, params, args)                                                                      \
    LW_WRAP(rtype, sym, params, args, lw_rec_fdop(t, f, t0, t1, fd, r < 0 ? -(int64_t)e : (int64_t)r))

/* LW_ALIAS: export sym2 as the very same function as sym (the 64 names of
 * glibc on LP64, where off_t is off64_t and glibc aliases them too). */
#define LW_ALIAS(sym, sym2) LW_EXPORT __typeof__(sym) sym2 __attribute__((alias(#sym)))

#endif
