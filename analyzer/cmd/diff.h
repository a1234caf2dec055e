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

struct dcsite; /* a site's causes in one run (diff_causes.c) */

/* One side of the comparison: its traces, their sites merged by key, their
 * causes by site key, and the run's totals. */
struct side {
    struct wr_set s;
    struct wr_ktable t;
    struct dcsite *causes;
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

/* wr_dchange: one cause of a site in both runs: its key (the call or
 * label, then the function names of its stack), its line ("usleep in
 * stage_c (x.c:94)") and its ns in the old and the new run. */
struct wr_dchange {
    const char *key, *line;
    uint64_t ns[2];
};
#define WR_DIFF_CAUSES 10 /* causes compared per site, the largest in either run */

/* wr_dcauses_load: the causes of every site of set into *h, summed by site
 * key and cause key over its processes. 0, or -1 on out of memory. */
int wr_dcauses_load(struct dcsite **h, struct wr_set *set);
void wr_dcauses_free(struct dcsite **h);

/* wr_dcauses_diff: the causes of the site with key site in the old (h[0])
 * and new (h[1]) runs into out, at most cap, the largest in either run
 * first; their strings live as long as h. The number put in out. */
size_t wr_dcauses_diff(struct dcsite *const h[2], const char *site, struct wr_dchange *out, size_t cap);

/* wr_diff_json: the comparison as JSON (README "diff"): the rows rows[0..n) of sides d. */
void wr_diff_json(FILE *f, struct drow *rows, size_t n, const struct side d[2], int split, const struct diff_opts *o,
                  size_t regressed, unsigned tripped);

/* wr_diff_causes_json: ,"causes":[{"function","at","key","ns_old","ns_new","ns_delta"}...] of row r. */
void wr_diff_causes_json(FILE *f, const struct drow *r, const struct side d[2]);

#endif
