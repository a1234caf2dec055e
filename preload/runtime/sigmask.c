/* sigmask.c: sigprocmask and pthread_sigmask, passed straight through
 * except while libwait itself holds every signal blocked.
 *
 * libunwind blocks all signals around each of its internal locks, two
 * system calls at a time, and learning one frame rule (stack_walk.c) takes
 * about ten of them: most of the cost of a new address. So the stack walk
 * blocks signals once, with lw_signals_hold, before it learns its first
 * rule, and unblocks them once at its end. In between, the blocking that
 * libunwind asks for is already in force: these wrappers answer its calls
 * from this thread without a system call, reporting the mask as fully
 * blocked, so its own restore is a no-op. No signal can reach the thread
 * in that window, so a handler can never run into libunwind's locks. Every
 * other call, and every call of another thread, goes to the real function
 * unchanged. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>

#include "runtime/runtime.h"

/* 1 while lw_signals_hold is in force on this thread; the mask to restore. */
static LW_TLS int lw_sig_held;
static LW_TLS sigset_t lw_sig_saved;

/* lw_signals_hold: block every signal on this thread until
 * lw_signals_release. Returns 1 when they are held. */
int lw_signals_hold(void)
{
    if (lw_sig_held)
        return 1;
    if (LW_UNLIKELY(!real_pthread_sigmask))
        return 0;
    sigset_t all;
    sigfillset(&all);
    if (real_pthread_sigmask(SIG_SETMASK, &all, &lw_sig_saved) != 0)
        return 0;
    lw_sig_held = 1;
    return 1;
}

/* lw_signals_release: restore the mask lw_signals_hold replaced. */
void lw_signals_release(void)
{
    if (!lw_sig_held)
        return;
    lw_sig_held = 0;
    real_pthread_sigmask(SIG_SETMASK, &lw_sig_saved, NULL);
}

/* The two wrappers look their function up themselves when it is not set:
 * a call may come before lw_resolve ran, or while it runs on this thread,
 * and lw_resolve then returns at once with the pointer still unset. */

/* lw_sig_answer: a call made while the hold is in force: the mask stays
 * fully blocked, and that is what the caller is told it was. */
static int lw_sig_answer(sigset_t *old)
{
    if (old)
        sigfillset(old);
    return 0;
}

LW_EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    if (LW_UNLIKELY(lw_sig_held))
        return lw_sig_answer(old);
    if (LW_UNLIKELY(!real_sigprocmask))
        LW_REAL_LOOKUP(sigprocmask, NULL);
    return real_sigprocmask(how, set, old);
}

LW_EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    if (LW_UNLIKELY(lw_sig_held))
        return lw_sig_answer(old);
    if (LW_UNLIKELY(!real_pthread_sigmask))
        LW_REAL_LOOKUP(pthread_sigmask, NULL);
    return real_pthread_sigmask(how, set, old);
}
