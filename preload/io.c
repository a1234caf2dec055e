/* io.c: read/write, select and eventfd. Records fds, sizes and results,
 * never buffer contents. eventfd_read/eventfd_write reach read/write inside
 * libc without the PLT, so they are wrapped themselves. */
#define _GNU_SOURCE
#include <sys/eventfd.h>
#include <sys/select.h>
#include <unistd.h>

#include "lw_wrap.h"

LW_WRAP_IO(ssize_t, read, LW_F_read, (int fd, void *buf, size_t n), (fd, buf, n))
LW_WRAP_IO(ssize_t, write, LW_F_write, (int fd, const void *buf, size_t n), (fd, buf, n))

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
