/* options.h: the parsers of option values that the commands share
 * (options.c). Each command parses its own options with them. */
#ifndef WR_OPTIONS_H
#define WR_OPTIONS_H

#include "model/traces.h"
#include "output/report.h"

/* wr_parse_count: a whole number <= max for option opt, or exit 2. */
uint64_t wr_parse_count(const char *opt, const char *v, uint64_t max);

/* wr_parse_real: a non-negative decimal number for option opt, or exit 2. */
double wr_parse_real(const char *opt, const char *v);

/* wr_parse_window: --since or --until (opt) v into w: seconds, with a
 * fraction ("1.5") or an "s" or "ms" suffix ("250ms"), from the start of
 * the trace, or from its end with a minus sign ("-10": the last 10 s).
 * A bad value, or --since not before --until when both count from the
 * same end, ends the program with status 2 after a message. */
void wr_parse_window(const char *opt, const char *v, struct wr_window *w);

/* WR_WINDOW_HELP: the lines of --help about --since and --until. */
#define WR_WINDOW_HELP                                                                                                 \
    "  --since T, --until T  count only the calls that ended in this window: T in seconds from the\n"                  \
    "                      start of the trace, or from its end when negative (--since -10: the last\n"                 \
    "                      10 s); fractions and ms work (1.5, 250ms). Several traces: each its own\n"                  \
    "                      start and end\n"

/* wr_parse_debuginfo_path: --debuginfo-path DIR[:DIR...], the directories
 * searched first for the debug files of stripped modules
 * (wr_symbols_set_debuginfo_path), or exit 2. */
void wr_parse_debuginfo_path(const char *opt, const char *v);

/* wr_color_default: colour when stdout is a terminal and NO_COLOR is unset. */
int wr_color_default(void);

#endif
