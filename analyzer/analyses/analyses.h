/* analyses.h: the analyses that need the process's records in time order,
 * each one module implementing struct wr_analysis (model/analysis.h):
 * lock holds and holder blame (locks.c), the live heap (heap.c), and the
 * control records (marks.c), and who woke each wait and why (wakers.c).
 * Their results live in struct wr_site,
 * wr_mutex, wr_heap and wr_model.marks. */
#ifndef WR_ANALYSES_H
#define WR_ANALYSES_H

#include "model/analysis.h"

extern const struct wr_analysis wr_locks_analysis, wr_heap_analysis, wr_marks_analysis, wr_wakers_analysis;

/* WR_CONTENDED_NS: without the recorder's flag, a lock call is
 * taken as contended when it left the CPU or lasted longer than this. */
#define WR_CONTENDED_NS 1000

/* wr_crit_path: the critical path into m->crit (model.h), from what the
 * waker analysis kept, reading again the records of the threads on it (m's
 * trace must still be open). all 0: only when it is to be shown: a path
 * that stayed in its thread, of a thread's life asked for by no option, is
 * left empty (its threads 1). Computed once: what the waker analysis kept
 * for it is freed then. 0, or -1 on out of memory. */
int wr_crit_path(struct wr_model *m, int all);

#endif
