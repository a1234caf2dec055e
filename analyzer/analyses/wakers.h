/* wakers.h: the state the waker analysis (wakers.c) shares with the
 * causes it hands each wait on to (wakers_causes.c); doc/wakers.md. */
#ifndef WR_WAKERS_H
#define WR_WAKERS_H

#include "analyses/analyses.h"

#define WK_RING     1024    /* calls kept per thread for the causes, at least */
#define WK_RING_MAX 65536   /* and at most, */
#define WK_SEGS     1048576 /* while all threads together keep no more than this */
#define WK_RELS     16      /* releases kept per object */
#define WK_DEPTH    64      /* threads a cause chain may pass through */
#define WK_BUDGET   4096    /* calls one wait's causes may visit */

/* wr_wk_seg: one recorded call of a thread, with its waker once matched
 * (wth < 0: none; wfunc 0: the end of a joined thread). */
struct wr_wk_seg {
    uint64_t s, e, wk;
    uint32_t stack, wstack;
    int32_t wth;
    uint16_t func, wfunc;
    uint8_t pend, consume; /* a wait in the pending heap; it takes a signal or post for itself */
};

/* wr_wk_newest: the call j calls before thread t's newest one (j < t->n).
 * A ring's size is a power of two (WK_RING, doubled), so the index is a
 * mask, not a division: the causes look calls up by bisection. */
#define wr_wk_newest(t, j) (&(t)->ring[((t)->head + (t)->cap - 1 - (j)) & ((t)->cap - 1)])

/* wr_wk_jump: a wait [s, e] of a thread that thread index wth ended at
 * stamp k (its call at wstack; wfunc 0: its end): a step of the critical
 * path from the waiter back to its waker (wakers_path.c). */
struct wr_wk_jump {
    uint64_t s, e, k;
    uint32_t wth, wstack;
    uint16_t wfunc;
};

/* A thread's ring of calls starts at WK_RING slots and doubles, up to
 * WK_RING_MAX, each time it is full and its oldest call is in slot 0
 * (so every slot keeps its index, which pending waits refer to), while
 * the rings of all threads hold fewer than WK_SEGS: a join of a thread
 * that made thousands of calls is then explained by all of them, not
 * only its last 1,024. */
struct wr_wk_thread {
    struct wr_wk_seg *ring;
    uint32_t cap, head, n; /* head: the next slot written */
    int unordered;         /* a call started before the one kept before it (a damaged trace) */
    uint64_t self, birth, end;
    uint32_t creator; /* the tid whose pthread_create made it (born only; 0: none) */
    int born, ended;
    struct wr_wk_jump *jumps; /* every wait of it another thread ended, in the order matched */
    size_t njumps, capjumps;
    size_t cpu_cursor; /* the causes' wr_cpu_split_from cursor in its model thread's intervals */
};

/* wr_wk_wait: a wait not final yet. A release inside it may come later in
 * the walk (a condvar wait comes at its start; the walk orders writes by
 * their return, and a writer can be preempted before it returns): each
 * release offers itself to the pending waits of its object, and a wait is
 * final once the walk passes its deadline b (its end), or when its thread
 * is about to forget it, or at the end. A read or poll (lag not 0) that
 * has no waker at its end gets lag / 100 more, then lag (WK_LAG_NS) in
 * all, for the writes: a writer preempted for longer than that between
 * its write and its return is missed, and the wait is then labelled, not
 * woken. One that has a waker at one of these deadlines is final there,
 * while its waker's thread still keeps the calls that explain it (a fast
 * ping-pong makes a thousand calls in WK_LAG_NS); a later write inside it
 * from a writer preempted past that deadline is then missed, and the
 * earlier one stays its waker. */
struct wr_wk_wait {
    uint64_t b, k, self;
    size_t th;
    uint32_t slot;
    int consume, barrier; /* barrier: a barrier wait, k its object (wakers_barrier.c) */
    const char *label;
    struct wr_site *site;
    uint64_t lag;
    int deferred; /* put off once already for its waker's own pending wait (wr_wk_waker_pending) */
};

#define WK_LAG_NS 10000000.0

/* wr_wk_hent: a pending wait in the heap: its deadline, and its slot in
 * the pool. */
struct wr_wk_hent {
    uint64_t b;
    uint32_t slot;
};

struct wr_wk_rel {
    uint64_t k;
    uint32_t th, stack;
    uint16_t func;
    uint8_t used;
};

struct wr_wk_obj {
    UT_hash_handle hh;
    uint64_t key;
    struct wr_wk_rel rel[WK_RELS];
    struct {
        uint64_t s; /* the wait's start: the call in the slot may be another one since */
        uint32_t th, slot;
    } waiter[WK_RELS]; /* the last pending waits on it (checked against their call: may be gone) */
    uint32_t next, wnext;
    struct wr_wk_arrival *arr; /* a barrier: its last WK_ARRIVALS waits (a ring) */
    uint32_t narr, caparr, arrhead;
};

/* wr_wk_arrival: a barrier wait [a, b] of thread index th at stack. */
struct wr_wk_arrival {
    uint64_t a, b;
    uint32_t th, stack;
};

#define WK_ARRIVALS 4096

/* wr_wk_fd: an fd's identity from its FDID record: the key its writes
 * release, the key its reads wait on, and a connected socket's the key
 * its connect releases (a listening socket's polls wait on it). */
struct wr_wk_fd {
    UT_hash_handle hh;
    uint64_t fd, wkey, rkey, ckey;
    unsigned type;
};

/* wr_wk_ep: an fd registered with an epoll instance (EPCTL): in eps by
 * (epfd, data), the key an event names it by, while it holds that data
 * (indata), and in epfds by (epfd, fd), for a DEL or a new data. */
struct wr_wk_ep {
    UT_hash_handle hd, hf;
    uint64_t kd[2], kf[2];
    int indata;
};

struct wr_wk_path {
    size_t th;
    uint64_t x, y;
};

/* objects are freed only when the analysis ends, so a cached one stays valid */
#define WK_OCACHE 64
#define WK_FCACHE 64

struct wr_wk_state {
    struct wr_model *m;
    struct wr_wk_thread **th;
    size_t nth;
    struct wr_wk_obj *objs;
    struct wr_wk_obj *ocache[WK_OCACHE]; /* objs found lately, by a hash of their key (wr_wk_obj_find) */
    struct wr_wk_fd *fds;
    struct wr_wk_fd *fcache[WK_FCACHE]; /* fds found lately, by fd (wr_wk_fd_of); a closed one leaves */
    struct wr_wk_ep *eps, *epfds;
    uint64_t nfdid, lag;
    size_t segs; /* ring slots of all threads */
    /* The pending waits: a binary heap by deadline of small entries that
     * name their wait in a pool, so that sifting moves 16 bytes, not a
     * whole wait (a ping-pong keeps a thousand waits pending). */
    struct wr_wk_hent *heap; /* by b, smallest first */
    size_t nheap, capheap;
    struct wr_wk_wait *pool;  /* the waits of the heap's entries; a free slot's slot is the next free one */
    uint32_t npool, freeslot; /* freeslot: the first free slot, or UINT32_MAX */
    struct wr_wk_path path[WK_DEPTH];
    size_t depth;
    unsigned budget;
    struct wr_site *site;
    struct wr_wk_edge *edges; /* waiter thread -> waker thread, for the loops */
    struct wr_mono_at mono;   /* the causes' wr_cpu_mono_at: their stamps trail the walk's */
    int oom;
};

/* wr_wk_edge: the waits of thread index key >> 32 ended by a release
 * (not a thread's end) of thread index key & 0xffffffff. */
struct wr_wk_edge {
    UT_hash_handle hh;
    uint64_t key, ns, waits;
};

/* wr_wk_obj_find: the object of key k, or NULL when there is none yet.
 * Inline, with a cache in front of the table: a lock or condvar is
 * looked up at each of its calls, and a program uses few at a time. */
static inline struct wr_wk_obj *wr_wk_obj_find(struct wr_wk_state *st, uint64_t k)
{
    struct wr_wk_obj **slot = &st->ocache[(k * 0x9e3779b97f4a7c15ull) >> 58 & (WK_OCACHE - 1)], *o = *slot;
    if (o && o->key == k)
        return o;
    HASH_FIND(hh, st->objs, &k, sizeof k, o);
    if (o)
        *slot = o;
    return o;
}

/* wr_wk_key: an object's hash key from its kind (K_*) and identity
 * (splitmix64). */
static inline uint64_t wr_wk_key(unsigned kind, uint64_t v)
{
    uint64_t z = v + 0x9e3779b97f4a7c15ull * kind;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* wakers_fds.c: wr_wk_fdid takes an FDID record (ev) into st->fds and
 * wr_wk_epctl an EPCTL record into st->eps; wr_wk_fd_of: the identity of
 * fd, or NULL; wr_wk_fd_close: forget identity d (its fd was closed);
 * wr_wk_ready_fd: the fd that value v of a poll's ready names (v itself,
 * or the fd epoll instance epfd registered with data v; -1 when none is
 * known). */
void wr_wk_fdid(struct wr_wk_state *st, const struct wr_event *ev);
void wr_wk_epctl(struct wr_wk_state *st, const struct wr_event *ev);
struct wr_wk_fd *wr_wk_fd_of(struct wr_wk_state *st, uint64_t fd);
void wr_wk_fd_close(struct wr_wk_state *st, struct wr_wk_fd *d);
int64_t wr_wk_ready_fd(struct wr_wk_state *st, int64_t epfd, uint64_t v);

/* Object kinds. K_HUP: the close of an fd end, which a poll of the other
 * end returns ready for (keyed by the end's write key), and a read does
 * not wait for. */
enum { K_MUTEX = 1, K_COND, K_SEM, K_PIPE, K_PAIR, K_EFD, K_SOCK, K_BAR, K_HUP, K_LISTEN };

/* wr_wk_waker_pending: the end of the latest wait still pending without a
 * waker among thread u's WK_PEND_LOOK calls nearest y that end after x, or
 * 0. A wait woken by u over [x, y] is explained by what u did then, so
 * explaining it now would charge that wait to itself, where its waker,
 * still to come in the walk (a writer preempted before its return), would
 * explain it: the wait that u released is put off, once, until that one is
 * final (its end plus lag at the latest). The wait u released most often
 * follows u's own wait at once (read, then write), so a few calls do. */
#define WK_PEND_LOOK 8
uint64_t wr_wk_waker_pending(const struct wr_wk_state *st, size_t u, uint64_t x, uint64_t y);

/* wr_wk_push: wait w into the pending heap (its call's pend set by the
 * caller). 0, or -1 on out of memory. */
int wr_wk_push(struct wr_wk_state *st, const struct wr_wk_wait *w);

/* wr_wk_arrive: barrier wait g (call ev) of thread th at site, on barrier
 * object o: kept as an arrival, and pending until the walk is past its
 * end. wr_wk_barrier: a pending barrier wait resolved: woken by the last
 * arrival of its generation (wakers_barrier.c). */
void wr_wk_arrive(struct wr_wk_state *st, struct wr_wk_obj *o, size_t th, struct wr_wk_thread *t, struct wr_wk_seg *g,
                  struct wr_site *site, const struct wr_event *ev);
void wr_wk_barrier(struct wr_wk_state *st, const struct wr_wk_wait *w, struct wr_wk_seg *g);

/* wr_wk_woken: wait g of thread th at site was ended by a call of thread
 * wth at stamp k (func at stack; func 0: the end of that thread): add the
 * waker to the site, and the whole wait's time to its causes. */
void wr_wk_woken(struct wr_wk_state *st, size_t th, struct wr_wk_seg *g, struct wr_site *site, size_t wth, uint64_t k,
                 uint32_t stack, unsigned func);

/* wr_wk_alone: wait g of thread th ended by nothing in the process: label
 * says what did, and the wait is its own cause. */
void wr_wk_alone(struct wr_wk_state *st, size_t th, const struct wr_wk_seg *g, struct wr_site *site, const char *label);

/* wr_wk_link: wait [a, b] of thread index th was ended by thread index
 * wth at stamp k (func; 0: its end): into m's wait_edges, and its
 * wake_links when m keeps them (wake_links.c). */
void wr_wk_link(struct wr_model *m, size_t th, size_t wth, uint64_t a, uint64_t b, uint64_t k, unsigned func);

/* wr_wk_links_release: free what wr_wk_link kept in m. */
void wr_wk_links_release(struct wr_model *m);
/* wr_crit_in: what the critical path's walk needs of each thread (by
 * thread index), kept in the model after the walk: its jumps, sorted by
 * start, its birth and creator. */
struct wr_crit_th {
    struct wr_wk_jump *jumps;
    size_t njumps;
    uint64_t birth;
    uint32_t creator;
    int born;
};
struct wr_crit_in {
    struct wr_crit_th *th;
    size_t n, jumps; /* jumps: of every thread */
};

/* wakers_jumps.c: wr_wk_keep_path: the threads' jumps, births and
 * creators into m->crit.in (the jumps move: st's threads lose them). 0, or
 * -1 on out of memory. wr_crit_free: what m->crit holds. */
int wr_wk_keep_path(struct wr_wk_state *st);
void wr_crit_free(struct wr_model *m);
/* wr_crit_in_free: in (NULL: none) and the jumps it holds
 * (wakers_jumps.c). */
void wr_crit_in_free(struct wr_crit_in *in);

#endif
