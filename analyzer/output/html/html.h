/* html.h: pieces of the HTML report (page.c) in their own files. */
#ifndef WR_HTML_H
#define WR_HTML_H

#include <stdio.h>

#include "model/hist.h"
#include "model/model.h"
#include "model/sitekey.h"
#include "model/traces.h"
#include "output/report.h"

/* wr_html_flame: an empty SVG (id "flamegraph") and the tree of the sites
 * in t (id "flame-data", JSON: "kinds", the first "kind" to show,
 * "nodes": [parent index, name, then where a path ends its weight in each
 * kind] in preorder, node 0 the root "all") that the page's script lays
 * out. The kinds are those of --folded; without the wait/CPU split (split
 * 0) only total, calls and bytes. 0, or -1 on out of memory. */
int wr_html_flame(FILE *f, const struct wr_ktable *t, int split, const char *kind);

/* wr_html_hist: an inline SVG bar chart of h's non-empty bucket range,
 * with p50/p95/p99/max. */
void wr_html_hist(FILE *f, const struct wr_hist *h);

/* wr_html_analyses: model m's locks (those that made a thread wait, or
 * all with o->all_locks), heap (peak, largest leaks) and marks sections,
 * each only when there is something to show; element ids end in -idx.
 * 0, or -1 on out of memory. */
int wr_html_analyses(FILE *f, struct wr_model *m, size_t idx, const struct wr_opts *o);

/* wr_html_waitfor: the section "who waited for whom": per process of s
 * where a thread woke another, its wait-for graph between threads (an SVG
 * with id "waitgraph-IDX": <g class="wedge"> per arrow with data-from,
 * data-to (tids), data-ns and data-waits; <g class="wnode"> per thread
 * with data-tid); nothing when no thread woke another. 0, or -1 on out of
 * memory. */
int wr_html_waitfor(FILE *f, struct wr_set *s);

#endif
