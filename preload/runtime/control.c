/* control.c: starting and stopping recording at run time, and marks.
 *   WAIT_START=0    start paused (WAIT_START=1: start recording, the default)
 *   WAIT_SIGNAL=1   SIGUSR2 toggles recording. On by default with WAIT_START=0
 *                   only; WAIT_SIGNAL=0 keeps the signal untouched. Otherwise
 *                   (WAIT_START unset or 1) SIGUSR2's disposition is never
 *                   changed: a program that raises it dies as it would.
 *   include/libwait.h: libwait_pause(), libwait_resume(), libwait_mark(name)
 *                   find lw_api_* below through dlsym(RTLD_DEFAULT).
 *   lw_control      the paused word lives in the trace header's control
 *                   line, so `waitreport ctl TRACE pause|resume` (another
 *                   process) can flip it too.
 * Paused, lw_wrap_enter returns NULL after one relaxed load, so every wrapper
 * calls the real function directly. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

static uint32_t lw_pause_local;
uint32_t *lw_pause_word = &lw_pause_local;

/* lw_control_attach: move the paused state into header h's lw_control, so
 * other processes can see and change it. Before recording starts (writer). */
void lw_control_attach(struct lw_file_header *h)
{
    struct lw_control *c = (struct lw_control *)((uint8_t *)h + LW_CONTROL_OFFSET);
    __atomic_store_n(&c->paused, __atomic_load_n(lw_pause_word, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
    __atomic_store_n(&lw_pause_word, &c->paused, __ATOMIC_RELEASE);
}

/* lw_control_detach: back to the private word (the header is about to be
 * unmapped: fork child), keeping the state. */
void lw_control_detach(void)
{
    __atomic_store_n(&lw_pause_local, __atomic_load_n(lw_pause_word, __ATOMIC_ACQUIRE) != 0, __ATOMIC_RELEASE);
    __atomic_store_n(&lw_pause_word, &lw_pause_local, __ATOMIC_RELEASE);
}

/* lw_ctl_enter: the calling thread's state with the guard taken, even while
 * paused; create it when may_create. NULL when inside a wrapped call or
 * libwait itself (a signal handler that interrupted one), or not recording. */
static struct lw_thread *lw_ctl_enter(int may_create)
{
    struct lw_thread *t = lw_tls;
    if (t && !t->guard) {
        t->guard_sp = UINTPTR_MAX; /* libwait's own: never stale */
        t->guard = 1;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        return t;
    }
    if (t || !may_create || !__atomic_load_n(&lw_g.ready, __ATOMIC_ACQUIRE))
        return NULL;
    return lw_thread_start();
}

/* lw_ctl_leave: release the guard lw_ctl_enter took (t from it, non-NULL);
 * the fence keeps the record's stores before the release for a signal
 * handler on this thread. Cannot fail. */
static void lw_ctl_leave(struct lw_thread *t)
{
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    t->guard = 0;
}

/* A PAUSE/RESUME that could not be written when it happened (a signal
 * inside a wrapped call, or on a thread with no stream yet): written with
 * its own stamp by the next slow path of a recording thread (thread start,
 * clock sync). One slot, one 64-bit word so that a stamp is never paired
 * with another change's kind: a newer change replaces an older one whole.
 * 0 = none. */
static uint64_t lw_pend;

/* lw_pend_pack: a pending change as one word: the stamp with its low 8
 * bits replaced (85 ns at 3 GHz) by bit 7 = PAUSE (else RESUME) and bits
 * 0..6 = the source (LW_CTL_*, < 128). Never 0 for a non-zero source. */
static inline uint64_t lw_pend_pack(unsigned kind, uint64_t tsc, unsigned src)
{
    return (tsc & ~(uint64_t)0xff) | (kind == LW_REC_PAUSE ? 0x80u : 0) | (src & 0x7fu);
}

/* lw_pend_unpack: the inverse of lw_pend_pack (the stamp rounded down). */
static inline void lw_pend_unpack(uint64_t w, unsigned *kind, uint64_t *tsc, unsigned *src)
{
    *kind = (w & 0x80) ? LW_REC_PAUSE : LW_REC_RESUME;
    *tsc = w & ~(uint64_t)0xff;
    *src = (unsigned)(w & 0x7f);
}

/* lw_ctl_write: the record into t's stream (guard held). */
static void lw_ctl_write(struct lw_thread *t, unsigned kind, uint64_t tsc, uint64_t arg, const char *name)
{
    if (!t->chunk || t->dead || lw_g.stopped)
        return;
    uint8_t body[LW_CTL_REC_MAX], *p;
    if (name) {
        size_t n = strnlen(name, LW_MARK_MAX + 1);
        if (n > LW_MARK_MAX) { /* cut at a character boundary: drop a UTF-8 sequence that straddles it */
            n = LW_MARK_MAX;
            while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
                n--;
        }
        p = lw_enc_mark(body, tsc, name, n);
    } else {
        p = lw_enc_pause(body, tsc, arg);
    }
    lw_writer_meta(t, kind, body, (size_t)(p - body));
}

/* lw_control_flush: write a pending PAUSE/RESUME into t's stream (slow
 * paths of a thread that holds its guard and has a chunk). */
void lw_control_flush(struct lw_thread *t)
{
    if (LW_LIKELY(!__atomic_load_n(&lw_pend, __ATOMIC_RELAXED)))
        return;
    uint64_t w = __atomic_exchange_n(&lw_pend, 0, __ATOMIC_ACQ_REL);
    if (w) {
        unsigned kind, src;
        uint64_t tsc;
        lw_pend_unpack(w, &kind, &tsc, &src);
        lw_ctl_write(t, kind, tsc, src, NULL);
    }
}

/* lw_ctl_record: a PAUSE/RESUME/MARK record on the calling thread's stream
 * (name only for MARK, truncated to LW_MARK_MAX). When the thread cannot
 * write now (see lw_ctl_enter), a PAUSE/RESUME is left pending and a MARK
 * dropped. errno is kept. */
static void lw_ctl_record(unsigned kind, uint64_t arg, const char *name, int may_create)
{
    int saved = errno;
    uint64_t tsc = lw_rdtsc();
    struct lw_thread *t = lw_ctl_enter(may_create);
    if (t && t->chunk && !t->dead) {
        lw_control_flush(t); /* an older pending change goes first */
        lw_ctl_write(t, kind, tsc, arg, name);
    } else if (!name) {
        __atomic_store_n(&lw_pend, lw_pend_pack(kind, tsc, (unsigned)arg), __ATOMIC_RELEASE);
    }
    if (t)
        lw_ctl_leave(t);
    errno = saved;
}

/* lw_set_paused: move to paused (1) or recording (0); src is LW_CTL_*.
 * Returns 1 when the state changed. Async-signal-safe (no state is created
 * from a signal). */
static int lw_set_paused(int paused, unsigned src)
{
    if (__atomic_exchange_n(lw_pause_word, (uint32_t)paused, __ATOMIC_ACQ_REL) == (uint32_t)paused)
        return 0;
    lw_ctl_record(paused ? LW_REC_PAUSE : LW_REC_RESUME, src, NULL, src != LW_CTL_SIGNAL);
    return 1;
}

/* lw_on_sigusr2: toggle recording. */
static void lw_on_sigusr2(int sig)
{
    (void)sig;
    int saved = errno;
    lw_set_paused(!__atomic_load_n(lw_pause_word, __ATOMIC_ACQUIRE), LW_CTL_SIGNAL);
    errno = saved;
}

/* lw_env_flag: "0" -> 0, "1" -> 1, unset -> -1; anything else is reported
 * and gives def. */
static int lw_env_flag(const char *name, int def)
{
    const char *s = getenv(name);
    if (!s)
        return -1;
    if ((s[0] == '0' || s[0] == '1') && !s[1])
        return s[0] - '0';
    lw_warn("ignoring %s=%s: expected 0 or 1", name, s);
    return def;
}

/* lw_control_init: apply WAIT_START and WAIT_SIGNAL (constructor, before
 * recording starts). SIGUSR2 is taken only with WAIT_SIGNAL=1, or with
 * WAIT_START=0 and WAIT_SIGNAL unset, and only when it is at SIG_DFL: a
 * handler (or SIG_IGN) already there belongs to the program and stays. */
void lw_control_init(void)
{
    int start = lw_env_flag("WAIT_START", 1), sig = lw_env_flag("WAIT_SIGNAL", 0);
    if (start == 0)
        __atomic_store_n(lw_pause_word, 1, __ATOMIC_RELEASE);
    if (!(sig == 1 || (sig < 0 && start == 0)))
        return;
    struct sigaction old, sa;
    if (sigaction(SIGUSR2, NULL, &old) != 0)
        return;
    if ((old.sa_flags & SA_SIGINFO) || old.sa_handler != SIG_DFL) {
        lw_warn("SIGUSR2 is already handled by the program; leaving it alone (use libwait_pause/resume)");
        return;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = lw_on_sigusr2;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
}

/* ---- the API of include/libwait.h ---- */

/* lw_api_pause: stop recording in every thread until lw_api_resume. */
LW_EXPORT void lw_api_pause(void) { lw_set_paused(1, LW_CTL_API); }

/* lw_api_resume: start recording again. */
LW_EXPORT void lw_api_resume(void) { lw_set_paused(0, LW_CTL_API); }

/* lw_api_mark: a named instant on the calling thread (recorded even while
 * paused). NULL is ignored; names are cut at LW_MARK_MAX bytes, before a
 * UTF-8 character that would straddle the cut. */
LW_EXPORT void lw_api_mark(const char *name)
{
    if (name)
        lw_ctl_record(LW_REC_MARK, 0, name, 1);
}

/* lw_api_paused: 1 while recording is paused. */
LW_EXPORT int lw_api_paused(void) { return __atomic_load_n(lw_pause_word, __ATOMIC_ACQUIRE) != 0; }
