/* event.c: the event family: select, poll, ppoll, epoll_wait, epoll_pwait,
 * epoll_pwait2 and pselect (SELECT schema: nfds or maxevents, ready count
 * or -errno, timeout class, so the report splits their fast path, an fd
 * found ready with no switch, from their slow path, blocked), and eventfd,
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

LW_WRAP(int, poll, LW_F_poll, (struct pollfd * fds, nfds_t n, int ms), (fds, n, ms),
        lw_enc_select(b, n, lw_result(t, r), lw_tmo_ms(ms)))
LW_WRAP(int, __poll_chk, LW_F_poll, (struct pollfd * fds, nfds_t n, int ms, size_t len), (fds, n, ms, len),
        lw_enc_select(b, n, lw_result(t, r), lw_tmo_ms(ms)))
LW_WRAP(int, ppoll, LW_F_ppoll, (struct pollfd * fds, nfds_t n, const struct timespec *ts, const sigset_t *ss),
        (fds, n, ts, ss), lw_enc_select(b, n, lw_result(t, r), lw_tmo_ts(ts)))
LW_WRAP(int, __ppoll_chk, LW_F_ppoll,
        (struct pollfd * fds, nfds_t n, const struct timespec *ts, const sigset_t *ss, size_t len),
        (fds, n, ts, ss, len), lw_enc_select(b, n, lw_result(t, r), lw_tmo_ts(ts)))
LW_WRAP(int, epoll_wait, LW_F_epoll_wait, (int ep, struct epoll_event *ev, int max, int ms), (ep, ev, max, ms),
        lw_enc_select(b, (unsigned)max, lw_result(t, r), lw_tmo_ms(ms)))
LW_WRAP(int, epoll_pwait, LW_F_epoll_pwait, (int ep, struct epoll_event *ev, int max, int ms, const sigset_t *ss),
        (ep, ev, max, ms, ss), lw_enc_select(b, (unsigned)max, lw_result(t, r), lw_tmo_ms(ms)))
LW_WRAP(int, epoll_pwait2, LW_F_epoll_pwait2,
        (int ep, struct epoll_event *ev, int max, const struct timespec *ts, const sigset_t *ss), (ep, ev, max, ts, ss),
        lw_enc_select(b, (unsigned)max, lw_result(t, r), lw_tmo_ts(ts)))
LW_WRAP(int, pselect, LW_F_pselect,
        (int n, fd_set *r_, fd_set *w, fd_set *x, const struct timespec *ts, const sigset_t *ss), (n, r_, w, x, ts, ss),
        lw_enc_select(b, (unsigned)n, lw_result(t, r), lw_tmo_ts(ts)))

/* select: the timeout's class is taken before the call, which may update
 * it with the time left. */
LW_EXPORT int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *tv)
{
    struct lw_thread *t = lw_wrap_enter(real_select != NULL);
    if (!t)
        return real_select(nfds, rd, wr, ex, tv);
    unsigned tmo = !tv ? 0 : (tv->tv_sec == 0 && tv->tv_usec == 0) ? 1 : 2;
    LW_WRAP_TAIL(int, real_select(nfds, rd, wr, ex, tv), 0, LW_F_select,
                 lw_enc_select(b, (unsigned)nfds, lw_result(t, r), tmo));
}

LW_WRAP_NOTE(int, eventfd, LW_F_eventfd, (unsigned int initval, int flags), (initval, flags),
             lw_fdid_note(t, r, LW_FD_EVENTFD), lw_enc_eventfd(b, initval, (unsigned)flags, lw_result(t, r)))

/* eventfd_read/eventfd_write (IO schema) move 8 bytes on success. */
LW_WRAP(int, eventfd_read, LW_F_eventfd_read, (int fd, eventfd_t *v), (fd, v),
        lw_enc_io(b, (unsigned)fd, r < 0 ? lw_result(t, r) : 8))
LW_WRAP(int, eventfd_write, LW_F_eventfd_write, (int fd, eventfd_t v), (fd, v),
        lw_enc_io(b, (unsigned)fd, r < 0 ? lw_result(t, r) : 8))
