/* diff.h: what the diff command (diff.c) and its JSON output (diff_json.c)
 * share: the metrics compared, the two sides, and the rows of sites. */
#ifndef WR_DIFF_H
#define WR_DIFF_H

#include <stdio.h>

#include "model/sitekey.h"
#include "model/traces.h"

enum { M_CALLS, M_TOTAL, M_WAIT, M_CPU, M_BLOCKED, M_RUNNABLE, M_COUNT };
/* the metrics by name (--metric), and the same measures of a whole run (a
 * run's total time is its wall time) */
extern const char *const wr_diff_metric_names[M_COUNT];
extern const char *const wr_diff_run_names[M_COUNT];
#define M_TIMES   (~(1u << M_CALLS) & ((1u << M_COUNT) - 1)) /* the metrics that are times */
#define M_UNSPLIT ((1u << M_CALLS) | (1u << M_TOTAL))        /* measured without the wait/CPU split */

struct diff_opts {
    int json, color;
    size_t top, frames;
    int gate;             /* --threshold given */
    double pct;           /* --threshold PCT */
    uint64_t floor_ns;    /* --floor MS, as ns */
    uint64_t floor_calls; /* --floor-calls */
    unsigned metrics;     /* bit per M_*: what the gate looks at */
};

/* One side of the comparison: its traces, their sites merged by key, and
 * the run's totals. */
struct side {
    struct wr_set s;
    struct wr_ktable t;
    int split;             /* every process measured the wait/CPU split */
    size_t threads;        /* over every process */
    uint64_t tot[M_COUNT]; /* the run's calls, wall, and its threads' wait, cpu, blocked, runnable */
};

struct drow {
    const char *key;
    struct wr_ksite *o, *n; /* either may be NULL */
    uint64_t v[2][M_COUNT]; /* old, new */
    unsigned regressed;     /* bit per M_* that tripped the gate */
    int moved;              /* a new site spared by the gate: 1 + the metric, else 0 */
    int64_t moved_delta;    /* and that metric's change over all sites of its function */
};

static inline int64_t delta_of(uint64_t a, uint64_t b) { return (int64_t)(b - a); }
static inline int64_t delta(const struct drow *r, int m) { return delta_of(r->v[0][m], r->v[1][m]); }

/* wr_diff_json: the comparison as JSON (README "diff"): the rows rows[0..n) of sides d. */
void wr_diff_json(FILE *f, struct drow *rows, size_t n, const struct side d[2], int split, const struct diff_opts *o,
                  size_t regressed, unsigned tripped);

#endif
