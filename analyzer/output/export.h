/* export.h: outputs over a set of traces (one or more processes), one
 * file each: folded stacks, Chrome trace, pprof, HTML, the multi-process report. */
#ifndef WR_EXPORT_H
#define WR_EXPORT_H

#include "model/sitekey.h"
#include "model/top_model.h"
#include "model/traces.h"
#include "output/report.h"

/* Weights of folded stacks. */
enum wr_fold_kind {
    WR_FOLD_WAIT,
    WR_FOLD_CPU,
    WR_FOLD_BLOCKED,
    WR_FOLD_RUNNABLE,
    WR_FOLD_TOTAL,
    WR_FOLD_CALLS,
    WR_FOLD_BYTES
};

/* wr_fold_kind_parse: the kind named s, or -1. */
int wr_fold_kind_parse(const char *s);

/* wr_fold_kind_name: the name of kind, as --folded takes it ("?" for none). */
const char *wr_fold_kind_name(int kind);

/* wr_fold_needs_split: the kind is measured from context switches. */
int wr_fold_needs_split(int kind);

/* wr_fold_weight: the weight of a keyed site for kind (ns or a count). */
uint64_t wr_fold_weight(const struct wr_ksite *k, int kind);

/* wr_json_ksite_id: the "function", "family" and "key" members of keyed
 * site k, the ones every JSON object of a keyed site starts with (no
 * braces, no comma before). */
void wr_json_ksite_id(FILE *f, const struct wr_ksite *k);

/* wr_export_folded: "frame;frame;...;function N" lines, root first, one
 * per distinct path with a non-zero weight, heaviest first. 0, -1 on a
 * write error or out of memory. */
int wr_export_folded(struct wr_set *s, int kind, FILE *out);

/* wr_export_chrome: Chrome Trace Event JSON of every process in s: calls
 * and off-CPU intervals of at least min_ns, the threshold raised until at
 * most max_events fit. 0 or -1. */
int wr_export_chrome(struct wr_set *s, uint64_t min_ns, size_t max_events, FILE *out);

/* wr_export_pprof: a gzip-compressed profile.proto (pprof) of every process
 * in s: a sample per site and thread (README "pprof"). 0, or -1 after a
 * message on out of memory, or on a write error. */
int wr_export_pprof(struct wr_set *s, FILE *out);

/* wr_export_pprof_top: the profile (as wr_export_pprof's) of the calls
 * that top's last update settled (t->last_parts; t->parts_on set before
 * the first update). 0, or -1 after a message on out of memory, or on a
 * write error. */
int wr_export_pprof_top(struct wr_top *t, FILE *out);

/* wr_report_html: the self-contained HTML report. 0 or -1. */
int wr_report_html(struct wr_set *s, const struct wr_opts *o, FILE *out);

/* wr_processes_req: the traces a report of processes reads (paths: files
 * or directories, have_pid: only those of pid), how it builds their models
 * (filter, merge_line, window, crit_mark: struct wr_build), and what it
 * prints (o; json: the JSON report, else the text). */
struct wr_processes_req {
    const char *const *paths;
    size_t npaths;
    int have_pid;
    uint32_t pid;
    const struct wr_filter *filter;
    int merge_line;
    const struct wr_opts *o;
    int json;
    const struct wr_window *window; /* --since, --until (struct wr_build), or NULL */
    const char *crit_mark;          /* --critical-path MARK (struct wr_build), or NULL */
};

/* wr_report_processes: the text or JSON report (c->json) of the traces of c:
 * of one process, the process's own report; of several, their sites merged
 * by symbolized stack, then each process's own report. The traces are read
 * one at a time and released, so memory does not grow with their number.
 * 0; 2 after a message (bad input, no trace left, out of memory), with
 * nothing written to out; -1 on a write error to out. */
int wr_report_processes(const struct wr_processes_req *c, FILE *out);

#endif
