/* analyses.h: analyses that need the process's events in time order
 * (lock holds and holder blame, the live heap). model.c runs them after its
 * per-thread walk; their results live in struct wr_site, wr_mutex, wr_heap. */
#ifndef WR_ANALYSES_H
#define WR_ANALYSES_H

#include "model/model.h"

/* wr_timeline_fn: one record of thread index th (into m->threads).
 * Non-zero stops the walk. */
typedef int (*wr_timeline_fn)(void *ctx, size_t th, const struct wr_event *ev);

/* wr_timeline_key: the moment a call takes effect, used to order calls across
 * threads: the start of a release (free, unlock, a condvar wait: it releases
 * the mutex), the return of the others
 * (an allocation exists, a lock is held, once the call returns). */
uint64_t wr_timeline_key(const struct wr_event *ev);

/* wr_timeline_walk: every record of the trace, in the global order of
 * wr_timeline_key (a k-way merge of the threads; records without a stamp
 * keep their place in their thread). Memory: one chunk's records per thread
 * at a time. 0, -1 on out of memory, or fn's non-zero value. */
int wr_timeline_walk(struct wr_model *m, wr_timeline_fn fn, void *ctx);

/* wr_analyses_walk: the model's walk: model_fn(m, ev) for every record in
 * timeline order, then the lock and heap analyses of each malloc/lock call
 * (at m->last_site, which model_fn must leave at the call's site). 0, -1 on
 * out of memory, or model_fn's non-zero value. */
int wr_analyses_walk(struct wr_model *m, wr_event_fn model_fn);

/* locks.c: wr_locks_new makes the analysis state for m (NULL on OOM);
 * wr_locks_event takes one lock family call of thread th at its site, in
 * timeline order (0, or -1 on OOM); wr_locks_finish sorts the results into
 * m (sites' holders, m->mutex_sorted), frees l, and returns -1 on OOM;
 * wr_mutexes_free frees m's mutexes. */
struct wr_locks;
struct wr_locks *wr_locks_new(struct wr_model *m);
int wr_locks_event(struct wr_locks *l, size_t th, struct wr_site *site, const struct wr_event *ev);
int wr_locks_finish(struct wr_locks *l);
void wr_mutexes_free(struct wr_model *m);

/* heap.c: wr_heap_new makes the live-heap state for m (NULL on OOM);
 * wr_heap_event takes one malloc family call at its site, in timeline order
 * (0, or -1 on OOM); wr_heap_finish counts what is still live as leaked into
 * m (sites, m->heap) and frees h. */
struct wr_heapan;
struct wr_heapan *wr_heap_new(struct wr_model *m);
int wr_heap_event(struct wr_heapan *h, struct wr_site *site, const struct wr_event *ev);
void wr_heap_finish(struct wr_heapan *h);

/* WR_CONTENDED_NS: without the recorder's flag, a lock call is
 * taken as contended when it left the CPU or lasted longer than this. */
#define WR_CONTENDED_NS 1000

#endif
