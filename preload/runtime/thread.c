/* thread.c: per-thread recorder state, created lazily at a thread's first
 * recorded call, flushed by a pthread key destructor at thread exit (which
 * also runs for pthread_exit and cancellation). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "runtime/runtime.h"
#include "runtime/spin.h"

LW_TLS struct lw_thread *lw_tls;

/* Installed in lw_tls of a thread that has flushed: the guard stays taken,
 * so every later call passes straight through. Never written to. */
static struct lw_thread lw_dead = {.guard = 1, .dead = 1, .guard_sp = UINTPTR_MAX};

/* Every live state, for the exit path's flush of threads still running
 * (or whose state was created after their key destructors ran, so that no
 * destructor flushes it). States join on creation and leave when their
 * thread finishes; the list is guarded by a spinlock that is only taken
 * while the taking thread's lw_tls is &lw_dead, so a signal handler on that
 * thread never reaches it (its wrapped calls pass straight through). */
static struct lw_thread *lw_all;
static lw_spin lw_all_spin; /* reset in a fork child (lw_spin_init) */

/* Finished states kept for the next new thread, up to LW_SPARE_MAX, on a
 * list through all_next guarded by lw_all_spin, each with its stack caches
 * (about 400 KiB): a thread's start and end then map and unmap neither (an
 * unmap in a process with several threads flushes the other CPUs' TLBs:
 * about 30 us in a VM), and a new thread finds the stacks its predecessors
 * learned. The caches are not the thread's own knowledge: a fast-cache hit
 * is verified frame by frame on the live stack, and the rest is keyed by
 * code and whole stacks (stack.c). A fork child keeps the list: its states
 * are the child's own copies. */
#define LW_SPARE_MAX 16
static struct lw_thread *lw_spare;
static unsigned lw_spare_n;

static pthread_key_t lw_key;
static int lw_key_ok;

/* lw_thread_flush_stats: add t's local counters to the file header. */
void lw_thread_flush_stats(struct lw_thread *t)
{
    struct lw_stats *g = lw_g.hdr ? &lw_g.hdr->stats : NULL;
    if (!g)
        return;
    if (t->lone)
        __atomic_fetch_add(&lw_g.hdr->lone_locks, __atomic_exchange_n(&t->lone, 0, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
    uint64_t *src = (uint64_t *)&t->st, *dst = (uint64_t *)g;
    for (size_t i = 0; i < sizeof t->st / sizeof(uint64_t); i++) {
        uint64_t v = __atomic_exchange_n(&src[i], 0, __ATOMIC_RELAXED);
        if (!v)
            continue;
        __atomic_fetch_add(&dst[i], v, __ATOMIC_RELAXED);
        /* the counters start at 0 with each chunk (a chunk change flushes
         * them), so these calls are all in the current chunk: with a cap,
         * its header counts them for when it is reused */
        if (i == offsetof(struct lw_stats, records) / sizeof(uint64_t) && t->chunk && lw_flight_on())
            __atomic_fetch_add(&((struct lw_chunk_header *)t->chunk)->calls, (uint32_t)v, __ATOMIC_RELAXED);
    }
}

/* The calling thread's birth (LW_THR_BORN): set by libwait's start
 * routine (wrap/thread_create.c) as the thread's first act, before the
 * thread has any state; 0 when the thread was not started through it. */
LW_TLS uint64_t lw_birth_tsc;
LW_TLS uint32_t lw_birth_creator;
LW_TLS int lw_birth_counted;

/* alone on its cache line: read by every lock call of every thread,
 * written only when a thread starts or finishes, so no other variable's
 * writes may take the line away from the readers */
union lw_lone lw_lone __attribute__((aligned(64)));

/* lw_thread_record: write a THREAD record (start, or end with LW_THR_END)
 * with the name. A start record of a thread whose birth is known carries
 * the birth as its stamp (LW_THR_BORN): the main thread's is the process
 * start, when the trace was opened. An end record carries the thread's
 * page faults (one getrusage, once per thread). */
static void lw_thread_record(struct lw_thread *t, unsigned flags)
{
    uint8_t body[LW_THREAD_REC_MAX];
    struct lw_thread_rec r = {.tid = t->tid, .self = (uint64_t)pthread_self(), .creator = lw_birth_creator};
    uint64_t now = lw_rdtsc();
    struct rusage ru;
    prctl(PR_GET_NAME, r.name, 0, 0, 0);
    if (!(flags & LW_THR_END)) {
        if (lw_birth_tsc) {
            now = lw_birth_tsc;
            flags |= LW_THR_BORN;
        } else if (t->tid == lw_g.hdr->pid && lw_g.hdr->start_tsc) {
            now = lw_g.hdr->start_tsc;
            flags |= LW_THR_BORN;
            r.creator = 0;
        }
    } else if (getrusage(RUSAGE_THREAD, &ru) == 0) {
        flags |= LW_THR_FAULTS;
    }
    r.flags = flags;
    r.tsc = now;
    r.name_len = strnlen(r.name, 16);
    if (flags & LW_THR_FAULTS) {
        r.minflt = (uint64_t)ru.ru_minflt;
        r.majflt = (uint64_t)ru.ru_majflt;
    }
    uint8_t *p = lw_enc_thread(body, &t->last_tsc, &r);
    lw_writer_meta(t, LW_REC_THREAD, body, (size_t)(p - body));
}

/* lw_thread_named: a THREAD record with t's name (flags 0), at the start
 * of each chunk with a cap (lw_format.h, struct lw_flight). */
void lw_thread_named(struct lw_thread *t) { lw_thread_record(t, 0); }

/* lw_thread_finish: flush t, then release everything it holds (chunks,
 * perf ring, stack cache, the state itself, or keeps the last two as a
 * spare); later calls of the thread pass through. A thousand short threads
 * leave no mapping behind but the spares (LW_SPARE_MAX). */
static void lw_thread_finish(struct lw_thread *t)
{
    if (!t || t->dead)
        return;
    t->guard_sp = UINTPTR_MAX; /* libwait's own: never stale (lw_guard_stale) */
    t->guard = 1;
    if (t->chunk && !lw_g.stopped) {
        lw_switch_close(t);
        lw_writer_sync(t);
        lw_thread_record(t, LW_THR_END);
    }
    lw_switch_forget(t);
    lw_thread_flush_stats(t);
    if (lw_birth_counted) {
        lw_birth_counted = 0;
        __atomic_fetch_sub(&lw_lone.s.others, 1, __ATOMIC_RELAXED);
    }
    t->dead = 1;
    lw_tls = &lw_dead; /* from here a signal handler's calls pass through */
    lw_writer_release(t);
    lw_spin_lock(&lw_all_spin);
    struct lw_thread **pp = &lw_all;
    while (*pp && *pp != t)
        pp = &(*pp)->all_next;
    if (*pp)
        *pp = t->all_next;
    int keep = lw_spare_n < LW_SPARE_MAX;
    if (keep) {
        t->all_next = lw_spare;
        lw_spare = t;
        lw_spare_n++;
    }
    lw_spin_unlock(&lw_all_spin);
    if (!keep) {
        lw_stack_thread_free(t);
        real_munmap(t, sizeof *t);
    }
}

static void lw_thread_destructor(void *arg) { lw_thread_finish(arg); }

/* lw_thread_init_key: create the key whose destructor flushes a thread. */
void lw_thread_init_key(void) { lw_key_ok = pthread_key_create(&lw_key, lw_thread_destructor) == 0; }

/* lw_thread_exit_current: flush the calling thread (process exit path). */
void lw_thread_exit_current(void)
{
    struct lw_thread *t = lw_tls;
    if (t && t != &lw_dead)
        lw_thread_finish(t);
}

/* lw_thread_flush_all: exit path: flush the counters of every state that
 * did not flush itself (threads still running, or past their destructors). */
void lw_thread_flush_all(void)
{
    lw_spin_lock(&lw_all_spin);
    for (struct lw_thread *t = lw_all; t; t = t->all_next)
        if (!t->dead)
            lw_thread_flush_stats(t);
    lw_spin_unlock(&lw_all_spin);
}

/* lw_thread_new: state for the calling thread, with its first chunk, the
 * load map (first thread only) and a THREAD start record. NULL on failure. */
static struct lw_thread *lw_thread_new(void)
{
    lw_tls = &lw_dead; /* a signal handler meanwhile must not make a second state */
    lw_spin_lock(&lw_all_spin);
    void *m = lw_spare;
    if (m) {
        lw_spare = lw_spare->all_next;
        lw_spare_n--;
    }
    lw_spin_unlock(&lw_all_spin);
    struct lw_cache *cache = NULL;
    if (m) {
        cache = ((struct lw_thread *)m)->cache;
        memset(m, 0, sizeof(struct lw_thread));
    } else
        m = real_mmap(NULL, sizeof(struct lw_thread), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    struct lw_thread *t = m;
    t->cache = cache;
    t->guard = 1;
    t->guard_sp = UINTPTR_MAX; /* lw_enter_slow sets the wrapper's frame */
    t->errp = &errno;          /* fixed for the thread's life: no __errno_location per call */
    t->tid = (uint32_t)gettid();
    t->stream = (uint32_t)__atomic_fetch_add(&lw_g.hdr->next_stream, 1, __ATOMIC_RELAXED);
    if (lw_writer_first_chunk(t) != 0) {
        lw_stack_thread_free(t);
        real_munmap(m, sizeof *t);
        return NULL;
    }
    t->st.threads = 1;
    /* a thread that neither is the main one nor came through libwait's
     * start routine (a raw clone, a thread started while every spawn slot
     * was taken): whether it ends is unknown, so the lone-thread rule stays
     * off from now on */
    if (!lw_birth_tsc && t->tid != lw_g.hdr->pid)
        __atomic_fetch_add(&lw_lone.s.others, 1, __ATOMIC_RELAXED);
    lw_spin_lock(&lw_all_spin);
    t->all_next = lw_all;
    lw_all = t;
    lw_spin_unlock(&lw_all_spin);
    lw_tls = t;
    if (lw_key_ok)
        pthread_setspecific(lw_key, t);
    lw_writer_sync(t);
    lw_thread_record(t, 0);
    if (t->tid == lw_g.hdr->pid)
        lw_fdid_inherited(t);
    lw_gate_enter(); /* the loader's lock is taken inside: not across a fork */
    lw_modules_emit(t, 0);
    lw_gate_leave();
    lw_switch_open(t);
    return t;
}

/* lw_thread_reopen: in a fork child, create its own trace file at its
 * first call. One thread opens; calls of others (or of a signal handler)
 * meanwhile pass through unrecorded. 0 when the file is there. */
static int lw_thread_reopen(void)
{
    int one = 1;
    if (!__atomic_compare_exchange_n(&lw_g.reopen, &one, 2, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return __atomic_load_n(&lw_g.reopen, __ATOMIC_ACQUIRE) == 0 && lw_g.hdr ? 0 : -1;
    int ok = lw_writer_open() == 0;
    if (!ok) {
        __atomic_store_n(&lw_g.ready, 0, __ATOMIC_RELEASE); /* said why; record nothing more */
        lw_fd_release_all();
    }
    __atomic_store_n(&lw_g.reopen, 0, __ATOMIC_RELEASE);
    return ok ? 0 : -1;
}

/* lw_guard_stale: whether t's guard, found taken by a call whose wrapper
 * frame is frame, was left behind by a wrapper the program exited without
 * returning (siglongjmp out of a signal handler that interrupted the real
 * call, or out of libwait itself). A call nested inside the wrapper that
 * took the guard (a signal handler's, or one the real call makes) always
 * runs deeper, at a lower address on the downward-growing stack; code that
 * runs after a jump out of it is at or above that frame. A signal handler
 * on an alternate stack (sigaltstack) is nested but its frame is unrelated:
 * when this thread runs on its alternate stack and the guard was taken
 * elsewhere, the call is nested. The guard libwait takes for itself
 * (guard_sp UINTPTR_MAX) is never stale, and neither is one found by a call
 * libunwind makes while libwait's slow path runs on its own stack (at any
 * address). Only reached when the guard is
 * found taken; the sigaltstack syscall only for a call at or above it. A
 * call made after such a jump but deeper than the abandoned wrapper still
 * counts as nested, until the thread's first call at or above it. */
static int lw_guard_stale(const struct lw_thread *t, uintptr_t frame)
{
    uintptr_t g = t->guard_sp;
    if (frame < g || g == UINTPTR_MAX || lw_stack_on_own(t, frame))
        return 0;
    stack_t ss;
    if (sigaltstack(NULL, &ss) != 0)
        return 0; /* cannot tell: nested is the safe answer */
    if (ss.ss_flags & SS_ONSTACK) {
        uintptr_t lo = (uintptr_t)ss.ss_sp;
        return g >= lo && g - lo < ss.ss_size; /* taken on this same alternate stack */
    }
    return 1;
}

/* lw_enter_slow: lw_wrap_enter's slow path (frame: the calling wrapper's frame).
 * Nothing while paused; creates the thread's state on its first call;
 * takes over a guard left behind by a non-local exit (lw_guard_stale);
 * counts calls nested inside a wrapped call. NULL = don't record. */
struct lw_thread *lw_enter_slow(uintptr_t frame)
{
    if (__atomic_load_n(lw_pause_word, __ATOMIC_RELAXED))
        return NULL;
    struct lw_thread *t = lw_tls;
    if (t) {
        if (t->dead)
            return NULL;
        if (!t->guard || lw_guard_stale(t, frame)) {
            /* the abandoned wrapper may have been inside a timed slow path
             * or a switch drain: neither is running any more */
            t->slow_nest = 0;
            t->sw_draining = 0;
            t->guard = 1;
            t->guard_sp = frame;
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
            return t;
        }
        t->st.nested++;
        return NULL;
    }
    t = lw_thread_start();
    if (t)
        t->guard_sp = frame;
    return t;
}

/* lw_thread_start: state for a thread that has none yet, guard taken; NULL
 * when recording is not ready, stopped, or the state cannot be made. */
struct lw_thread *lw_thread_start(void)
{
    struct lw_thread *t;
    if (!__atomic_load_n(&lw_g.ready, __ATOMIC_ACQUIRE) || lw_g.stopped)
        return NULL;
    int saved = errno;
    if (LW_UNLIKELY(__atomic_load_n(&lw_g.reopen, __ATOMIC_ACQUIRE)) && lw_thread_reopen() != 0) {
        errno = saved;
        return NULL;
    }
    t = lw_thread_new();
    errno = saved;
    if (!t) {
        lw_tls = &lw_dead;
        return NULL;
    }
    return t; /* guard already taken */
}

/* lw_thread_inside: whether the calling thread holds its guard: it is in
 * libwait or in a wrapped call, so a signal handler running now may have
 * interrupted libwait while it held one of its locks. */
int lw_thread_inside(void)
{
    struct lw_thread *t = lw_tls;
    return t && !t->dead && t->guard;
}

/* lw_thread_abandon_after_fork: in a child forked by a signal handler that
 * interrupted this thread inside libwait (lw_thread_inside). The
 * interrupted code resumes once the handler returns and still uses its
 * state: the state stays mapped, but the chunks it writes (mappings of the
 * parent's file) are replaced by private anonymous memory, so nothing of
 * the child reaches the parent's trace; its context-switch ring (not
 * inherited) is dropped. Every later call passes straight through. */
void lw_thread_abandon_after_fork(void)
{
    struct lw_thread *t = lw_tls;
    int anon = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
    if (t && t != &lw_dead) {
        if (t->chunk)
            real_mmap(t->chunk, lw_g.chunk_size, PROT_READ | PROT_WRITE, anon, -1, 0);
        if (t->next)
            real_mmap(t->next, lw_g.chunk_size, PROT_READ | PROT_WRITE, anon, -1, 0);
        t->sw_page = NULL; /* the child has no such mapping */
    }
    lw_flight_after_fork(1);
    lw_tls = &lw_dead;
    lw_all = NULL;
    lw_spin_init(&lw_all_spin);
    if (lw_key_ok)
        pthread_setspecific(lw_key, NULL);
}

/* lw_thread_reset_after_fork: in the child, forget the inherited state
 * (its chunks map the parent's file) without touching the mappings' data. */
void lw_thread_reset_after_fork(void)
{
    struct lw_thread *t = lw_tls;
    if (t && t != &lw_dead) {
        if (t->chunk)
            real_munmap(t->chunk, lw_g.chunk_size);
        if (t->next)
            real_munmap(t->next, lw_g.chunk_size);
        lw_switch_forget(t); /* it watches the parent's thread: never drain */
        lw_stack_thread_free(t);
        real_munmap(t, sizeof *t);
    }
    lw_flight_after_fork(0);
    lw_tls = NULL;
    lw_birth_tsc = 0; /* the child's thread is its main thread: born at the fork */
    lw_birth_creator = 0;
    lw_birth_counted = 0;
    __atomic_store_n(&lw_lone.s.others, 0, __ATOMIC_RELAXED); /* the child has one thread */
    lw_all = NULL;              /* the parent's threads do not exist here; their states leak */
    lw_spin_init(&lw_all_spin); /* another thread may have held it at the fork */
    if (lw_key_ok)
        pthread_setspecific(lw_key, NULL);
}
