/* analyses.h: analyses that need the process's events in time order
 * (lock holds and holder blame, the live heap). model.c runs them after its
 * per-thread walk; their results live in struct wr_site, wr_mutex, wr_heap. */
#ifndef WR_ANALYSES_H
#define WR_ANALYSES_H

#include "model.h"

/* wr_timeline_fn: one malloc or lock family call of thread index th (into
 * m->threads), at its site (never NULL). Non-zero stops the walk. */
typedef int (*wr_timeline_fn)(void *ctx, size_t th, struct wr_site *site, const struct wr_event *ev);

/* wr_timeline_key: the moment a call takes effect, used to order calls across
 * threads: the start of a release (free, unlock), the return of the others
 * (an allocation exists, a lock is held, once the call returns). */
uint64_t wr_timeline_key(const struct wr_event *ev);

/* wr_timeline_walk: every malloc and lock family call of the trace, in the
 * global order of wr_timeline_key (a k-way merge of the threads; each
 * thread's calls are in order already). Memory: one chunk's malloc/lock calls
 * per thread at a time. 0, -1 on out of memory, or fn's non-zero value. */
int wr_timeline_walk(struct wr_model *m, wr_timeline_fn fn, void *ctx);

/* wr_analyses_run: run the lock and heap analyses over m (after its walk).
 * 0, or -1 on out of memory. */
int wr_analyses_run(struct wr_model *m);

/* locks.c */
struct wr_locks;
struct wr_locks *wr_locks_new(struct wr_model *m);
int wr_locks_event(struct wr_locks *l, size_t th, struct wr_site *site, const struct wr_event *ev);
int wr_locks_finish(struct wr_locks *l); /* sorts; frees l; -1 on out of memory */
void wr_mutexes_free(struct wr_model *m);

/* heap.c */
struct wr_heapan;
struct wr_heapan *wr_heap_new(struct wr_model *m);
int wr_heap_event(struct wr_heapan *h, struct wr_site *site, const struct wr_event *ev);
void wr_heap_finish(struct wr_heapan *h); /* counts leaks; frees h */

/* wr_lock_contended_unflagged: without the recorder's flag, a lock call is
 * taken as contended when it left the CPU or lasted longer than this. */
#define WR_CONTENDED_NS 1000

#endif
