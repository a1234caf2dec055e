/* analysis.h: the interface of an analysis, which the model's walk drives.
 *
 * An analysis sees the records of every thread of the process in one time
 * order (merge.h), each call after the model has charged it to its site, and
 * keeps what it finds in the model (struct wr_model, wr_site). The model
 * knows analyses only through this interface and the table wr_analyses
 * (analyses/analyses.c), so the layers stay one way: an analysis includes the
 * model, never the reverse, and adding one touches only its own file and the
 * table. */
#ifndef WR_ANALYSIS_H
#define WR_ANALYSIS_H

#include "model/model.h"

/* WR_MAX_ANALYSES: the walk routes each record kind to the analyses that
 * want it by a 32-bit mask; a table longer than this fails the walk. */
#define WR_MAX_ANALYSES 32

struct wr_analysis {
    const char *name;
    /* wants: whether records of this kind (a function id, or LW_REC_*) go
     * to event; asked once per kind before the walk */
    int (*wants)(unsigned kind);
    /* begin: the analysis's state for m, or NULL on out of memory */
    void *(*begin)(struct wr_model *m);
    /* event: one record of thread index th (into m->threads), in time
     * order; site is the site the model charged a call to (NULL for other
     * records). 0, or -1 on out of memory. */
    int (*event)(void *state, size_t th, struct wr_site *site, const struct wr_event *ev);
    /* finish: the results into the model, and the state freed (also after
     * a failed walk). 0, or -1 on out of memory. */
    int (*finish)(void *state);
    /* release: free the results the analysis left in m (wr_model_free) */
    void (*release)(struct wr_model *m);
};

/* wr_analyses: every analysis, in the order they see each record and
 * finish; ends with NULL. */
extern const struct wr_analysis *const wr_analyses[];

#endif
