/* model.h: a trace aggregated into sites (wrapped function, stack),
 * threads, stacks and modules, with stamps converted to nanoseconds. */
#ifndef WR_MODEL_H
#define WR_MODEL_H

#include <uthash.h>

#include "model/hist.h"
#include "trace/reader.h"
#include "trace/symbols.h"

struct wr_site {
    UT_hash_handle hh;
    uint64_t key; /* stack << 8 | func */
    unsigned func;
    uint32_t stack;
    uint64_t calls, total_ticks, max_ticks, bytes, errors;
    uint64_t min_ticks; /* the shortest call's (UINT64_MAX before the first) */
    /* from context switches (when the trace has them), in ns */
    uint64_t blocked_ns, runnable_ns, switches;
    uint64_t fast_calls, fast_ticks, slow_calls, slow_ticks; /* no switch / switched */
    /* lock family (locks.c): contended calls; holds started by this site
     * (lock return to the matching unlock); the wait of this site charged to
     * the sites holding the mutex meanwhile, largest first */
    uint64_t contended, holds, hold_ns, hold_max_ns, blamed_ns;
    struct wr_blame *holders;
    size_t nholders, capholders;
    /* malloc family (heap.c): successful allocations and their bytes; this
     * site's own live bytes, their peak; still live at the end of the trace */
    uint64_t allocs, alloc_bytes, live_bytes, peak_bytes, leaked, leaked_bytes;
    uint64_t asked_ns;         /* sleep family: the time the calls asked for */
    uint64_t gap_ticks;        /* the time its threads ran outside any call up to its calls */
    struct wr_hist hist;       /* call durations in ns */
    int hidden;                /* made by threads the filter leaves out: kept for the lock and heap
                                  analyses, which are the process's, but in no table (key bit 63) */
    struct wr_site_th *per_th; /* each thread's part, by thread index (wr_build.per_thread) */
    size_t nper, capper, lastper;
    /* wakers.c: who ended this site's waits and what they waited for,
     * largest first after the build (at most WR_WAKE_MAX each) */
    struct wr_wake *wakers, *causes;
    size_t nwakers, ncauses;
    /* the critical path (wr_path_sums): the thread index + 1 of its calls,
     * UINT32_MAX once two threads made them; its place among its thread's sites */
    uint32_t path_owner, path_seq;
};

/* wr_wake: one waker or one cause of a site's waits (analyses/wakers.c,
 * doc/wakers.md). func is a wrapped call, or 0 with label naming what it
 * was ("cpu", "exit", "timeout", "sleep", "outside", "cycle", "unknown");
 * stack is 0 when label names no code. calls: waits it ended (wakers);
 * ns: the wait time it ended (wakers) or that is charged to it (causes). */
#define WR_WAKE_MAX 64 /* wakers or causes kept per site: the rest are summed in "other" */
struct wr_wake {
    uint32_t tid, stack;
    unsigned func;
    const char *label;
    uint64_t calls, ns;
};

/* wr_wake_loop: two threads whose waits were each ended by the other's
 * release (an unlock, signal, post or write: a token handed back and
 * forth): their waits on each other, in ns and count (wakers.c). */
struct wr_wake_loop {
    uint32_t tid[2];
    uint64_t ns, waits;
};

/* wr_wait_edge: the waits of thread index waiter that a call (or the end)
 * of thread index waker ended, summed (wakers.c): the edges of the HTML
 * page's wait-for graph. A uthash keyed by waiter << 32 | waker. */
struct wr_wait_edge {
    UT_hash_handle hh;
    uint64_t key, ns, waits;
};

/* wr_wake_link: one wait [a, b] of thread index th ended by a call of
 * thread index wth at stamp k, kept when the build asks (wr_build.wake_links)
 * for the Chrome trace's flow arrows. func 0: wth's end ended a join. */
#define WR_WAKE_LINKS_MAX (1u << 21) /* 80 MiB of links; a Chrome trace shows fewer events */
struct wr_wake_link {
    uint64_t a, b, k;
    uint32_t th, wth;
    unsigned func;
};

/* wr_crit: the critical path (analyses/wakers_path.c, doc/wakers.md),
 * computed when an output asks for it (wr_crit_path, analyses.h): of
 * the life of thread tid (the main thread, or the first one a filter
 * keeps), or, with mark set, of the intervals from each mark of that name
 * to the next mark of its thread (or the thread's end). path: entries by
 * (tid, function, stack), largest first, at most WR_WAKE_MAX (the last one
 * summing the rest as "other"), their ns summing to ns; threads: how many
 * threads the path passed through; by_thread: the path's ns by thread, the
 * WR_CRIT_THREADS largest, largest first (tid 0: time no thread explains). */
#define WR_CRIT_THREADS 8
struct wr_crit_in;
struct wr_crit {
    uint32_t tid;
    const char *mark;
    size_t intervals, threads;
    uint64_t ns;
    struct wr_wake *path;
    size_t n;
    struct {
        uint32_t tid;
        uint64_t ns;
    } by_thread[WR_CRIT_THREADS];
    size_t nby;
    struct wr_crit_in *in; /* what the walk needs, kept by the waker analysis until the path is made */
    int done;              /* 2: path, by_thread and threads are filled (wr_crit_path) */
};

/* wr_site_th: the calls of one thread at one site. */
struct wr_site_th {
    uint32_t th; /* index into wr_model.threads */
    uint64_t calls, ticks, bytes, blocked_ns, runnable_ns;
};

/* wr_blame: wait time of one site charged to one other site. */
struct wr_blame {
    struct wr_site *site;
    uint64_t ns, count; /* overlapping wait, number of waits touched */
};

/* wr_mutex_site: one site's part in one mutex. For held_by: holds, hold ns,
 * longest hold, and the wait it caused others (blame_ns); for waited_by:
 * contended calls and their ns (max_ns: longest). */
struct wr_mutex_site {
    struct wr_site *site;
    uint64_t count, ns, max_ns, blame_ns;
};

struct wr_hold {
    uint64_t start, end; /* TSC: lock return, unlock call */
    struct wr_site *site;
    uint32_t stream;
};

/* what kind of lock a wr_mutex is, from the calls that took it */
enum wr_lock_kind { WR_LK_MUTEX, WR_LK_RWLOCK, WR_LK_SPIN };

/* wr_mutex: one lock address (locks.c): a mutex, rwlock or spinlock. */
struct wr_mutex {
    UT_hash_handle hh;
    uint64_t addr;
    uint8_t kind; /* enum wr_lock_kind */
    uint64_t locks, holds, hold_ns, hold_max_ns, contended, wait_ns, blamed_ns;
    struct wr_mutex_site *held_by, *waited_by; /* sorted by ns, descending, after the build */
    size_t nheld, capheld, nwaited, capwaited;
    /* analysis state: the last closed holds (ring, grows on demand) and the open one */
    struct wr_hold *ring;
    uint32_t rhead, rn, rcap;
    struct wr_hold open;
    int is_open;
};

/* Process heap (heap.c); times in ns since the trace started. */
struct wr_heap {
    uint64_t live_bytes, live_count, peak_bytes, peak_ns, peak_count;
    uint64_t leaked, leaked_bytes; /* live at the end of the trace */
    uint64_t foreign_frees;        /* frees of pointers not allocated in the trace */
};

struct wr_pair {
    uint64_t tsc, ns;
    double rate; /* ns per tick from the previous pair to this one; 0 = none */
};
/* wr_mono_at: the segment of the clock pairs a conversion found last
 * (wr_cpu_mono_at). */
struct wr_mono_at {
    size_t seg;                 /* the first pair after the stamp */
    uint64_t a_tsc, span, a_ns; /* wr_cpu_mono of tsc in [a_tsc, a_tsc + span) */
    double rate;                /* is a_ns + (tsc - a_tsc) * rate, never saturated */
};
struct wr_switch {
    uint64_t ns;
    uint32_t flags;
};
struct wr_offcpu {
    uint64_t start, end;
    int preempt;
};

/* A control record: a libwait_mark name, or recording paused/resumed. */
struct wr_mark {
    uint64_t tsc, t_ns; /* stamp; ns since the process started */
    uint32_t tid;
    unsigned kind, source; /* LW_REC_MARK/PAUSE/RESUME; LW_CTL_* */
    char name[LW_MARK_MAX + 1];
};

struct wr_stackdef {
    UT_hash_handle hh;
    uint32_t id, depth;
    uint64_t frames[];
};

struct wr_module {
    char *path;
    uint64_t base;
    uint8_t build_id[64];
    size_t build_id_len;
    uint64_t ranges[64][2];
    size_t nranges;
    uint32_t first_stack; /* its code is in stacks from this id on (lw_format.h) */
};

/* wr_path_sums: what the critical path needs to charge a thread's calls
 * from its sites' sums instead of reading them again (analyses/
 * wakers_path.c): its first call's start, the part of that call's site's
 * gap_ticks from before it (from its birth), how many sites it was the
 * first to call (their path_seq), and bad: the sums cannot say what a
 * reading would (a call without a stamp or that began before the one
 * before it ended, a site shared with another thread, or a site whose
 * first call had no duration or no time before it). */
struct wr_path_sums {
    uint64_t first_cs, first_gap;
    uint32_t own, seq; /* own: its index + 1, as wr_site.path_owner names it */
    int bad;
};

/* wr_path_sites: every site called by one thread alone, by thread and by
 * the order its thread first called them (path_owner, path_seq); *n of
 * them, in an array the caller frees. NULL when none or out of memory.
 * wr_path_sites_share_stack: whether two of the n sites a are at one stack
 * (1 on out of memory too: the caller cannot rely on them). */
struct wr_model;
struct wr_site **wr_path_sites(const struct wr_model *m, size_t *n);
int wr_path_sites_share_stack(struct wr_site *const *a, size_t n);

struct wr_thread {
    uint32_t stream, tid;
    char name[17];
    uint64_t first_tsc, last_tsc; /* first and last stamps seen */
    uint64_t calls;
    struct wr_switch *sw; /* sorted by time */
    size_t nsw, capsw;
    struct wr_offcpu *off;                     /* off-CPU intervals, sorted */
    size_t noff, cursor;                       /* cursor: last interval looked at */
    uint64_t life_ns, blocked_ns, runnable_ns; /* over its life (within the window) */
    uint64_t in_blocked_ns, in_runnable_ns;    /* inside wrapped calls */
    uint64_t call_ticks;                       /* the durations of its calls, summed */
    uint64_t call_end;                         /* the latest end of its calls so far */
    uint32_t last_stack;                       /* the stack of its last call (as charged) */
    uint64_t free_lo, free_hi;                 /* calls within these stamps have no off-CPU time
                                                  (wr_cpu_free_range; empty, lo > hi, when not known) */
    unsigned free_tries;                       /* calls found free the long way since then */
    uint64_t minflt, majflt;                   /* page faults of its life (its end record) */
    int faults;                                /* minflt and majflt are known */
    int kept;                                  /* its calls are counted: no filter, or it passes it */
    struct wr_path_sums path;
};

/* wr_site_th_find: where thread index ti is or would go in s->per_th
 * (sorted by th): the first entry whose th is not below ti. */
size_t wr_site_th_find(const struct wr_site *s, uint32_t ti);

/* wr_filter: the threads a report counts (--tid, --thread). A thread is
 * kept when it passes every list given: its tid is one of tids, its name
 * (as the report shows it, "?" when unnamed) matches one of the fnmatch(3)
 * globs of names. */
struct wr_filter {
    const uint32_t *tids;
    size_t ntids;
    const char *const *names;
    size_t nnames;
};

/* wr_window: the time window a report counts (--since, --until): a call
 * counts when it ended at or after since and before until. Each bound is in
 * ns from the start of the trace (when libwait started in the process),
 * or from its end when its *_end flag is set (--since -10: the last 10 s);
 * a bound not given is the trace's start or end. */
struct wr_window {
    uint64_t since_ns, until_ns;
    int has_since, has_until;
    int since_end, until_end; /* the bound counts back from the end */
};

/* wr_build: how a model is built (wr_model_build_with); zero is the default. */
struct wr_build {
    const struct wr_filter *filter; /* NULL or empty: every thread */
    const struct wr_window *window; /* NULL or no bound: the whole trace */
    int merge_line;                 /* merge the sites whose stacks show the same frames
                                       (function, file:line, inlined) at other addresses */
    int per_thread;                 /* fill wr_site.per_th */
    int wake_links;                 /* keep every woken wait (wr_model.wake_links) */
    struct wr_symlib *lib;          /* module files to symbolize through (also for
                                       merge_line), or NULL: the model's own */
    const char *crit_mark;          /* the critical path of the intervals that start at the
                                       marks of this name, or NULL: of a thread (wr_crit) */
};

/* wr_stackmap: a stack id and the stack whose site its calls are charged to. */
struct wr_stackmap {
    UT_hash_handle hh;
    uint32_t from, to;
};

#define WR_SITE_CACHE 1024 /* a power of two */
#define WR_TICK_TAB   1024 /* call durations below this many ticks are converted by table */

struct wr_model {
    struct wr_trace *trace;
    struct wr_site *sites;   /* hash by key */
    struct wr_site **sorted; /* by total time, descending */
    size_t nsites;
    struct wr_stackdef *stacks; /* hash by id */
    struct wr_module *mods;
    size_t nmods, capmods;
    struct wr_thread *threads; /* one per stream, in stream order */
    size_t nthreads;
    uint64_t calls, records, dropped_records; /* calls: those counted (of kept threads) */
    uint64_t calls_read;                      /* every call decoded, kept or not */
    const struct wr_filter *filter;           /* NULL: no filter */
    const struct wr_window *window;           /* NULL: no --since/--until */
    uint64_t win_lo, win_hi;                  /* TSC: a call counts when its end is in [lo, hi) (window.c) */
    uint64_t win_start_ns, win_end_ns;        /* the window as shown: ns since the start, within the trace */
    uint64_t span_ns;                         /* the trace's length the window was resolved against */
    int win_empty;                            /* the window lies outside the trace */
    size_t kept_threads;                      /* threads the filter kept */
    int merge_line;                           /* sites merged by file:line (wr_build) */
    size_t stacks_merged;                     /* stacks charged to another stack's sites */
    struct wr_stackmap *stackmap;             /* hash by from: stacks merged into another */
    int per_thread;
    /* the bytes of the records read (kind, length and body): call records,
     * stack records, and the rest (threads, clock pairs, switches, load map,
     * marks); the trace file's other bytes are headers and unused chunk space */
    uint64_t call_bytes, stack_bytes, other_bytes;
    uint64_t pair_lo[2], pair_hi[2]; /* (tsc, mono ns) at the lowest/highest tsc */
    double ns_per_tick;
    int rate_estimated; /* no two clock pairs far enough apart */
    uint64_t first_tsc, last_tsc;
    uint64_t wall_ns;
    struct wr_symbols *sym;   /* created on first use */
    struct wr_symlib *symlib; /* module files shared with other models (set after
                                 wr_model_build, before sym is made), or NULL: its own */
    struct wr_pair *pairs;    /* every clock pair, sorted by tsc */
    size_t npairs, cappairs;
    struct wr_mono_at mono; /* where wr_cpu_mono found its last stamp */
    int have_switches;      /* the wait/CPU split is measured */
    struct wr_mark *marks;  /* by stamp (marks.c) */
    size_t nmarks, capmarks;
    uint64_t switches, switches_lost;
    struct wr_mutex *mutexes;       /* hash by address */
    struct wr_mutex **mutex_sorted; /* by wait caused, then hold time, descending */
    size_t nmutexes;
    struct wr_heap heap;
    uint64_t unmatched_unlocks, untracked_holds, unattributed_wait_ns;
    /* wakers.c: waits whose waker was found in the process; cause chains
     * stopped by a cycle, and by the depth or work bound */
    uint64_t woken_waits, wake_cycles, wake_cut;
    struct wr_wake_loop *wake_loops; /* largest first */
    size_t nwake_loops;
    struct wr_wait_edge *wait_edges;   /* hash by key */
    struct wr_wake_link *wake_links;   /* in the order the waits were matched, when keep_wake_links */
    size_t nwake_links, capwake_links; /* at most WR_WAKE_LINKS_MAX */
    uint64_t wake_links_lost;          /* woken waits past that bound */
    int keep_wake_links;
    struct wr_crit crit; /* crit.mark: wr_build.crit_mark, set before the walk */
    /* walk state */
    size_t cur_thread;                         /* wr_model_thread's last answer, tried first */
    struct wr_site *site_cache[WR_SITE_CACHE]; /* sites by a hash of key: hits skip the uthash lookup */
    uint64_t last_switches;                    /* and its switches out (0 without the split) */
    uint64_t tick_ns[WR_TICK_TAB];             /* wr_model_ns of each short duration */
    uint16_t tick_bucket[WR_TICK_TAB];         /* and its histogram bucket (wr_cpu_tick_table) */
};

/* wr_model_build: aggregate trace t (already open). 0, or -1 on out of
 * memory. Damage in t is warned about by the reader and skipped. */
int wr_model_build(struct wr_model *m, struct wr_trace *t);

/* wr_model_build_with: the same as b asks (NULL: the default). A filter
 * leaves the other threads' calls out of m->sorted, m->calls and the
 * threads shown (wr_thread.kept), not out of the lock and heap analyses:
 * a kept thread's wait is still blamed on a holder in another thread, and a
 * block another thread frees is not leaked. merge_line symbolizes every
 * stack once the trace is read and, when two stacks show the same frames,
 * reads the trace again charging the calls of each to the one with the
 * lowest id: twice the time, only then. b and its filter must outlive m. */
int wr_model_build_with(struct wr_model *m, struct wr_trace *t, const struct wr_build *b);

/* wr_model_in_window: whether call ev ended in m's window (every call,
 * without one). Exports that walk the trace again count the same calls. */
static inline int wr_model_in_window(const struct wr_model *m, const struct wr_event *ev)
{
    uint64_t end = ev->tsc + ev->dur;
    return end >= m->win_lo && end < m->win_hi;
}

/* window.c: wr_window_resolve sets m's window (win_*) from m->window, once
 * the clock rate is known and before the calls are counted; the trace's
 * end is the header's after a clean exit, else the latest stamp of each
 * thread's last chunk. wr_window_text: "0.250 s to 0.500 s" (the window as
 * resolved) into buf. wr_window_arg: the window as asked ("--since -0.2"). */
void wr_window_resolve(struct wr_model *m);
/* wr_window_clip: [*a, *b) (CLOCK_MONOTONIC ns) cut to the window (empty: *b = *a). */
void wr_window_clip(struct wr_model *m, uint64_t *a, uint64_t *b);
const char *wr_window_text(const struct wr_model *m, char *buf, size_t cap);
const char *wr_window_arg(const struct wr_window *w, char *buf, size_t cap);
/* wr_window_missed: 1 after a message naming the trace when m's window
 * lies outside it (no call can count), else 0. A report fails when it
 * misses every trace, and shows the others. */
int wr_window_missed(const struct wr_model *m);

/* wr_filter_text: the filter as "tid 12,13; thread 'worker*'" into buf. */
const char *wr_filter_text(const struct wr_filter *f, char *buf, size_t cap);

/* wr_model_meta: add a STACK or MODULE record (others ignored); a
 * malformed one is warned about and skipped (meta.c). 0, or -1 on out of
 * memory. */
int wr_model_meta(struct wr_model *m, const struct wr_event *ev);

/* wr_thread_name: the name a THREAD record ev gives its thread into name,
 * as recorded (control bytes included; the last record's wins: names
 * change). The name's length in bytes plus 1 (it may hold NULs), or 0 for
 * a malformed record (name untouched). */
size_t wr_thread_name(const struct wr_event *ev, char name[17]);

/* wr_name_printable: the n bytes of a name a trace gave (a thread's, a
 * mark's) with each control byte (NUL included) made '?', for a view that
 * shows them as they are (a terminal); JSON and HTML escape them instead. */
void wr_name_printable(char *s, size_t n);

/* wr_model_ns: ticks in ns, saturated to [0, 2^64) (hostile rates). */
static inline uint64_t wr_model_ns(const struct wr_model *m, uint64_t ticks)
{
    double v = (double)ticks * m->ns_per_tick;
    return !(v > 0) ? 0 : v >= 1.8e19 ? UINT64_MAX : (uint64_t)v;
}

/* wr_call_bytes: the bytes call ev of function fi counts for (README
 * "JSON", a site's bytes): the size asked of a sized allocation (failed
 * ones too), the bytes moved by an I/O call that succeeded, the bytes
 * mapped by a successful mmap, mremap (the new size) or munmap; else 0.
 * The model sums it per site, and exports that split a site use it too.
 * wr_call_bytes_as: the same by the function's schema (a constant where the
 * walk expands a schema alone). */
static inline __attribute__((always_inline)) uint64_t wr_call_bytes_as(unsigned schema, const struct wr_event *ev)
{
    switch (schema) {
    case LW_S_ALLOC:
    case LW_S_REALLOC:
    case LW_S_MEMALIGN:
        return ev->size;
    case LW_S_IO:
        return ev->ret > 0 ? (uint64_t)ev->ret : 0;
    case LW_S_MMAP:
    case LW_S_MREMAP:
        return ev->err ? 0 : ev->size;
    }
    return 0;
}

static inline uint64_t wr_call_bytes(const struct lw_func_info *fi, const struct wr_event *ev)
{
    return wr_call_bytes_as(fi->schema, ev);
}

/* wr_model_frames: the symbolized frames of stack id, caller first,
 * inlined frames expanded; at most max. 0 for an unknown stack. */
size_t wr_model_frames(struct wr_model *m, uint32_t stack, struct wr_frame *out, size_t max);

/* wr_model_thread: the thread of a stream id, or NULL. */
struct wr_thread *wr_model_thread(struct wr_model *m, uint32_t stream);

/* clock.c: wr_cpu_prepare collects switches and clock pairs (first pass);
 * wr_cpu_mono maps a TSC stamp to CLOCK_MONOTONIC ns; wr_cpu_split gives
 * the blocked and runnable ns and the switches of th within [s, e). */
int wr_cpu_prepare(struct wr_model *m);
uint64_t wr_cpu_mono_seek(const struct wr_model *m, struct wr_mono_at *at, uint64_t tsc);

/* wr_cpu_sat_i64: x as int64, saturated (NaN gives 0): a hostile trace can
 * make any clock rate, and an out-of-range conversion is undefined behaviour. */
static inline int64_t wr_cpu_sat_i64(double x)
{
    if (!(x == x))
        return 0;
    if (x >= 9.2e18)
        return INT64_MAX;
    if (x <= -9.2e18)
        return INT64_MIN;
    return (int64_t)x;
}

/* wr_cpu_mono_at: tsc in CLOCK_MONOTONIC ns. Inline for a stamp in the
 * range of the segment at found last (stamps come mostly in order), where
 * the saturation cannot apply (wr_cpu_mono_seek sets it); wr_cpu_mono_seek
 * else. The value is a function of tsc alone, whatever at holds.
 * wr_cpu_mono: the same through the model's own m->mono; a reader of
 * stamps in another order than the walk's (the wakers, behind it by up
 * to their lag) keeps its own at, so the two do not keep moving one. */
static inline uint64_t wr_cpu_mono_at(const struct wr_model *m, struct wr_mono_at *at, uint64_t tsc)
{
    uint64_t d = tsc - at->a_tsc;
    if (d < at->span)
        return at->a_ns + (uint64_t)(int64_t)((double)(int64_t)d * at->rate);
    return wr_cpu_mono_seek(m, at, tsc);
}
static inline uint64_t wr_cpu_mono(struct wr_model *m, uint64_t tsc) { return wr_cpu_mono_at(m, &m->mono, tsc); }
/* wr_cpu_split_from: wr_cpu_split starting its search at *cursor (an
 * interval index, updated), which th->cursor is for wr_cpu_split: as with
 * wr_cpu_mono_at, a reader out of the walk's order keeps its own. */
void wr_cpu_split_from(const struct wr_thread *th, size_t *cursor, uint64_t s, uint64_t e, uint64_t *blocked,
                       uint64_t *runnable, uint64_t *switches);
static inline void wr_cpu_split(struct wr_thread *th, uint64_t s, uint64_t e, uint64_t *blocked, uint64_t *runnable,
                                uint64_t *switches)
{
    size_t c = th->cursor;
    wr_cpu_split_from(th, &th->cursor, s, e, blocked, runnable, switches);
    if (th->cursor != c) /* the free range was learned at the cursor: it is dropped with it */
        th->free_lo = 1, th->free_hi = 0;
}
/* wr_cpu_free_range: for a call of th at tsc that has no off-CPU time,
 * the stamps around it between which every call has none either, while
 * th's cursor stays: [th->free_lo, th->free_hi] (empty, lo > hi, when none
 * can be said, and again once the cursor moves), so such calls skip the
 * conversions. */
void wr_cpu_free_range(struct wr_model *m, struct wr_thread *th, uint64_t tsc);
void wr_cpu_free(struct wr_model *m);
/* wr_cpu_tick_table: m->tick_ns and tick_bucket, once ns_per_tick is set. */
void wr_cpu_tick_table(struct wr_model *m);

/* wr_model_cpu_ns: on-CPU ns of a span of total ns with the given off-CPU
 * time (never below 0: the intervals are clipped to the span, rounding is not). */
static inline uint64_t wr_model_cpu_ns(uint64_t total, uint64_t blocked, uint64_t runnable)
{
    return total > blocked + runnable ? total - blocked - runnable : 0;
}

/* Above this share of the threads' time spent inside libwait, the reports
 * warn at their top that the run's timings are distorted. */
#define WR_DISTORT_SHARE 0.25

/* wr_distortion: libwait's own time against the time it was taken from.
 * The recorder keeps one total for the process (lw_stats.self_ticks, summed
 * by the threads as they flush), so the figure is the process's, not any
 * one thread's. */
struct wr_distortion {
    uint64_t self_ns;   /* libwait's own time, as the recorder estimated it */
    uint64_t thread_ns; /* the threads' traced lives, summed */
    double share;       /* self_ns / thread_ns, at most 1; 0 without thread time */
    int distorted;      /* 1: share > WR_DISTORT_SHARE; 0: not; -1: unknown (see
                           wr_model_distortion) */
};

/* wr_outside: a thread's time outside any recorded call: its life less
 * its calls' durations, split by the context switches into blocked and
 * runnable time, the rest on a CPU (split 0 without switches). */
struct wr_outside {
    uint64_t ns, cpu_ns, blocked_ns, runnable_ns;
    int split;
};
void wr_thread_outside(const struct wr_model *m, const struct wr_thread *t, struct wr_outside *o);

/* wr_thread_life_ns: t's life in ns (life_ns with switches, else its
 * first to its last stamp). */
uint64_t wr_thread_life_ns(const struct wr_model *m, const struct wr_thread *t);

/* wr_model_distortion: how much of the threads' time libwait took in m. */
void wr_model_distortion(const struct wr_model *m, struct wr_distortion *d);

/* wr_model_family: the family name of function id f. */
const char *wr_model_family(unsigned f);

void wr_model_free(struct wr_model *m);

/* wr_mutex_waited: whether a thread waited on mu: a call found it taken
 * (contended), or a wait was blamed on its holds. The lock lists of the
 * text and HTML reports show only these unless asked for every lock. */
static inline int wr_mutex_waited(const struct wr_mutex *mu) { return mu->contended || mu->blamed_ns; }

/* wr_lock_kind_name: "mutex", "rwlock" or "spinlock". Never fails. */
static inline const char *wr_lock_kind_name(const struct wr_mutex *mu)
{
    return mu->kind == WR_LK_RWLOCK ? "rwlock" : mu->kind == WR_LK_SPIN ? "spinlock" : "mutex";
}

#endif
