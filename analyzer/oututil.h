/* oututil.h: small output helpers shared by diff, the multi-process
 * report and the exports. */
#ifndef WR_OUTUTIL_H
#define WR_OUTUTIL_H

#include <stdio.h>

#include "model.h"

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

/* wr_fmt_delta_ns: a signed duration ("+12.3 ms", "-800 ns", "0"). */
const char *wr_fmt_delta_ns(char *buf, size_t cap, int64_t ns);

/* wr_html_str: s with &<>"' escaped for HTML text and attributes. */
void wr_html_str(FILE *f, const char *s);

/* wr_site_name: "pthread_mutex_lock at worker (x.c:21)" for site s. */
const char *wr_site_name(struct wr_model *m, const struct wr_site *s, char *buf, size_t cap);

/* wr_top_leaks: up to max sites with leaked blocks, most leaked bytes
 * first (ties by key); returns how many were put in out. */
size_t wr_top_leaks(const struct wr_model *m, const struct wr_site **out, size_t max);

#endif
