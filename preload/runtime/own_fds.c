/* own_fds.c: libwait's own file descriptors, kept out of the program's way.
 * The trace file and libunwind's memory-check pipe are moved up to just
 * below min(RLIMIT_NOFILE, 1024), so the program's own open() calls get
 * the numbers they would get without libwait; under a limit too low for
 * that, libwait holds no fd at all and does not record. close(), closefrom() and
 * close_range() leave them open (close gives EBADF, as it would natively:
 * without libwait those numbers are not open). A program that dup2s onto
 * one is caught before libwait touches that file again (writer.c,
 * lw_fd_still_ours). pipe2, closefrom and close_range are not recorded. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "runtime/runtime.h"

#define LW_OWN_MAX 8
/* Below this soft RLIMIT_NOFILE libwait keeps no fd (and does not record):
 * its three (the trace file, libunwind's pipe) would take a quarter of the
 * numbers a program may use. From it up to 64 they take the LW_FD_TOP
 * highest numbers. */
#define LW_FD_MIN_LIMIT 16
#define LW_FD_TOP       4

LW_TLS int lw_own_window;
static int lw_own[LW_OWN_MAX]; /* fd + 1 of libunwind's pipe ends; 0 = free slot */

/* lw_fd_high: fd moved to a high free number (FD_CLOEXEC when cloexec)
 * and the low one closed. Where libwait's fds go depends on the soft
 * RLIMIT_NOFILE, capped at 1024 (select's FD_SETSIZE): from 32 below it
 * when it is 64 or more, else among its LW_FD_TOP highest numbers. Below
 * LW_FD_MIN_LIMIT there is no room that the program would not reach in
 * its first few opens: fd is closed and -1 returned with errno EMFILE, as
 * it is when no number up there is free. The caller then holds nothing. */
int lw_fd_high(int fd, int cloexec)
{
    if (fd < 0)
        return fd;
    int saved = errno, h = -1;
    long top = lw_fd_limit();
    if (top >= LW_FD_MIN_LIMIT) {
        long base = top >= 64 ? top - 32 : top - LW_FD_TOP;
        h = fcntl(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, (int)base);
    }
    real_close(fd);
    errno = h < 0 ? EMFILE : saved;
    return h;
}

/* lw_fd_limit: the soft RLIMIT_NOFILE, at most 1024 (0 when unknown). */
long lw_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    return rl.rlim_cur < 1024 ? (long)rl.rlim_cur : 1024;
}

/* lw_fd_release_all: libwait will not record in this process: close every
 * fd it holds (libunwind's pipe ends; the trace file is the writer's to
 * close), so the program has exactly the fds it would have without
 * libwait. libunwind is never called again once recording is off, so its
 * closed pipe numbers are never used behind the program's back (on Linux
 * it checks memory with mincore and only keeps the pipe as a fallback). */
void lw_fd_release_all(void)
{
    for (int i = 0; i < LW_OWN_MAX; i++) {
        int v = __atomic_exchange_n(&lw_own[i], 0, __ATOMIC_RELAXED);
        if (v > 0)
            real_close(v - 1);
    }
}

/* lw_fd_is_own: whether fd is libwait's (the trace file, a pipe end of
 * libunwind's). */
int lw_fd_is_own(int fd)
{
    if (fd < 0)
        return 0;
    if (fd == __atomic_load_n(&lw_g.fd, __ATOMIC_RELAXED))
        return 1;
    for (int i = 0; i < LW_OWN_MAX; i++)
        if (__atomic_load_n(&lw_own[i], __ATOMIC_RELAXED) == fd + 1)
            return 1;
    return 0;
}

/* lw_fd_forget: fd is no longer libwait's (libunwind closed it). */
void lw_fd_forget(int fd)
{
    for (int i = 0; i < LW_OWN_MAX; i++) {
        int v = fd + 1;
        __atomic_compare_exchange_n(&lw_own[i], &v, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    }
}

/* lw_fd_adopt: remember fd as libwait's (no room: it stays the program's
 * to close, as before). */
static void lw_fd_adopt(int fd)
{
    for (int i = 0; i < LW_OWN_MAX; i++) {
        int z = 0;
        if (__atomic_compare_exchange_n(&lw_own[i], &z, fd + 1, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            return;
    }
}

/* pipe2: a pipe libunwind makes for libwait (lw_own_window) goes high and
 * becomes libwait's, or fails with EMFILE when it cannot go high (never
 * left low, where the program expects its own fds); any other is the
 * program's, untouched, and its ends get their identities (FDID). */
LW_EXPORT int pipe2(int fds[2], int flags)
{
    lw_resolve();
    if (!real_pipe2) {
        errno = ENOSYS;
        return -1;
    }
    int r = real_pipe2(fds, flags);
    if (r == 0 && lw_own_window) {
        int a = lw_fd_high(fds[0], flags & O_CLOEXEC), b = lw_fd_high(fds[1], flags & O_CLOEXEC);
        if (a < 0 || b < 0) { /* no room up high: libunwind goes without */
            if (a >= 0)
                real_close(a);
            if (b >= 0)
                real_close(b);
            errno = EMFILE;
            return -1;
        }
        fds[0] = a, fds[1] = b;
        lw_fd_adopt(a);
        lw_fd_adopt(b);
    } else if (r == 0) {
        lw_pipe_made(fds);
    }
    return r;
}

/* lw_own_sorted: libwait's fds within [lo, hi] into out, ascending. */
static int lw_own_sorted(unsigned lo, unsigned hi, unsigned *out)
{
    int n = 0;
    for (int fd = -1, i = 0; i <= LW_OWN_MAX; i++) {
        fd = i < LW_OWN_MAX ? __atomic_load_n(&lw_own[i], __ATOMIC_RELAXED) - 1 : lw_g.fd;
        if (fd >= 0 && (unsigned)fd >= lo && (unsigned)fd <= hi) {
            int k = n++;
            while (k > 0 && out[k - 1] > (unsigned)fd)
                out[k] = out[k - 1], k--;
            out[k] = (unsigned)fd;
        }
    }
    return n;
}

/* close_range: the real one over [first, last] minus libwait's fds: one
 * call per gap between them (CLOSE_RANGE_UNSHARE on the first only). The
 * first failure is returned with its errno. */
LW_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
    lw_resolve();
    unsigned own[LW_OWN_MAX + 1];
    int n = lw_own_sorted(first, last, own), r = 0, e = 0;
    if (!real_close_range) { /* an older libc: what it would say */
        errno = ENOSYS;
        return -1;
    }
    if (!n)
        return real_close_range(first, last, flags);
    unsigned a = first; /* fds are below INT_MAX: own[i] + 1 never wraps */
    for (int i = 0; i <= n; i++) {
        unsigned b = i < n ? own[i] - 1 : last;
        if (i < n ? own[i] > a : a <= last) {
            if (real_close_range(a, b, flags) != 0 && !e)
                r = -1, e = errno;
            flags &= ~CLOSE_RANGE_UNSHARE;
        }
        if (i < n)
            a = own[i] + 1;
    }
    if (r)
        errno = e;
    return r;
}

/* closefrom: close_range(low, ~0) without libwait's fds, else the real one
 * (which also has a fallback where close_range is missing). */
LW_EXPORT void closefrom(int low)
{
    lw_resolve();
    unsigned own[LW_OWN_MAX + 1];
    if (real_closefrom && (low < 0 || !lw_own_sorted((unsigned)low, ~0u, own))) {
        real_closefrom(low);
        return;
    }
    int saved = errno;
    if (low >= 0 && close_range((unsigned)low, ~0u, 0) != 0) /* no close_range: one by one */
        for (long fd = low, max = sysconf(_SC_OPEN_MAX); fd < max; fd++)
            if (!lw_fd_is_own((int)fd))
                real_close((int)fd);
    errno = saved;
}
