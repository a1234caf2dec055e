/* runtime.h: the recorder's state and the interface of its runtime
 * modules, for each other and for the wrappers (wrap/wrap.h). */
#ifndef LW_RUNTIME_H
#define LW_RUNTIME_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/types.h>
#include <time.h>
#include <linux/perf_event.h>

#include "lw_codec.h"
#include "runtime/arch.h"
#include "runtime/resolve.h"

#define LW_EXPORT      __attribute__((visibility("default")))
#define LW_LIKELY(x)   __builtin_expect(!!(x), 1)
#define LW_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define LW_TLS         __thread __attribute__((tls_model("initial-exec")))

/* Everything declared below is libwait's own: hidden, so that it is
 * reached without the GOT. */
#pragma GCC visibility push(hidden)

/* Room always kept at a chunk's end for LW_REC_CHUNK_END. */
#define LW_CHUNK_TAIL 2
/* One call record in LW_SELF_SAMPLE is timed from the end of the real call
 * (its second stamp) to its commit, stack lookup, unwinds and chunk changes
 * included; self_ticks adds that time times LW_SELF_SAMPLE: an estimate of
 * the time spent in libwait (it leaves out the few instructions before the
 * first stamp; with trylock-first it includes an uncontended trylock). */
#define LW_SELF_SAMPLE 64
/* A TIME record is written when this many ticks passed since the last one. */
#define LW_SYNC_TICKS (1ull << 24)

/* Per-thread recorder state. Allocated with mmap, never with malloc. */
struct lw_thread {
    volatile int guard;        /* 1 while inside libwait or a wrapped call */
    int dead;                  /* thread has flushed; record nothing more */
    uintptr_t guard_sp;        /* frame of the wrapper that took the guard (lw_wrap_enter);
                                  UINTPTR_MAX when libwait took it itself */
    uint32_t stream, tid, seq; /* seq: chunks used so far */
    uint8_t *cur;              /* next record goes here */
    uint8_t *limit;            /* slow path when a record could pass this */
    uint8_t *end;              /* chunk end minus LW_CHUNK_TAIL */
    uint8_t *chunk;            /* current chunk base, NULL if none */
    uint8_t *next;             /* next chunk, mapped ahead; NULL until claimed */
    uint64_t next_index;
    uint64_t chunk_index;                              /* the current chunk's index in the file */
    uint8_t *pop_end;                                  /* the current chunk is pre-faulted up to here */
    uint64_t last_tsc, last_addr, last_obj, last_sync; /* the chunk's delta state (lw_codec.h), the last clock pair */
    uint64_t lone;              /* lock calls counted, not recorded (lw_lone_ok); flushed to the header */
    struct lw_stats st;         /* local counters, flushed to the header */
    struct lw_cache *cache;     /* stack caches, see stack.c */
    int err;                    /* the program's errno, kept across recording */
    int *errp;                  /* the thread's errno (&errno), NULL until set */
    struct lw_thread *all_next; /* registry of every state, for the exit flush */
    uint64_t base_mono;         /* the current chunk's base_mono_ns */
    /* context-switch collector (switches.c); sw_page NULL when off */
    struct perf_event_mmap_page *sw_page;
    uint8_t *sw_data;
    uint64_t sw_size, sw_tail;
    int sw_draining;
    uint64_t self_t0; /* sampled record: stamp after the real call */
    uint64_t slow_t0; /* start of the outermost timed slow path */
    int slow_nest;    /* timed slow paths entered, not left */
    /* the current chunk's blocks are reserved up to here, never below
     * pop_end (writer.c); last, off the hot path's cache lines */
    uint8_t *resv_end;
};

/* Global configuration and state, set up by lw_init. */
struct lw_global {
    int ready;        /* recording may start */
    int disabled;     /* never record (AT_SECURE, bad output) */
    int stopped;      /* recording stopped after an error */
    int default_path; /* WAIT_OUTPUT unset: announce the file at exit */
    int renamed;      /* the name was taken by another process: a suffix was
                         added, announce it (not for a %p name: exec) */
    int gen;          /* the generation of the trace's name (lw_format.h) */
    uint32_t forks;   /* children forked while recording */
    int reopen;       /* fork child: 1 = open its own file at its first call, 2 = opening */
    int fd;
    uint64_t fd_dev, fd_ino; /* the trace file, to tell that fd still is it */
    uint32_t chunk_size;
    uint32_t depth;
    int switches;      /* WAIT_SWITCHES: collect context switches */
    uint64_t max_size; /* WAIT_MAX_SIZE: the flight recorder's cap, 0 = none */
    struct lw_file_header *hdr;
    char path[LW_PATH_MAX];
    uintptr_t self_lo, self_hi; /* our own text, stripped from stacks */
};

extern struct lw_global lw_g;
extern LW_TLS struct lw_thread *lw_tls;
/* Recording paused (WAIT_START=0, SIGUSR2, libwait_pause, or another
 * process through the trace header's lw_control): every wrapper passes
 * straight through. Points at lw_control.paused of the trace's header once
 * it is mapped (control.c), else at a private word. */
extern uint32_t *lw_pause_word;

/* The lone-thread rule. While a process has one thread, no other thread
 * can hold or wait for a lock it makes (a process-shared one aside), so a
 * lock call that finds its lock free, and an unlock that wakes nobody,
 * cannot wait and tell nothing about waiting: such calls are counted
 * (lw_thread.lone, the header's lone_locks) instead of recorded. What is
 * lost is the per-site count and the hold time of those locks, which no
 * other thread could feel. A lock found busy (a self-deadlock, a
 * process-shared lock held elsewhere) is recorded as always.
 *
 * others counts what may make a second thread: each pthread_create from
 * before it runs (undone when it fails or when the thread, started by
 * libwait, finishes), and for good each thread libwait did not see start.
 * all is 1 with WAIT_LOCKS=all, which records every lock call. Both are
 * read as one word, so the hot path's test is one load. A thread that
 * starts while another holds a lock taken under the rule finds that
 * lock's acquisition unrecorded: its wait is recorded, its holder's
 * acquisition is not. */
union lw_lone {
    struct {
        uint32_t others, all;
    } s;
    uint64_t word;
    uint8_t line[64]; /* a cache line of its own (thread.c aligns it) */
};
extern union lw_lone lw_lone;
static inline int lw_lone_ok(void) { return __atomic_load_n(&lw_lone.word, __ATOMIC_RELAXED) == 0; }

/* own_fds.c: libwait's own fds (the trace file, libunwind's pipe) sit high
 * up, out of the program's way (lw_fd_high: -1 when they cannot, and then
 * the fd is closed); close, closefrom and close_range leave them open. lw_own_window is set while this thread runs
 * libunwind or the loader for libwait: a pipe made then is libunwind's. */
extern LW_TLS int lw_own_window;
int lw_fd_high(int fd, int cloexec);
long lw_fd_limit(void);
void lw_fd_release_all(void);
int lw_fd_is_own(int fd);
void lw_fd_forget(int fd);
int lw_fd_still_ours(void);

/* init.c */
void lw_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t lw_mono_ns(void);

/* thread.c */
struct lw_thread *lw_enter_slow(uintptr_t frame);
struct lw_thread *lw_thread_start(void);
void lw_thread_reset_after_fork(void);
int lw_thread_inside(void);
void lw_thread_abandon_after_fork(void);
void lw_thread_flush_stats(struct lw_thread *t);
void lw_thread_init_key(void);
void lw_thread_exit_current(void);
void lw_thread_flush_all(void);
void lw_thread_named(struct lw_thread *t);

/* thread.c: the calling thread's birth stamp and creator's tid, set by
 * libwait's start routine (wrap/thread_create.c) before the thread has a
 * state; its start record carries them (LW_THR_BORN). */
extern LW_TLS uint64_t lw_birth_tsc;
extern LW_TLS uint32_t lw_birth_creator;
/* 1 in a thread that pthread_create counted in lw_lone.s.others and that
 * libwait's start routine began: its finish takes it off again. */
extern LW_TLS int lw_birth_counted;

/* fdid.c: FDID records for fds just made (t's guard taken). lw_fdid_note:
 * one fd of the given LW_FD_* type; lw_fdid_pair: both ends of a pipe or
 * socketpair; lw_fdid_inherited: fds 0 to 2 when they are pipes or
 * sockets (the main thread's start). Each keeps errno. */
void lw_fdid_note(struct lw_thread *t, int fd, unsigned type);
void lw_fdid_pair(struct lw_thread *t, const int fds[2], unsigned type);
/* lw_epctl_note: the EPCTL record of an epoll_ctl that succeeded (t's
 * guard taken; keeps errno). */
void lw_epctl_note(struct lw_thread *t, int epfd, int op, int fd, uint64_t data);
void lw_fdid_inherited(struct lw_thread *t);
/* wrap/fd_pairs.c: the identities of a pipe the program just made with
 * pipe2 (own_fds.c), recorded when this call may record. */
void lw_pipe_made(const int fds[2]);

/* writer.c */
int lw_writer_open(void);
int lw_writer_advance(struct lw_thread *t, size_t need);
int lw_writer_first_chunk(struct lw_thread *t);
void lw_writer_release(struct lw_thread *t);
int lw_writer_meta(struct lw_thread *t, unsigned kind, const uint8_t *body, size_t len);
void lw_writer_sync(struct lw_thread *t);
void lw_writer_close(void);
int lw_writer_parent_traced(void);
int lw_end_image(int exec);
void lw_writer_stop(const char *why, int err);
int lw_writer_room(struct lw_thread *t, uint64_t t1);

/* flight.c: the flight recorder (WAIT_MAX_SIZE); every function is for
 * the slow path of a chunk change or a meta record. */
extern struct lw_thread lw_meta;
uint32_t lw_flight_chunk_for(uint64_t max);
int lw_flight_open(struct lw_file_header *h);
int lw_flight_on(void);
int64_t lw_flight_take(struct lw_thread *t, int *reused);
int lw_flight_reuse(uint8_t *c, uint64_t i);
void lw_flight_leave(struct lw_thread *t, uint8_t *c, uint64_t i);
int lw_flight_meta(struct lw_thread *t, unsigned kind, const uint8_t *body, size_t len);
void lw_flight_after_fork(int abandon);

/* stack.c */
uint32_t lw_stack_id(struct lw_thread *t);
void lw_stack_init(void);
void lw_stack_thread_free(struct lw_thread *t);
int lw_stack_on_own(const struct lw_thread *t, uintptr_t addr);

/* stack_table.c */
void lw_stack_lock(void);
void lw_stack_unlock(void);
void lw_stack_reset_after_fork(void);
uint32_t lw_stack_forget_range(uintptr_t lo, uintptr_t hi);

/* stack_walk.c */
void lw_stack_code_unloaded(void);

/* sigmask.c */
int lw_signals_hold(void);
void lw_signals_release(void);

/* gate.c */
void lw_gate_enter(void);
void lw_gate_leave(void);
void lw_gate_close(void);
void lw_gate_open(int child);

/* switches.c */
void lw_switch_open(struct lw_thread *t);
void lw_switch_drain(struct lw_thread *t);
void lw_switch_close(struct lw_thread *t);
void lw_switch_forget(struct lw_thread *t);

/* control.c */
void lw_control_init(void);
void lw_control_attach(struct lw_file_header *h);
void lw_control_detach(void);
void lw_control_flush(struct lw_thread *t);

/* modules.c */
void lw_modules_emit(struct lw_thread *t, int force);
void lw_modules_self_range(void);
void lw_modules_reset_after_fork(void);
void lw_modules_unloaded(unsigned long long subs);

/* lw_slow_begin/lw_slow_end: time a slow path (unwind, chunk change,
 * switch drain) exactly into self_ticks, the outermost one only; the record
 * in progress then leaves the sample (its fast part is not counted). */
static inline void lw_slow_begin(struct lw_thread *t)
{
    if (t->slow_nest++ == 0)
        t->slow_t0 = lw_rdtsc();
}

static inline void lw_slow_end(struct lw_thread *t)
{
    if (--t->slow_nest == 0) {
        t->st.self_ticks += lw_rdtsc() - t->slow_t0;
        t->self_t0 = 0;
    }
}

/* lw_switch_due: whether t's context-switch ring is past half full and
 * due to be drained into its stream (one load on the hot path). */
static inline int lw_switch_due(const struct lw_thread *t)
{
    return t->sw_page && __atomic_load_n(&t->sw_page->data_head, __ATOMIC_RELAXED) - t->sw_tail > t->sw_size / 2;
}

#pragma GCC visibility pop

#endif
