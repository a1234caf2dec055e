/* wakers.h: the state the waker analysis (wakers.c) shares with the
 * causes it hands each wait on to (wakers_causes.c); doc/wakers.md. */
#ifndef WR_WAKERS_H
#define WR_WAKERS_H

#include "analyses/analyses.h"

#define WK_RING   1024 /* calls kept per thread for the causes */
#define WK_RELS   16   /* releases kept per object */
#define WK_DEPTH  64   /* threads a cause chain may pass through */
#define WK_BUDGET 4096 /* calls one wait's causes may visit */

/* wr_wk_seg: one recorded call of a thread, with its waker once matched
 * (wth < 0: none; wfunc 0: the end of a joined thread). */
struct wr_wk_seg {
    uint64_t s, e, wk;
    uint64_t okey; /* a pending wait: the object it waits on */
    uint32_t stack, wstack;
    int32_t wth;
    uint16_t func, wfunc;
    uint8_t pend, consume; /* a wait in the pending heap; it takes a signal or post for itself */
};

struct wr_wk_thread {
    struct wr_wk_seg ring[WK_RING];
    uint32_t head, n; /* head: the next slot written */
    uint64_t self, birth, end;
    int born, ended;
};

/* wr_wk_wait: a wait not final yet. A release inside it may come later in
 * the walk (a condvar wait comes at its start; the walk orders writes by
 * their return, and a writer can be preempted before it returns): each
 * release offers itself to the pending waits of its object, and a wait is
 * final once the walk passes its deadline b (its end; a read's end plus
 * WK_LAG_NS, for the writes), or when its thread is about to forget it, or
 * at the end. A writer preempted for longer than WK_LAG_NS between its
 * write and its return is missed: the read is then labelled, not woken. */
struct wr_wk_wait {
    uint64_t b, k, self;
    size_t th;
    uint32_t slot;
    int consume;
    const char *label;
    struct wr_site *site;
};

#define WK_LAG_NS 10000000.0

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
        uint32_t th, slot;
    } waiter[WK_RELS]; /* the last pending waits on it (checked against their call: may be gone) */
    uint32_t next, wnext;
};

/* wr_wk_fd: an fd's identity from its FDID record: the key its writes
 * release and the key its reads wait on. */
struct wr_wk_fd {
    UT_hash_handle hh;
    uint64_t fd, wkey, rkey;
    unsigned type;
};

struct wr_wk_path {
    size_t th;
    uint64_t x, y;
};

struct wr_wk_state {
    struct wr_model *m;
    struct wr_wk_thread **th;
    size_t nth;
    struct wr_wk_obj *objs;
    struct wr_wk_fd *fds;
    uint64_t nfdid, lag;
    struct wr_wk_wait *heap; /* by b, smallest first */
    size_t nheap, capheap;
    struct wr_wk_path path[WK_DEPTH];
    size_t depth;
    unsigned budget;
    struct wr_site *site;
    struct wr_wk_edge *edges; /* waiter thread -> waker thread, for the loops */
    int oom;
};

/* wr_wk_edge: the waits of thread index key >> 32 ended by a release
 * (not a thread's end) of thread index key & 0xffffffff. */
struct wr_wk_edge {
    UT_hash_handle hh;
    uint64_t key, ns, waits;
};

enum { K_MUTEX = 1, K_COND, K_SEM, K_PIPE, K_PAIR, K_EFD, K_SOCK };

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

#endif
