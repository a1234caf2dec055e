/* resolve.h: every real function libwait calls past its own wrappers, in
 * one typed list. Each entry declares a pointer real_<name> of the real
 * function's type; lw_resolve (resolve.c) fills them all at once from
 * dlsym(RTLD_NEXT), and a symbol the C library lacks stays NULL. The
 * wrappers call the pointer of the function they wrap, and libwait's own
 * maps, opens, reads and closes call real_mmap, real_open, real_read and
 * real_close directly, so that they are never recorded and never recurse. */
#ifndef LW_RESOLVE_H
#define LW_RESOLVE_H

#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* LW_REAL_FUNCS(X, XV): X(return type, name, parameter types) for each
 * function, XV(..., version) for one looked up by symbol version first.
 * The condition variable functions exist twice on x86-64 and plain dlsym
 * gives the old GLIBC_2.2.5 one (another pthread_cond_t layout), so they
 * are asked for the version programs bind to, GLIBC_2.3.2 (plain dlsym
 * where that version does not exist, on other ABIs). The malloc family
 * comes first, calloc at its head: dlsym allocates with calloc, and every
 * allocation made before the family is resolved comes from the bootstrap
 * arena (lw_arena_alloc). */
#define LW_REAL_FUNCS(X, XV)                                                                                           \
    /* malloc family */                                                                                                \
    X(void *, calloc, (size_t, size_t))                                                                                \
    X(void *, malloc, (size_t))                                                                                        \
    X(void, free, (void *))                                                                                            \
    X(void *, realloc, (void *, size_t))                                                                               \
    X(int, posix_memalign, (void **, size_t, size_t))                                                                  \
    X(void *, aligned_alloc, (size_t, size_t))                                                                         \
    X(void *, memalign, (size_t, size_t))                                                                              \
    X(void *, valloc, (size_t))                                                                                        \
    /* maps */                                                                                                         \
    X(void *, mmap, (void *, size_t, int, int, int, off_t))                                                            \
    X(int, munmap, (void *, size_t))                                                                                   \
    X(void *, mremap, (void *, size_t, size_t, int, ...))                                                              \
    /* mutexes, condition variables, rwlocks, semaphores, spinlocks, joins, barriers */                                \
    X(int, pthread_mutex_lock, (pthread_mutex_t *))                                                                    \
    X(int, pthread_mutex_trylock, (pthread_mutex_t *))                                                                 \
    X(int, pthread_mutex_timedlock, (pthread_mutex_t *, const struct timespec *))                                      \
    X(int, pthread_mutex_unlock, (pthread_mutex_t *))                                                                  \
    XV(int, pthread_cond_wait, (pthread_cond_t *, pthread_mutex_t *), "GLIBC_2.3.2")                                   \
    XV(int, pthread_cond_timedwait, (pthread_cond_t *, pthread_mutex_t *, const struct timespec *), "GLIBC_2.3.2")     \
    XV(int, pthread_cond_signal, (pthread_cond_t *), "GLIBC_2.3.2")                                                    \
    XV(int, pthread_cond_broadcast, (pthread_cond_t *), "GLIBC_2.3.2")                                                 \
    X(int, pthread_cond_clockwait, (pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *))          \
    X(int, pthread_rwlock_rdlock, (pthread_rwlock_t *))                                                                \
    X(int, pthread_rwlock_wrlock, (pthread_rwlock_t *))                                                                \
    X(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *))                                                             \
    X(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *))                                                             \
    X(int, pthread_rwlock_timedrdlock, (pthread_rwlock_t *, const struct timespec *))                                  \
    X(int, pthread_rwlock_timedwrlock, (pthread_rwlock_t *, const struct timespec *))                                  \
    X(int, pthread_rwlock_clockrdlock, (pthread_rwlock_t *, clockid_t, const struct timespec *))                       \
    X(int, pthread_rwlock_clockwrlock, (pthread_rwlock_t *, clockid_t, const struct timespec *))                       \
    X(int, pthread_rwlock_unlock, (pthread_rwlock_t *))                                                                \
    X(int, sem_wait, (sem_t *))                                                                                        \
    X(int, sem_timedwait, (sem_t *, const struct timespec *))                                                          \
    X(int, sem_clockwait, (sem_t *, clockid_t, const struct timespec *))                                               \
    X(int, sem_trywait, (sem_t *))                                                                                     \
    X(int, sem_post, (sem_t *))                                                                                        \
    X(int, pthread_spin_lock, (pthread_spinlock_t *))                                                                  \
    X(int, pthread_spin_trylock, (pthread_spinlock_t *))                                                               \
    X(int, pthread_spin_unlock, (pthread_spinlock_t *))                                                                \
    X(int, pthread_join, (pthread_t, void **))                                                                         \
    X(int, pthread_barrier_wait, (pthread_barrier_t *))                                                                \
    X(int, pthread_create, (pthread_t *, const pthread_attr_t *, void *(*)(void *), void *))                           \
    /* reads and writes on an fd */                                                                                    \
    X(ssize_t, read, (int, void *, size_t))                                                                            \
    X(ssize_t, __read_chk, (int, void *, size_t, size_t))                                                              \
    X(ssize_t, write, (int, const void *, size_t))                                                                     \
    X(ssize_t, pread, (int, void *, size_t, off_t))                                                                    \
    X(ssize_t, __pread_chk, (int, void *, size_t, off_t, size_t))                                                      \
    X(ssize_t, pwrite, (int, const void *, size_t, off_t))                                                             \
    X(ssize_t, readv, (int, const struct iovec *, int))                                                                \
    X(ssize_t, writev, (int, const struct iovec *, int))                                                               \
    X(ssize_t, preadv, (int, const struct iovec *, int, off_t))                                                        \
    X(ssize_t, pwritev, (int, const struct iovec *, int, off_t))                                                       \
    X(ssize_t, preadv2, (int, const struct iovec *, int, off_t, int))                                                  \
    X(ssize_t, pwritev2, (int, const struct iovec *, int, off_t, int))                                                 \
    /* opening, closing and syncing files */                                                                           \
    X(int, open, (const char *, int, ...))                                                                             \
    X(int, __open_2, (const char *, int))                                                                              \
    X(int, openat, (int, const char *, int, ...))                                                                      \
    X(int, __openat_2, (int, const char *, int))                                                                       \
    X(int, creat, (const char *, mode_t))                                                                              \
    X(int, close, (int))                                                                                               \
    X(int, fsync, (int))                                                                                               \
    X(int, fdatasync, (int))                                                                                           \
    X(int, sync_file_range, (int, off_t, off_t, unsigned))                                                             \
    /* the event family */                                                                                             \
    X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *))                                              \
    X(int, pselect, (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *))                    \
    X(int, poll, (struct pollfd *, nfds_t, int))                                                                       \
    X(int, __poll_chk, (struct pollfd *, nfds_t, int, size_t))                                                         \
    X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *))                                \
    X(int, __ppoll_chk, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *, size_t))                  \
    X(int, epoll_wait, (int, struct epoll_event *, int, int))                                                          \
    X(int, epoll_pwait, (int, struct epoll_event *, int, int, const sigset_t *))                                       \
    X(int, epoll_pwait2, (int, struct epoll_event *, int, const struct timespec *, const sigset_t *))                  \
    X(int, epoll_ctl, (int, int, int, struct epoll_event *))                                                           \
    X(int, eventfd, (unsigned int, int))                                                                               \
    X(int, eventfd_read, (int, uint64_t *))                                                                            \
    X(int, eventfd_write, (int, uint64_t))                                                                             \
    /* sockets */                                                                                                      \
    X(ssize_t, recv, (int, void *, size_t, int))                                                                       \
    X(ssize_t, __recv_chk, (int, void *, size_t, size_t, int))                                                         \
    X(ssize_t, recvfrom, (int, void *, size_t, int, struct sockaddr *, socklen_t *))                                   \
    X(ssize_t, __recvfrom_chk, (int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *))                     \
    X(ssize_t, recvmsg, (int, struct msghdr *, int))                                                                   \
    X(ssize_t, send, (int, const void *, size_t, int))                                                                 \
    X(ssize_t, sendto, (int, const void *, size_t, int, const struct sockaddr *, socklen_t))                           \
    X(ssize_t, sendmsg, (int, const struct msghdr *, int))                                                             \
    X(int, accept, (int, struct sockaddr *, socklen_t *))                                                              \
    X(int, accept4, (int, struct sockaddr *, socklen_t *, int))                                                        \
    X(int, connect, (int, const struct sockaddr *, socklen_t))                                                         \
    X(int, listen, (int, int))                                                                                         \
    X(int, socketpair, (int, int, int, int[2]))                                                                        \
    X(int, pipe, (int[2]))                                                                                             \
    /* sleeps */                                                                                                       \
    X(int, nanosleep, (const struct timespec *, struct timespec *))                                                    \
    X(int, clock_nanosleep, (clockid_t, int, const struct timespec *, struct timespec *))                              \
    X(int, usleep, (useconds_t))                                                                                       \
    X(unsigned, sleep, (unsigned))                                                                                     \
    /* stdio */                                                                                                        \
    X(size_t, fread, (void *, size_t, size_t, FILE *))                                                                 \
    X(size_t, __fread_chk, (void *, size_t, size_t, size_t, FILE *))                                                   \
    X(size_t, fwrite, (const void *, size_t, size_t, FILE *))                                                          \
    X(char *, fgets, (char *, int, FILE *))                                                                            \
    X(char *, __fgets_chk, (char *, size_t, int, FILE *))                                                              \
    X(int, fputs, (const char *, FILE *))                                                                              \
    X(int, fflush, (FILE *))                                                                                           \
    X(ssize_t, getline, (char **, size_t *, FILE *))                                                                   \
    X(ssize_t, getdelim, (char **, size_t *, int, FILE *))                                                             \
    /* passed through: the loader, exec and _exit, signal masks, libwait's own fds */                                  \
    X(int, dlclose, (void *))                                                                                          \
    X(void, _exit, (int))                                                                                              \
    X(int, execve, (const char *, char *const[], char *const[]))                                                       \
    X(int, execv, (const char *, char *const[]))                                                                       \
    X(int, execvp, (const char *, char *const[]))                                                                      \
    X(int, execvpe, (const char *, char *const[], char *const[]))                                                      \
    X(int, fexecve, (int, char *const[], char *const[]))                                                               \
    X(int, execveat, (int, const char *, char *const[], char *const[], int))                                           \
    X(int, sigprocmask, (int, const sigset_t *, sigset_t *))                                                           \
    X(int, pthread_sigmask, (int, const sigset_t *, sigset_t *))                                                       \
    X(int, pipe2, (int[2], int))                                                                                       \
    X(int, close_range, (unsigned, unsigned, int))                                                                     \
    X(void, closefrom, (int))

#pragma GCC visibility push(hidden)

#define LW_REAL_DECLARE(rtype, name, params)            extern rtype(*real_##name) params;
#define LW_REAL_DECLARE_V(rtype, name, params, version) LW_REAL_DECLARE(rtype, name, params)
LW_REAL_FUNCS(LW_REAL_DECLARE, LW_REAL_DECLARE_V)
#undef LW_REAL_DECLARE
#undef LW_REAL_DECLARE_V

/* lw_resolve: fill every real_<name>, once; later calls return at once.
 * A call made while it runs (from dlsym's own allocations) returns at once
 * too, with the pointers not yet reached still NULL. */
void lw_resolve(void);

/* lw_real_sym: the definition of name that follows libwait's, of the
 * given symbol version where there is one (version may be NULL). */
void *lw_real_sym(const char *name, const char *version);

/* LW_REAL_LOOKUP(name, version): set real_<name>, the way lw_resolve does
 * for every entry; for a wrapper whose function may be needed before
 * lw_resolve has reached it. */
#define LW_REAL_LOOKUP(name, version) (real_##name = (__typeof__(real_##name))lw_real_sym(#name, version))

/* The bootstrap arena: static memory for allocations made before the
 * malloc family is resolved. lw_arena_alloc: n bytes aligned to align (a
 * power of two, at most 4096), NULL when the arena is full. free must
 * ignore arena pointers (lw_arena_owns); realloc copies lw_arena_size
 * bytes out of them. */
#define LW_ARENA_SIZE (64 * 1024)
extern unsigned char lw_arena[LW_ARENA_SIZE];
void *lw_arena_alloc(size_t n, size_t align);
size_t lw_arena_size(const void *p);
/* lw_arena_owns: inline, as free and realloc ask it on every call. */
static inline int lw_arena_owns(const void *p)
{
    return (const unsigned char *)p >= lw_arena && (const unsigned char *)p < lw_arena + LW_ARENA_SIZE;
}

#pragma GCC visibility pop

#endif
