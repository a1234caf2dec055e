/* image_end.c: the ways a process image ends without running its
 * destructors, exec and _exit, passed straight through and never
 * recorded; wrapped so that the image leaves a finished trace. Without
 * this its trace would read as a process killed or still running (dash,
 * for one, leaves through _exit).
 *
 * Before the real call the trace is closed as the exit path closes it
 * (lw_end_image). If an exec fails, the process goes on recording and the
 * close is taken back; a reader that looked in between (waitreport top)
 * may have taken the trace for finished. The calls glibc makes itself
 * (exit's own _exit, posix_spawn, system) are not seen here: exit runs the
 * destructors, and the others start processes whose images are traced by
 * their own preload.
 *
 * The variadic execl, execle and execlp build the argument vector and go
 * through execv, execve and execvp, as the C library does. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/runtime.h"

/* lw_exec_failed: the exec returned, so the image lives on: the trace is
 * open again. */
static void lw_exec_failed(int closed)
{
    struct lw_file_header *h = lw_g.hdr;
    if (!closed || !h)
        return;
    __atomic_fetch_and(&h->flags, ~(LW_HF_CLOSED | LW_HF_EXEC), __ATOMIC_RELEASE);
    h->end_tsc = 0;
    h->end_mono_ns = 0;
}

/* LW_EXEC_CALL: resolve, close the trace, make the real call, and open
 * the trace again when it returns (the exec failed). */
#define LW_EXEC_CALL(name, call)                                                                                       \
    do {                                                                                                               \
        if (LW_UNLIKELY(!real_##name))                                                                                 \
            lw_resolve();                                                                                              \
        if (LW_UNLIKELY(!real_##name)) {                                                                               \
            errno = ENOSYS;                                                                                            \
            return -1;                                                                                                 \
        }                                                                                                              \
        int closed_ = lw_end_image(1);                                                                                 \
        int r_ = call;                                                                                                 \
        int e_ = errno;                                                                                                \
        lw_exec_failed(closed_);                                                                                       \
        errno = e_;                                                                                                    \
        return r_;                                                                                                     \
    } while (0)

LW_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    LW_EXEC_CALL(execve, real_execve(path, argv, envp));
}

LW_EXPORT int execv(const char *path, char *const argv[]) { LW_EXEC_CALL(execv, real_execv(path, argv)); }

LW_EXPORT int execvp(const char *file, char *const argv[]) { LW_EXEC_CALL(execvp, real_execvp(file, argv)); }

LW_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    LW_EXEC_CALL(execvpe, real_execvpe(file, argv, envp));
}

LW_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    LW_EXEC_CALL(fexecve, real_fexecve(fd, argv, envp));
}

LW_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
    LW_EXEC_CALL(execveat, real_execveat(dirfd, path, argv, envp, flags));
}

LW_EXPORT void _exit(int status)
{
    if (LW_UNLIKELY(!real__exit))
        lw_resolve();
    lw_end_image(0);
    if (real__exit)
        real__exit(status);
    syscall(SYS_exit_group, status); /* no C library _exit to call: end as it would */
    __builtin_unreachable();
}

LW_EXPORT void _Exit(int status) { _exit(status); }

/* LW_EXEC_VARIADIC: the body of a variadic exec: count the arguments
 * after arg (to their NULL), build the vector on the stack as the C library
 * does, take envp after the NULL when with_env, and call through. */
#define LW_EXEC_VARIADIC(arg, call, with_env)                                                                          \
    do {                                                                                                               \
        va_list ap_;                                                                                                   \
        size_t n_ = 1;                                                                                                 \
        va_start(ap_, arg);                                                                                            \
        while (va_arg(ap_, char *) != NULL)                                                                            \
            if (++n_ == INT_MAX) {                                                                                     \
                va_end(ap_);                                                                                           \
                errno = E2BIG;                                                                                         \
                return -1;                                                                                             \
            }                                                                                                          \
        va_end(ap_);                                                                                                   \
        char *argv[n_ + 1];                                                                                            \
        char *const *envp = NULL;                                                                                      \
        va_start(ap_, arg);                                                                                            \
        argv[0] = (char *)arg;                                                                                         \
        for (size_t i_ = 1; i_ <= n_; i_++)                                                                            \
            argv[i_] = va_arg(ap_, char *);                                                                            \
        if (with_env)                                                                                                  \
            envp = va_arg(ap_, char *const *);                                                                         \
        va_end(ap_);                                                                                                   \
        (void)envp;                                                                                                    \
        return call;                                                                                                   \
    } while (0)

LW_EXPORT int execl(const char *path, const char *arg, ...) { LW_EXEC_VARIADIC(arg, execv(path, argv), 0); }

LW_EXPORT int execlp(const char *file, const char *arg, ...) { LW_EXEC_VARIADIC(arg, execvp(file, argv), 0); }

LW_EXPORT int execle(const char *path, const char *arg, ...) { LW_EXEC_VARIADIC(arg, execve(path, argv, envp), 1); }
