/* event.c: the event family: select, poll, ppoll, epoll_wait, epoll_pwait,
 * epoll_pwait2 and pselect (SELECT schema: nfds or maxevents, ready count
 * or -errno, timeout class, so the report splits their fast path, an fd
 * found ready with no switch, from their slow path, blocked; and the fds
 * found ready for reading, so that the write that woke the wait can be
 * found), epoll_ctl (not a call record: EPCTL), and eventfd,
 * eventfd_read and eventfd_write. The fortified __poll_chk/__ppoll_chk are
 * recorded as poll/ppoll. The fd eventfd makes gets its identity (FDID).
 * eventfd_read/eventfd_write reach read/write
 * inside libc without the PLT, so they are wrapped themselves. */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>

#include "wrap/wrap.h"

/* lw_tmo_ts: the timeout class of a timespec pointer. */
static inline unsigned lw_tmo_ts(const struct timespec *ts)
{
    return !ts ? 0 : (ts->tv_sec == 0 && ts->tv_nsec == 0) ? 1 : 2;
}

/* lw_tmo_ms: the timeout class of a poll/epoll millisecond timeout. */
static inline unsigned lw_tmo_ms(int ms) { return ms < 0 ? 0 : ms == 0 ? 1 : 2; }

/* The readiness a write, send or close on another fd can cause: SELECT's
 * ready lists the fds (or epoll data) ready in one of these ways
 * (lw_format.h). */
#define LW_POLL_READ  (POLLIN | POLLPRI | POLLRDHUP | POLLHUP | POLLERR)
#define LW_EPOLL_READ (EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP | EPOLLERR)

/* lw_ready_poll: SELECT's ready after a poll of n entries that returned r:
 * the fds of the first LW_READY_MAX entries ready for reading. The scan
 * stops once it has met the r entries the kernel marked. Nothing when r
 * <= 0. */
static inline uint8_t *lw_ready_poll(uint8_t *b, const struct pollfd *fds, nfds_t n, int r)
{
    uint64_t v[LW_READY_MAX];
    unsigned k = 0;
    if (r <= 0)
        return b;
    for (nfds_t i = 0, met = 0; i < n && met < (nfds_t)r && k < LW_READY_MAX; i++)
        if (fds[i].revents) {
            met++;
            if ((fds[i].revents & LW_POLL_READ) && fds[i].fd >= 0)
                v[k++] = (uint64_t)fds[i].fd;
        }
    return lw_enc_ready(b, -1, k, v);
}

/* lw_ready_select: SELECT's ready after a select over nfds fds that
 * returned r: the lowest LW_READY_MAX fds of the read set (the kernel
 * wrote nfds bits of it, as many as the program gave). */
static inline uint8_t *lw_ready_select(uint8_t *b, int nfds, const fd_set *rd, int r)
{
    uint64_t v[LW_READY_MAX];
    unsigned k = 0;
    if (r <= 0)
        return b;
    if (rd) {
        const __fd_mask *bits = __FDS_BITS(rd);
        const int per = (int)(8 * sizeof(__fd_mask));
        for (int w = 0; w * per < nfds && k < LW_READY_MAX; w++)
            for (unsigned long m = (unsigned long)bits[w]; m && k < LW_READY_MAX; m &= m - 1) {
                int fd = w * per + __builtin_ctzl(m);
                if (fd < nfds)
                    v[k++] = (uint64_t)fd;
            }
    }
    return lw_enc_ready(b, -1, k, v);
}

/* lw_ready_epoll: SELECT's ready after an epoll wait on ep that returned
 * r events: the data of the first LW_READY_MAX ready for reading (EPCTL
 * records map them to fds). */
static inline uint8_t *lw_ready_epoll(uint8_t *b, int ep, const struct epoll_event *ev, int r)
{
    uint64_t v[LW_READY_MAX];
    unsigned k = 0;
    if (r <= 0)
        return b;
    for (int i = 0; i < r && k < LW_READY_MAX; i++)
        if (ev[i].events & LW_EPOLL_READ)
            v[k++] = ev[i].data.u64;
    return lw_enc_ready(b, ep, k, v);
}

LW_WRAP(int, poll, LW_F_poll, (struct pollfd * fds, nfds_t n, int ms), (fds, n, ms),
        lw_ready_poll(lw_enc_select(b, n, lw_result(t, r), lw_tmo_ms(ms)), fds, n, r))
LW_WRAP(int, __poll_chk, LW_F_poll, (struct pollfd * fds, nfds_t n, int ms, size_t len), (fds, n, ms, len),
        lw_ready_poll(lw_enc_select(b, n, lw_result(t, r), lw_tmo_ms(ms)), fds, n, r))
LW_WRAP(int, ppoll, LW_F_ppoll, (struct pollfd * fds, nfds_t n, const struct timespec *ts, const sigset_t *ss),
        (fds, n, ts, ss), lw_ready_poll(lw_enc_select(b, n, lw_result(t, r), lw_tmo_ts(ts)), fds, n, r))
LW_WRAP(int, __ppoll_chk, LW_F_ppoll,
        (struct pollfd * fds, nfds_t n, const struct timespec *ts, const sigset_t *ss, size_t len),
        (fds, n, ts, ss, len), lw_ready_poll(lw_enc_select(b, n, lw_result(t, r), lw_tmo_ts(ts)), fds, n, r))
LW_WRAP(int, epoll_wait, LW_F_epoll_wait, (int ep, struct epoll_event *ev, int max, int ms), (ep, ev, max, ms),
        lw_ready_epoll(lw_enc_select(b, (unsigned)max, lw_result(t, r), lw_tmo_ms(ms)), ep, ev, r))
LW_WRAP(int, epoll_pwait, LW_F_epoll_pwait, (int ep, struct epoll_event *ev, int max, int ms, const sigset_t *ss),
        (ep, ev, max, ms, ss),
        lw_ready_epoll(lw_enc_select(b, (unsigned)max, lw_result(t, r), lw_tmo_ms(ms)), ep, ev, r))
LW_WRAP(int, epoll_pwait2, LW_F_epoll_pwait2,
        (int ep, struct epoll_event *ev, int max, const struct timespec *ts, const sigset_t *ss), (ep, ev, max, ts, ss),
        lw_ready_epoll(lw_enc_select(b, (unsigned)max, lw_result(t, r), lw_tmo_ts(ts)), ep, ev, r))
LW_WRAP(int, pselect, LW_F_pselect,
        (int n, fd_set *r_, fd_set *w, fd_set *x, const struct timespec *ts, const sigset_t *ss), (n, r_, w, x, ts, ss),
        lw_ready_select(lw_enc_select(b, (unsigned)n, lw_result(t, r), lw_tmo_ts(ts)), n, r_, r))

/* epoll_ctl does not wait and is not recorded as a call; each one that
 * succeeded leaves an EPCTL record, so that the fd of an event an epoll
 * wait returns is known (lw_format.h). */
LW_EXPORT int epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
    struct lw_thread *t = lw_wrap_enter(real_epoll_ctl != NULL);
    if (!t)
        return real_epoll_ctl(ep, op, fd, ev);
    int r = real_epoll_ctl(ep, op, fd, ev);
    t->err = *(LW_LIKELY(t->errp != NULL) ? t->errp : &errno);
    if (r == 0 && (op == EPOLL_CTL_DEL || ev))
        lw_epctl_note(t, ep, op, fd, op == EPOLL_CTL_DEL ? 0 : ev->data.u64);
    lw_wrap_leave(t, 0, NULL);
    return r;
}

/* select: the timeout's class is taken before the call, which may update
 * it with the time left. */
LW_EXPORT int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
    struct lw_thread *t = lw_wrap_enter(real_select != NULL);
    if (!t)
        return real_select(nfds, rd, wr, ex, tv);
    unsigned tmo = !tv ? 0 : (tv->tv_sec == 0 && tv->tv_usec == 0) ? 1 : 2;
    LW_WRAP_TAIL(int, real_select(nfds, rd, wr, ex, tv), 0, LW_F_select,
                 lw_ready_select(lw_enc_select(b, (unsigned)nfds, lw_result(t, r), tmo), nfds, rd, r));
}

LW_WRAP_NOTE(int, eventfd, LW_F_eventfd, (unsigned int initval, int flags), (initval, flags),
             lw_fdid_note(t, r, LW_FD_EVENTFD), lw_enc_eventfd(b, initval, (unsigned)flags, lw_result(t, r)))

/* eventfd_read/eventfd_write (IO schema) move 8 bytes on success. */
LW_WRAP(int, eventfd_read, LW_F_eventfd_read, (int fd, eventfd_t *v), (fd, v),
        lw_enc_io(b, (unsigned)fd, r < 0 ? lw_result(t, r) : 8))
LW_WRAP(int, eventfd_write, LW_F_eventfd_write, (int fd, eventfd_t v), (fd, v),
        lw_enc_io(b, (unsigned)fd, r < 0 ? lw_result(t, r) : 8))
