/* fd_pairs.c: pipe and socketpair. They are not recorded as calls (they do
 * not wait); each end they make gets its identity (FDID, runtime/fdid.c),
 * so that a write on one end can be matched to the read it ends on the
 * other. pipe2 is wrapped in runtime/own_fds.c and does the same for the
 * program's pipes. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <unistd.h>

#include "wrap/wrap.h"

/* lw_pair_made: after a call that made the pair fds (r: its result), with
 * t's guard taken: the identities, then the guard released with errno as
 * the call left it. */
static void lw_pair_made(struct lw_thread *t, int r, const int fds[2], unsigned type)
{
    t->err = *(LW_LIKELY(t->errp != NULL) ? t->errp : &errno);
    if (r == 0)
        lw_fdid_pair(t, fds, type);
    lw_wrap_leave(t, 0, NULL);
}

void lw_pipe_made(const int fds[2])
{
    struct lw_thread *t = lw_wrap_enter(1);
    if (t)
        lw_pair_made(t, 0, fds, LW_FD_PIPE);
}

LW_EXPORT int pipe(int fds[2])
{
    struct lw_thread *t = lw_wrap_enter(real_pipe != NULL);
    if (!t)
        return real_pipe(fds);
    int r = real_pipe(fds);
    lw_pair_made(t, r, fds, LW_FD_PIPE);
    return r;
}

LW_EXPORT int socketpair(int dom, int type, int proto, int fds[2])
{
    struct lw_thread *t = lw_wrap_enter(real_socketpair != NULL);
    if (!t)
        return real_socketpair(dom, type, proto, fds);
    int r = real_socketpair(dom, type, proto, fds);
    lw_pair_made(t, r, fds, LW_FD_SOCKPAIR);
    return r;
}
