/* wakers_fds.c: what the waker analysis knows of the process's fds: each
 * fd's identity from its FDID record (the keys its writes release and its
 * reads and polls wait on) and the fds epoll instances name by their
 * events' data (EPCTL records), so that a read or a poll is matched to the
 * write, send, close or connect on the other end (doc/wakers.md). */
#include <stdlib.h>
#include <string.h>

#include "analyses/wakers.h"

/* wr_wk_fdid: an FDID record: the keys fd's writes release and its reads wait on
 * (doc/wakers.md, "pipe, socketpair, eventfd, socket"). */
void wr_wk_fdid(struct wr_wk_state *st, const struct wr_event *ev)
{
    const uint8_t *p = ev->body;
    struct lw_fdid_rec x;
    if (!lw_dec_fdid(&p, ev->body + ev->len, &x))
        return;
    uint64_t f = (uint64_t)x.fd, w, r, c = 0, loc = x.local, rem = x.peer, type = x.type;
    switch (type) {
    case LW_FD_PIPE:
        w = r = wr_wk_key(K_PIPE, x.dev * 0x100000001b3ull ^ x.ino);
        break;
    case LW_FD_SOCKPAIR:
        w = wr_wk_key(K_PAIR, x.ino), r = wr_wk_key(K_PAIR, x.peer_ino);
        break;
    case LW_FD_EVENTFD:
        w = r = wr_wk_key(K_EFD, ++st->nfdid);
        break;
    case LW_FD_SOCKET:
        w = wr_wk_key(K_SOCK, loc ^ (rem << 1 | rem >> 63)), r = wr_wk_key(K_SOCK, rem ^ (loc << 1 | loc >> 63));
        c = rem ? wr_wk_key(K_LISTEN, rem) : 0; /* a connect to rem, which the listener there polls for */
        break;
    case LW_FD_LISTEN: /* nothing is written on it: its polls wait for a connect to its address */
        w = 0, r = wr_wk_key(K_LISTEN, loc);
        break;
    default:
        return;
    }
    struct wr_wk_fd *d;
    HASH_FIND(hh, st->fds, &f, sizeof f, d);
    if (!d) {
        if (!(d = calloc(1, sizeof *d))) {
            st->oom = 1;
            return;
        }
        d->fd = f;
        HASH_ADD(hh, st->fds, fd, sizeof d->fd, d);
    }
    d->wkey = w, d->rkey = r, d->ckey = c, d->type = (unsigned)type;
}

struct wr_wk_fd *wr_wk_fd_of(struct wr_wk_state *st, uint64_t fd)
{
    struct wr_wk_fd **slot = &st->fcache[fd & (WK_FCACHE - 1)], *d = *slot;
    if (d && d->fd == fd)
        return d;
    HASH_FIND(hh, st->fds, &fd, sizeof fd, d);
    if (d)
        *slot = d;
    return d;
}

void wr_wk_fd_close(struct wr_wk_state *st, struct wr_wk_fd *d)
{
    struct wr_wk_fd **slot = &st->fcache[d->fd & (WK_FCACHE - 1)];
    if (*slot == d)
        *slot = NULL;
    HASH_DEL(st->fds, d);
    free(d);
}

/* wr_wk_epctl: an EPCTL record: the fd an epoll instance's events of a data name
 * from now on (lw_format.h). An ADD or MOD gives the data to the fd (and
 * takes it from the fd that had it); a DEL forgets the fd. Memory: one
 * entry per (epoll fd, fd) registered and not deleted. */
void wr_wk_epctl(struct wr_wk_state *st, const struct wr_event *ev)
{
    const uint8_t *p = ev->body;
    struct lw_epctl_rec r;
    if (!lw_dec_epctl(&p, ev->body + ev->len, &r))
        return;
    uint64_t kf[2] = {(uint64_t)r.epfd, (uint64_t)r.fd}, kd[2] = {(uint64_t)r.epfd, r.data};
    struct wr_wk_ep *x, *o;
    HASH_FIND(hf, st->epfds, kf, sizeof kf, x);
    if (x && x->indata) {
        HASH_DELETE(hd, st->eps, x);
        x->indata = 0;
    }
    if (r.op == 2) { /* EPOLL_CTL_DEL */
        if (x) {
            HASH_DELETE(hf, st->epfds, x);
            free(x);
        }
        return;
    }
    if (!x) {
        if (!(x = calloc(1, sizeof *x))) {
            st->oom = 1;
            return;
        }
        memcpy(x->kf, kf, sizeof kf);
        HASH_ADD(hf, st->epfds, kf, sizeof x->kf, x);
    }
    HASH_FIND(hd, st->eps, kd, sizeof kd, o);
    if (o) {
        HASH_DELETE(hd, st->eps, o);
        o->indata = 0;
    }
    memcpy(x->kd, kd, sizeof kd);
    HASH_ADD(hd, st->eps, kd, sizeof x->kd, x);
    x->indata = 1;
}

/* wr_wk_ready_fd: the fd of value v of a poll's ready: v itself for poll and
 * select, the fd registered with data v for an epoll wait on epfd; -1 when
 * none is known. */
int64_t wr_wk_ready_fd(struct wr_wk_state *st, int64_t epfd, uint64_t v)
{
    if (epfd < 0)
        return v <= INT32_MAX ? (int64_t)v : -1;
    uint64_t kd[2] = {(uint64_t)epfd, v};
    struct wr_wk_ep *x;
    HASH_FIND(hd, st->eps, kd, sizeof kd, x);
    return x ? (int64_t)x->kf[1] : -1;
}
