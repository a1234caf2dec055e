/* fdid.c: identities of the fds that can carry a wake-up from one thread
 * or process to another (FDID records, lw_format.h): pipes, socketpairs,
 * eventfds and connected sockets; and the fds registered with an epoll
 * instance (EPCTL records), by which an epoll event names its fd. They are written when the fd is made,
 * so the calls on an fd (read, write, poll ...) stay as they are: no
 * lookup, no lock and no syscall is added to them. Each identity costs one
 * fstat (and for a socket getsockname, getpeername and, for AF_UNIX,
 * SO_PEERCRED) on the call that made the fd, a call that is itself a
 * syscall. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/stat.h>

#include "runtime/runtime.h"

/* lw_fnv: FNV-1a 64-bit hash of n bytes (0 stays for "no address"). */
static uint64_t lw_fnv(const void *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const uint8_t *)p)[i]) * 0x100000001b3ull;
    return h ? h : 1;
}

/* lw_sockname: the hash of fd's local (peer = 0) or peer address, 0 when
 * the call fails (a connect in progress has no peer yet). */
static uint64_t lw_sockname(int fd, int peer, int *family)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    int r = peer ? getpeername(fd, (struct sockaddr *)&sa, &len) : getsockname(fd, (struct sockaddr *)&sa, &len);
    if (r != 0)
        return 0;
    if (len > sizeof sa)
        len = sizeof sa;
    *family = sa.ss_family;
    return lw_fnv(&sa, len);
}

/* lw_fdid_put: write fd's FDID record (st: its fstat); sockets get their
 * addresses looked up here. */
static void lw_fdid_put(struct lw_thread *t, int fd, unsigned type, const struct stat *st, uint64_t peer_ino)
{
    uint8_t body[LW_FDID_REC_MAX];
    struct lw_fdid_rec r = {.tsc = lw_rdtsc(),
                            .fd = fd,
                            .type = type,
                            .dev = (uint64_t)st->st_dev,
                            .ino = (uint64_t)st->st_ino,
                            .peer_ino = peer_ino};
    if (type == LW_FD_SOCKET || type == LW_FD_LISTEN) {
        int family = 0;
        uint64_t local = lw_sockname(fd, 0, &family), peer = lw_sockname(fd, 1, &family), pid = 0;
        if (family == AF_UNIX) {
            struct ucred cr;
            socklen_t len = sizeof cr;
            if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && cr.pid > 0)
                pid = (uint64_t)cr.pid;
        }
        r.family = (uint64_t)family;
        r.local = local;
        r.peer = peer;
        r.pid = pid;
    }
    uint8_t *p = lw_enc_fdid(body, &r);
    lw_writer_meta(t, LW_REC_FDID, body, (size_t)(p - body));
}

void lw_fdid_note(struct lw_thread *t, int fd, unsigned type)
{
    struct stat st;
    int saved = errno;
    lw_slow_begin(t);
    if (fd >= 0 && fstat(fd, &st) == 0)
        lw_fdid_put(t, fd, type, &st, type == LW_FD_PIPE ? (uint64_t)st.st_ino : 0);
    lw_slow_end(t);
    errno = saved;
}

void lw_fdid_pair(struct lw_thread *t, const int fds[2], unsigned type)
{
    struct stat st[2];
    int saved = errno;
    lw_slow_begin(t);
    if (fstat(fds[0], &st[0]) == 0 && fstat(fds[1], &st[1]) == 0) {
        lw_fdid_put(t, fds[0], type, &st[0], (uint64_t)st[1].st_ino);
        lw_fdid_put(t, fds[1], type, &st[1], (uint64_t)st[0].st_ino);
    }
    lw_slow_end(t);
    errno = saved;
}

void lw_fdid_inherited(struct lw_thread *t)
{
    int saved = errno;
    for (int fd = 0; fd <= 2; fd++) {
        struct stat st;
        if (fstat(fd, &st) != 0)
            continue;
        if (S_ISFIFO(st.st_mode))
            lw_fdid_put(t, fd, LW_FD_PIPE, &st, (uint64_t)st.st_ino);
        else if (S_ISSOCK(st.st_mode))
            lw_fdid_put(t, fd, LW_FD_SOCKET, &st, 0);
    }
    errno = saved;
}

void lw_epctl_note(struct lw_thread *t, int epfd, int op, int fd, uint64_t data)
{
    uint8_t body[LW_EPCTL_REC_MAX];
    struct lw_epctl_rec r = {.tsc = lw_rdtsc(), .epfd = epfd, .op = (uint64_t)op, .fd = fd, .data = data};
    int saved = errno;
    lw_slow_begin(t);
    uint8_t *p = lw_enc_epctl(body, &r);
    lw_writer_meta(t, LW_REC_EPCTL, body, (size_t)(p - body));
    lw_slow_end(t);
    errno = saved;
}
