/* sockets.c: recv, recvfrom, recvmsg, send, sendto, sendmsg (IO schema:
 * fd, bytes or -errno), accept, accept4 and connect (FDOP: fd, the new fd
 * or 0 or -errno; the socket gets its identity, FDID), and listen (not a
 * call record: the listening socket's FDID). The fortified __recv_chk/__recvfrom_chk are recorded as
 * recv/recvfrom. */
#define _DEFAULT_SOURCE /* not _GNU_SOURCE: its transparent sockaddr unions */
#include <sys/socket.h>

#include "wrap/wrap.h"

LW_WRAP(ssize_t, recv, LW_F_recv, (int fd, void *buf, size_t n, int fl), (fd, buf, n, fl), LW_ENC_IO)
LW_WRAP(ssize_t, __recv_chk, LW_F_recv, (int fd, void *buf, size_t n, size_t bl, int fl), (fd, buf, n, bl, fl),
        LW_ENC_IO)
LW_WRAP(ssize_t, recvfrom, LW_F_recvfrom, (int fd, void *buf, size_t n, int fl, struct sockaddr *a, socklen_t *al),
        (fd, buf, n, fl, a, al), LW_ENC_IO)
LW_WRAP(ssize_t, __recvfrom_chk, LW_F_recvfrom,
        (int fd, void *buf, size_t n, size_t bl, int fl, struct sockaddr *a, socklen_t *al),
        (fd, buf, n, bl, fl, a, al), LW_ENC_IO)
LW_WRAP(ssize_t, recvmsg, LW_F_recvmsg, (int fd, struct msghdr *m, int fl), (fd, m, fl), LW_ENC_IO)
LW_WRAP(ssize_t, send, LW_F_send, (int fd, const void *buf, size_t n, int fl), (fd, buf, n, fl), LW_ENC_IO)
LW_WRAP(ssize_t, sendto, LW_F_sendto,
        (int fd, const void *buf, size_t n, int fl, const struct sockaddr *a, socklen_t al), (fd, buf, n, fl, a, al),
        LW_ENC_IO)
LW_WRAP(ssize_t, sendmsg, LW_F_sendmsg, (int fd, const struct msghdr *m, int fl), (fd, m, fl), LW_ENC_IO)

/* The socket accept made, or the one connect connected (also while the
 * connection is still in progress: its peer is then unknown), gets its
 * identity (FDID). */
#define LW_NOTE_SOCKET(s)                                                                                              \
    if ((s) >= 0)                                                                                                      \
    lw_fdid_note(t, (s), LW_FD_SOCKET)
LW_WRAP_NOTE(int, accept, LW_F_accept, (int fd, struct sockaddr *a, socklen_t *al), (fd, a, al), LW_NOTE_SOCKET(r),
             LW_ENC_FDOP)
LW_WRAP_NOTE(int, accept4, LW_F_accept4, (int fd, struct sockaddr *a, socklen_t *al, int fl), (fd, a, al, fl),
             LW_NOTE_SOCKET(r), LW_ENC_FDOP)
LW_WRAP_NOTE(int, connect, LW_F_connect, (int fd, const struct sockaddr *a, socklen_t al), (fd, a, al),
             LW_NOTE_SOCKET(r == 0 || errno == EINPROGRESS ? fd : -1), LW_ENC_FDOP)

/* listen does not wait and is not recorded as a call; the socket it made
 * listening gets its identity (FDID, LW_FD_LISTEN), so that a poll it
 * returned ready from (a connection to accept) is known to wait for a
 * peer. */
LW_EXPORT int listen(int fd, int backlog)
{
    struct lw_thread *t = lw_wrap_enter(real_listen != NULL);
    if (!t)
        return real_listen(fd, backlog);
    int r = real_listen(fd, backlog);
    t->err = *(LW_LIKELY(t->errp != NULL) ? t->errp : &errno);
    if (r == 0)
        lw_fdid_note(t, fd, LW_FD_LISTEN);
    lw_wrap_leave(t, 0, NULL);
    return r;
}
