/* analyses.c: the table of analyses the model's walk runs (model/analysis.h).
 * An analysis is added here and in its own file, nowhere else. */
#include "analyses/analyses.h"

const struct wr_analysis *const wr_analyses[] = {&wr_locks_analysis, &wr_heap_analysis, &wr_marks_analysis,
                                                 &wr_wakers_analysis, NULL};
