/* fmt.h: small output helpers shared by diff, the multi-process
 * report and the exports. */
#ifndef WR_OUTUTIL_H
#define WR_OUTUTIL_H

#include <stdio.h>

#include "model/model.h"

/* wr_utf8_seq: the length (2..4) of the well-formed UTF-8 sequence at p (a
 * byte >= 0x80), or 0 when it is not one (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF). Stops at a 0 byte. */
size_t wr_utf8_seq(const unsigned char *p);

/* wr_json_str: s as a JSON string literal (NULL as null). Always valid
 * UTF-8: each byte that is not part of a well-formed sequence (untrusted
 * traces) becomes \ufffd. */
void wr_json_str(FILE *f, const char *s);

/* wr_clean: s (untrusted: a command line from a trace) copied into buf for
 * a terminal, on one line: newline, tab and carriage return written as \n,
 * \t and \r, other control bytes as \xNN; cut to cap - 1 bytes, before an
 * escape rather than inside one. buf. */
const char *wr_clean(char *buf, size_t cap, const char *s);

/* wr_json_frames: the frames of stack in m as the report's JSON array. */
void wr_json_frames(FILE *f, struct wr_model *m, uint32_t stack);

/* wr_json_frame_list: frames fr[0..n) as the report's JSON array. */
void wr_json_frame_list(FILE *f, const struct wr_frame *fr, size_t n);

/* wr_frame_line: "function (file:line)" or "function (module+0x..)". */
void wr_frame_line(char *buf, size_t cap, const struct wr_frame *f);

/* wr_print_frames: up to max frames of stack, "at ..." then "<- ...",
 * indented, dimmed by the given escape (or ""). */
void wr_print_frames(FILE *f, struct wr_model *m, uint32_t stack, size_t max, const char *dim, const char *off);

/* wr_print_frame_list: the same for frames fr[0..n), of which it prints at
 * most max (and at most 64, like wr_print_frames). */
void wr_print_frame_list(FILE *f, const struct wr_frame *fr, size_t n, size_t max, const char *dim, const char *off);

/* wr_frame_cmp: orders two frames by what wr_frame_line prints for them;
 * 0 when they print the same line. */
int wr_frame_cmp(const struct wr_frame *a, const struct wr_frame *b);

/* wr_distinct_depths: the frames each of n rows must show so that no two
 * rows of the same function (key[i]) print the same frames. Row i has
 * frames fr[i][0..nf[i]); depth[i] is at least min, at most max(min,
 * nf[i]), and more than min only where another row of its key agrees with
 * it over its first min frames. Rows whose frames all print the same stay
 * at min: nothing tells them apart, and twin[i] (when twin is not NULL)
 * is the first row that prints as row i does, or SIZE_MAX. O(n log n)
 * comparisons; 0, or -1 on out of memory (then every depth is min). */
int wr_distinct_depths(const char *const *key, const struct wr_frame *const *fr, const size_t *nf, size_t n, size_t min,
                       size_t *depth, size_t *twin);

/* WR_TWIN_NOTE: the line under a row that prints as an earlier one. */
#define WR_TWIN_NOTE "as row %zu: the stacks differ only in return addresses; --merge line adds such rows up"

/* wr_print_frames_to: wr_print_frame_list of min frames, and when depth
 * (from wr_distinct_depths) is more, the frame at depth - 1 that tells the
 * row apart, after a line that counts the frames skipped. */
void wr_print_frames_to(FILE *f, const struct wr_frame *fr, size_t n, size_t min, size_t depth, const char *dim,
                        const char *off);

/* wr_fmt_ns: ns as a short human duration ("812.3 ms") into buf. */
const char *wr_fmt_ns(char *buf, size_t cap, uint64_t ns);

/* wr_fmt_count: n with thousands separators ("80,000") into buf. */
const char *wr_fmt_count(char *buf, size_t cap, uint64_t n);

/* wr_fmt_per_call: bytes / calls ("3.0", "4,096") into buf. */
const char *wr_fmt_per_call(char *buf, size_t cap, uint64_t bytes, uint64_t calls);

/* wr_fmt_delta_ns: a signed duration ("+12.3 ms", "-800 ns", "0"). */
const char *wr_fmt_delta_ns(char *buf, size_t cap, int64_t ns);

/* wr_html_str: s with &<>"' escaped for HTML text and attributes. */
void wr_html_str(FILE *f, const char *s);

/* WR_NAME_CAP: room for any site name or frame line (wr_frame_line's
 * function, file and line, or module and offset), uncut. */
#define WR_NAME_CAP 1200

/* wr_site_name: "pthread_mutex_lock at worker (x.c:21)" for site s, whole
 * when buf has WR_NAME_CAP bytes (fit it to a column with wr_fit). */
const char *wr_site_name(struct wr_model *m, const struct wr_site *s, char *buf, size_t cap);

/* wr_cols: the columns s takes on a terminal: its UTF-8 characters. */
size_t wr_cols(const char *s);

/* wr_fit: s in at most width columns (UTF-8 characters) into buf (cap
 * bytes; 3 * width + 1 is always enough): s itself when it fits; else its
 * middle becomes "\u2026", keeping its start and, when at least 8 columns
 * of the start are left beside it, its location: the " (file:line)" or
 * " (module+0x...)" that ends it (with " [inlined]" after it), whole. So a name is never cut inside a
 * token without the mark. Returns the columns used, for padding. */
size_t wr_fit(char *buf, size_t cap, const char *s, size_t width);

/* wr_fmt_scaled: n in the largest of units[0..nunits) (each step times
 * the one before) that keeps the figure at least 1: whole in units[0],
 * else with three digits ("812 ns", "5.00 MiB", "12.3 ms"). buf. */
const char *wr_fmt_scaled(char *buf, size_t cap, uint64_t n, double step, const char *const *units, int nunits);

/* wr_fmt_bytes: a size in bytes, short: "812 bytes", "5.00 MiB" (powers
 * of 1024, wr_fmt_scaled). buf. */
const char *wr_fmt_bytes(char *buf, size_t cap, uint64_t n);

/* wr_fmt_quantile: a quantile or maximum of call durations for the text
 * and HTML tables: wr_fmt_ns, except that 0 reads "untimed". Only calls
 * recorded with one stamp have a duration of 0 (a lock that found the
 * mutex free, an unlock or post that woke nobody: see README "What is
 * recorded"): they did not wait, and their time was not measured, so "0 ns"
 * would be a figure nobody measured. WR_UNTIMED_NOTE says so under a table
 * that shows it. */
const char *wr_fmt_quantile(char *buf, size_t cap, uint64_t ns);
#define WR_UNTIMED_NOTE                                                                                                \
    "untimed: calls recorded with one stamp (a lock that found the mutex free, an unlock or post that woke nobody) "   \
    "did not wait and have no measured duration; the p50, p99 or max so marked fell among them"

/* wr_locks_heading: the heading of the lock list (text and HTML) into buf:
 * what it lists, of the nmutexes locks of which waited made a thread wait
 * (wr_mutex_waited), shown being listed; all: --all-locks. With nothing
 * to list (waited 0, not all) it says so instead. */
const char *wr_locks_heading(char *buf, size_t cap, size_t nmutexes, size_t waited, size_t shown, int all);

/* wr_lock_row: one row of a lock list (lockrows.c): the entries whose row
 * reads the same (name) with their figures summed: count (holds, waits),
 * ns (held, waited, or the wait blamed on a holder), the longest one, and
 * the wait the holds caused. */
struct wr_lock_row {
    char *name;
    uint64_t count, ns, max_ns, blame_ns;
};

/* wr_mutex_rows: a mutex's held_by or waited_by entries e[0..n) as rows
 * named by wr_site_name, merged, largest ns + blame_ns first; wr_holder_rows:
 * a waiter site's holders b[0..n) as rows named by the holder's first frame
 * (wr_frame_line), merged, most wait first. *out is malloc'ed, *nout rows:
 * free with wr_lock_rows_free. 0, or -1 on out of memory. */
int wr_mutex_rows(struct wr_model *m, const struct wr_mutex_site *e, size_t n, struct wr_lock_row **out, size_t *nout);
int wr_holder_rows(struct wr_model *m, const struct wr_blame *b, size_t n, struct wr_lock_row **out, size_t *nout);
void wr_lock_rows_free(struct wr_lock_row *r, size_t n);

/* wr_top_leaks: up to max sites with leaked blocks, most leaked bytes
 * first (ties by key); returns how many were put in out. */
size_t wr_top_leaks(const struct wr_model *m, const struct wr_site **out, size_t max);

#endif
