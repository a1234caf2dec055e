/* merge.h: the order in which the records of all threads of a trace are
 * walked (merge.c); the walk itself is model/timeline.h. */
#ifndef WR_MERGE_H
#define WR_MERGE_H

#include "model/model.h"

/* wr_timeline_fn: one record of thread index th (into m->threads); sch is
 * the schema of a call the walk decoded for its schema alone (a constant
 * there, so the aggregation can be expanded for it too), else WR_SCH_ANY
 * (trace/walk.h). Non-zero stops the walk. */
typedef int (*wr_timeline_fn)(void *ctx, size_t th, unsigned sch, const struct wr_event *ev);

/* wr_timeline_key: the moment a call takes effect, used to order calls across
 * threads: the start of a release (free, unlock, a condvar wait: it releases
 * the mutex), the return of the others
 * (an allocation exists, a lock is held, once the call returns). */
uint64_t wr_timeline_key(const struct wr_event *ev);

#endif
