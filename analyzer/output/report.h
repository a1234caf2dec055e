/* report.h: the output formats of waitreport, one file each. */
#ifndef WR_REPORT_H
#define WR_REPORT_H

#include <stdio.h>

#include "model/model.h"

struct wr_opts {
    int color;     /* ANSI colour (tty and no NO_COLOR) */
    size_t top;    /* sites to print in text, 0 = all */
    size_t frames; /* frames per site in text */
    int all_locks; /* text, HTML: list every lock, not only those that made a thread wait */
};

/* wr_report_text: the human report; 0, or -1 on a write error. */
int wr_report_text(struct wr_model *m, const struct wr_opts *o, FILE *out);

/* wr_report_json: the JSON contract (README "JSON"); 0, or -1. */
int wr_report_json(struct wr_model *m, const struct wr_opts *o, FILE *out);

/* wr_func_has_bytes: function id func counts bytes (allocations, reads and
 * writes, mappings: wr_site.bytes). */
int wr_func_has_bytes(unsigned func);

/* wr_io_verb: what an I/O function did with its bytes: "read", "written",
 * "received" or "sent". */
const char *wr_io_verb(unsigned func);

/* marks.c: the marks section (text), the "marks" array (JSON). */
const char *wr_mark_label(const struct wr_mark *k, char *buf, size_t cap);
void wr_marks_text(const struct wr_model *m, FILE *f);
void wr_marks_json(const struct wr_model *m, FILE *f);

/* wakers.c: a site's "wakers" and "causes" JSON fields; its "woken by" and
 * "because of" text lines (none without wakers); the text section "why
 * threads waited" (none without causes; its first rows rows, or every
 * row when rows is 0: 0, or -1 on out of memory). */
void wr_wakers_json(FILE *f, struct wr_model *m, const struct wr_site *s);
void wr_wakers_text(FILE *f, struct wr_model *m, const struct wr_site *s, const char *dim, const char *off);
int wr_wakers_why(FILE *f, struct wr_model *m, size_t rows, const char *bold, const char *off);
/* wr_wakers_json_top: the top-level "wait_loops" (pairs of threads that
 * woke each other), "wake_cycles" and "wake_cut" (cause chains stopped by a
 * cycle, and by the depth or work bound). */
void wr_wakers_json_top(FILE *f, const struct wr_model *m);
/* wr_crit_json: the top-level "critical_path" (entries {tid, function,
 * stack, ns}, largest first) and "critical_path_of" (the thread or mark it
 * is of, its intervals and their ns, the threads it passed through).
 * wr_crit_text: its text section, when the path leaves the thread or was
 * asked for (--tid, --thread, --critical-path). Each computes the path
 * first (wr_crit_path): 0, or -1 on out of memory. */
int wr_crit_json(FILE *f, struct wr_model *m);
int wr_crit_text(FILE *f, struct wr_model *m, const char *bold, const char *off);

#endif
