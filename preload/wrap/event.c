/* event.c: the event family: select, poll, ppoll, epoll_wait, epoll_pwait,
 * epoll_pwait2 and pselect (SELECT schema: nfds or maxevents, ready count
 * or -errno, timeout class, so the report splits their fast path, an fd
 * found ready with no switch, from their slow path, blocked), and eventfd,
 * eventfd_read and eventfd_write. The fortified __poll_chk/__ppoll_chk are
 * recorded as poll/ppoll. eventfd_read/eventfd_write reach read/write
 * inside libc without the PLT, so they are wrapped themselves. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>

#include "wrap/wrap.h"

/* LW_WRAP_POLL: a wait returning the number of ready fds or -1. */
#define LW_WRAP_POLL(sym, f, params, args, n, tmo)                                                                     \
    LW_WRAP(int, sym, params, args, lw_rec_select(t, f, t0, t1, (uint64_t)(n), r < 0 ? -(int64_t)e : r, tmo))

LW_WRAP_POLL(poll, LW_F_poll, (struct pollfd * fds, nfds_t n, int ms), (fds, n, ms), n, lw_tmo_ms(ms))
LW_WRAP_POLL(__poll_chk, LW_F_poll, (struct pollfd * fds, nfds_t n, int ms, size_t len), (fds, n, ms, len), n,
             lw_tmo_ms(ms))
LW_WRAP_POLL(ppoll, LW_F_ppoll, (struct pollfd * fds, nfds_t n, const struct timespec *ts, const sigset_t *ss),
             (fds, n, ts, ss), n, lw_tmo_ts(ts))
LW_WRAP_POLL(__ppoll_chk, LW_F_ppoll,
             (struct pollfd * fds, nfds_t n, const struct timespec *ts, const sigset_t *ss, size_t len),
             (fds, n, ts, ss, len), n, lw_tmo_ts(ts))
LW_WRAP_POLL(epoll_wait, LW_F_epoll_wait, (int ep, struct epoll_event *ev, int max, int ms), (ep, ev, max, ms),
             (unsigned)max, lw_tmo_ms(ms))
LW_WRAP_POLL(epoll_pwait, LW_F_epoll_pwait, (int ep, struct epoll_event *ev, int max, int ms, const sigset_t *ss),
             (ep, ev, max, ms, ss), (unsigned)max, lw_tmo_ms(ms))
LW_WRAP_POLL(epoll_pwait2, LW_F_epoll_pwait2,
             (int ep, struct epoll_event *ev, int max, const struct timespec *ts, const sigset_t *ss),
             (ep, ev, max, ts, ss), (unsigned)max, lw_tmo_ts(ts))
LW_WRAP_POLL(pselect, LW_F_pselect,
             (int n, fd_set *r_, fd_set *w, fd_set *x, const struct timespec *ts, const sigset_t *ss),
             (n, r_, w, x, ts, ss), (unsigned)n, lw_tmo_ts(ts))

/* eventfd_read/eventfd_write move 8 bytes on success. */
#define LW_EVFD_WRAPPER(name, vtype)                                                                                   \
    LW_WRAP(int, name, (int fd, vtype v), (fd, v), lw_rec_io(t, LW_F_##name, t0, t1, fd, r < 0 ? -(int64_t)e : 8))

LW_EVFD_WRAPPER(eventfd_read, eventfd_t *)
LW_EVFD_WRAPPER(eventfd_write, eventfd_t)

LW_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv)
{
    if (LW_UNLIKELY(!real_select))
        lw_resolve();
    struct lw_thread *t = lw_enter();
    if (!t)
        return real_select(nfds, r, w, x, tv);
    unsigned tmo = !tv ? 0 : (tv->tv_sec == 0 && tv->tv_usec == 0) ? 1 : 2;
    LW_UNWIND_GUARD(t);
    uint64_t t0 = lw_rdtsc();
    int ret = real_select(nfds, r, w, x, tv);
    uint64_t t1 = lw_rdtsc();
    lw_ug = NULL;
    int e = errno;
    lw_rec_select(t, LW_F_select, t0, t1, (uint64_t)(unsigned)nfds, ret < 0 ? -(int64_t)e : ret, tmo);
    errno = e;
    return ret;
}

LW_EXPORT int eventfd(unsigned int initval, int flags)
{
    if (LW_UNLIKELY(!real_eventfd))
        lw_resolve();
    struct lw_thread *t = lw_enter();
    if (!t)
        return real_eventfd(initval, flags);
    uint64_t t0 = lw_rdtsc();
    int ret = real_eventfd(initval, flags);
    uint64_t t1 = lw_rdtsc();
    int e = errno;
    uint8_t *b = lw_rec_start(t, t0, t1);
    if (b) {
        b = lw_put_uv(b, initval);
        b = lw_put_uv(b, (uint64_t)(unsigned)flags);
        lw_rec_commit(t, LW_F_eventfd, lw_put_sv(b, ret < 0 ? -(int64_t)e : ret));
    }
    lw_leave(t);
    errno = e;
    return ret;
}
