/* files.c: opening, closing and syncing files: open, openat, creat, close,
 * fsync, fdatasync and sync_file_range (FDOP schema: the fd, AT_FDCWD for
 * open and creat, which act on none; then the new fd, 0, or -errno). The
 * 64 names are the same functions (aliases, as in glibc on LP64); the
 * fortified __open_2 and __openat_2 (and their 64 names) are recorded under
 * the plain name. close refuses libwait's own fds (runtime/own_fds.c) with
 * EBADF, as it would be without libwait. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "wrap/wrap.h"

LW_WRAP(int, fsync, LW_F_fsync, (int fd), (fd), LW_ENC_FDOP)
LW_WRAP(int, fdatasync, LW_F_fdatasync, (int fd), (fd), LW_ENC_FDOP)
LW_WRAP(int, sync_file_range, LW_F_sync_file_range, (int fd, off_t o, off_t n, unsigned fl), (fd, o, n, fl),
        LW_ENC_FDOP)

/* LW_MODE: open's mode argument, present only with O_CREAT or O_TMPFILE. */
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
    struct lw_thread *t = lw_wrap_enter(real_open != NULL);
    if (!t)
        return real_open(path, flags, mode);
    LW_WRAP_TAIL(int, real_open(path, flags, mode), 0, LW_F_open, lw_enc_fdop(b, AT_FDCWD, lw_result(t, r)));
}
LW_ALIAS(open, open64);

/* openat(dirfd, path, flags[, mode]); recorded with fd = dirfd. */
LW_EXPORT int openat(int fd, const char *path, int flags, ...)
{
    LW_MODE(flags, flags);
    struct lw_thread *t = lw_wrap_enter(real_openat != NULL);
    if (!t)
        return real_openat(fd, path, flags, mode);
    LW_WRAP_TAIL(int, real_openat(fd, path, flags, mode), 0, LW_F_openat, LW_ENC_FDOP);
}
LW_ALIAS(openat, openat64);

LW_WRAP(int, __open_2, LW_F_open, (const char *path, int flags), (path, flags),
        lw_enc_fdop(b, AT_FDCWD, lw_result(t, r)))
LW_WRAP(int, creat, LW_F_creat, (const char *path, mode_t mode), (path, mode),
        lw_enc_fdop(b, AT_FDCWD, lw_result(t, r)))
LW_ALIAS(__open_2, __open64_2);
LW_ALIAS(creat, creat64);
LW_WRAP(int, __openat_2, LW_F_openat, (int fd, const char *path, int flags), (fd, path, flags), LW_ENC_FDOP)
LW_ALIAS(__openat_2, __openat64_2);

/* close: libwait's own fds (runtime/own_fds.c) are not the program's to
 * close (a loop closing every fd reaches them): EBADF, which is what close
 * gives without libwait, where those numbers are not open; libunwind
 * itself (inside libwait, lw_own_window) may close its pipe. Anything else
 * is the real close, recorded. */
LW_EXPORT int close(int fd)
{
    if (LW_UNLIKELY(lw_fd_is_own(fd))) {
        if (!lw_own_window) {
            errno = EBADF;
            return -1;
        }
        lw_fd_forget(fd);
    }
    struct lw_thread *t = lw_wrap_enter(real_close != NULL);
    if (!t)
        return real_close(fd);
    LW_WRAP_TAIL(int, real_close(fd), 0, LW_F_close, LW_ENC_FDOP);
}
