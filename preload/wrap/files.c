/* files.c: positioned and vectored reads and writes (IO schema), fsync,
 * fdatasync, sync_file_range, open, openat, creat and close (FDOP schema).
 * The 64 names are the same functions (aliases, as in glibc on LP64); the
 * fortified __read_chk, __pread_chk, __open_2 and __openat_2 (and their 64
 * names) are recorded under the plain name. close refuses libwait's own
 * fds (runtime/own_fds.c) with EBADF, as it would be without libwait. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wrap/wrap.h"

_Static_assert(sizeof(off_t) == 8, "the 64 names are aliases only where off_t is 64-bit");

LW_WRAP_IO(ssize_t, __read_chk, LW_F_read, (int fd, void *b, size_t n, size_t bl), (fd, b, n, bl))
LW_WRAP_IO(ssize_t, pread, LW_F_pread, (int fd, void *b, size_t n, off_t o), (fd, b, n, o))
LW_WRAP_IO(ssize_t, __pread_chk, LW_F_pread, (int fd, void *b, size_t n, off_t o, size_t bl), (fd, b, n, o, bl))
LW_WRAP_IO(ssize_t, pwrite, LW_F_pwrite, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o))
LW_WRAP_IO(ssize_t, readv, LW_F_readv, (int fd, const struct iovec *v, int n), (fd, v, n))
LW_WRAP_IO(ssize_t, writev, LW_F_writev, (int fd, const struct iovec *v, int n), (fd, v, n))
LW_WRAP_IO(ssize_t, preadv, LW_F_preadv, (int fd, const struct iovec *v, int n, off_t o), (fd, v, n, o))
LW_WRAP_IO(ssize_t, pwritev, LW_F_pwritev, (int fd, const struct iovec *v, int n, off_t o), (fd, v, n, o))
LW_WRAP_IO(ssize_t, preadv2, LW_F_preadv2, (int fd, const struct iovec *v, int n, off_t o, int fl), (fd, v, n, o, fl))
LW_WRAP_IO(ssize_t, pwritev2, LW_F_pwritev2, (int fd, const struct iovec *v, int n, off_t o, int fl), (fd, v, n, o, fl))
LW_ALIAS(pread, pread64);
LW_ALIAS(__pread_chk, __pread64_chk);
LW_ALIAS(pwrite, pwrite64);
LW_ALIAS(preadv, preadv64);
LW_ALIAS(pwritev, pwritev64);
LW_ALIAS(preadv2, preadv64v2);
LW_ALIAS(pwritev2, pwritev64v2);

LW_WRAP_FDOP(int, fsync, LW_F_fsync, (int fd), (fd))
LW_WRAP_FDOP(int, fdatasync, LW_F_fdatasync, (int fd), (fd))
LW_WRAP_FDOP(int, sync_file_range, LW_F_sync_file_range, (int fd, off_t o, off_t n, unsigned fl), (fd, o, n, fl))

/* lw_mode: open's mode argument, present only with O_CREAT or O_TMPFILE. */
#define LW_MODE(flags, last)                                                                                           \
    mode_t mode = 0;                                                                                                   \
    if ((flags)&O_CREAT || ((flags)&O_TMPFILE) == O_TMPFILE) {                                                         \
        va_list ap;                                                                                                    \
        va_start(ap, last);                                                                                            \
        mode = (mode_t)va_arg(ap, int);                                                                                \
        va_end(ap);                                                                                                    \
    }

/* open(path, flags[, mode]); recorded with fd = AT_FDCWD. */
LW_EXPORT int open(const char *path, int flags, ...)
{
    LW_MODE(flags, flags);
    if (LW_UNLIKELY(!real_open))
        lw_resolve();
    int fd = AT_FDCWD;
    struct lw_thread *t = lw_enter();
    if (!t)
        return real_open(path, flags, mode);
    LW_UNWIND_GUARD(t);
    uint64_t t0 = lw_rdtsc();
    int r = real_open(path, flags, mode);
    uint64_t t1 = lw_rdtsc();
    lw_ug = NULL;
    int e = errno;
    lw_rec_fdop(t, LW_F_open, t0, t1, fd, r < 0 ? -(int64_t)e : r);
    errno = e;
    return r;
}
LW_ALIAS(open, open64);

/* openat(dirfd, path, flags[, mode]); recorded with fd = dirfd. */
LW_EXPORT int openat(int fd, const char *path, int flags, ...)
{
    LW_MODE(flags, flags);
    if (LW_UNLIKELY(!real_openat))
        lw_resolve();
    struct lw_thread *t = lw_enter();
    if (!t)
        return real_openat(fd, path, flags, mode);
    LW_UNWIND_GUARD(t);
    uint64_t t0 = lw_rdtsc();
    int r = real_openat(fd, path, flags, mode);
    uint64_t t1 = lw_rdtsc();
    lw_ug = NULL;
    int e = errno;
    lw_rec_fdop(t, LW_F_openat, t0, t1, fd, r < 0 ? -(int64_t)e : r);
    errno = e;
    return r;
}
LW_ALIAS(openat, openat64);

#define fd AT_FDCWD /* open and creat act on no fd: the FDOP record says AT_FDCWD */
LW_WRAP_FDOP(int, __open_2, LW_F_open, (const char *path, int flags), (path, flags))
LW_WRAP_FDOP(int, creat, LW_F_creat, (const char *path, mode_t mode), (path, mode))
#undef fd
LW_ALIAS(__open_2, __open64_2);
LW_ALIAS(creat, creat64);
LW_WRAP_FDOP(int, __openat_2, LW_F_openat, (int fd, const char *path, int flags), (fd, path, flags))
LW_ALIAS(__openat_2, __openat64_2);

/* close: libwait's own fds (runtime/own_fds.c) are not the program's to close (a loop
 * closing every fd reaches them): EBADF, which is what close gives without
 * libwait, where those numbers are not open; libunwind itself (inside
 * libwait, lw_own_window) may close its pipe. Anything else is the real
 * close, recorded. */
LW_EXPORT int close(int fd)
{
    if (LW_UNLIKELY(!real_close))
        lw_resolve();
    if (LW_UNLIKELY(lw_fd_is_own(fd))) {
        if (!lw_own_window) {
            errno = EBADF;
            return -1;
        }
        lw_fd_forget(fd);
    }
    struct lw_thread *t = lw_enter();
    if (!t)
        return real_close(fd);
    LW_UNWIND_GUARD(t);
    uint64_t t0 = lw_rdtsc();
    int r = real_close(fd);
    uint64_t t1 = lw_rdtsc();
    lw_ug = NULL;
    int e = errno;
    lw_rec_fdop(t, LW_F_close, t0, t1, fd, r < 0 ? -(int64_t)e : r);
    errno = e;
    return r;
}
