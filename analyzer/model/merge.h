/* merge.h: the records of all threads of a trace in one time order (merge.c). */
#ifndef WR_MERGE_H
#define WR_MERGE_H

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

/* wr_model_walk: the model's walk: model_fn(m, ev) for every record in
 * timeline order, then each analysis of wr_analyses (analysis.h) that
 * wants the record's kind, given the call's site (m->last_site, which
 * model_fn must leave at the call's site); then every analysis finishes.
 * 0, -1 on out of memory, or model_fn's non-zero value. */
int wr_model_walk(struct wr_model *m, wr_event_fn model_fn);

#endif
