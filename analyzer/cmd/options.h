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

/* wr_parse_debuginfo_path: --debuginfo-path DIR[:DIR...], the directories
 * searched first for the debug files of stripped modules
 * (wr_symbols_set_debuginfo_path), or exit 2. */
void wr_parse_debuginfo_path(const char *opt, const char *v);

/* wr_color_default: colour when stdout is a terminal and NO_COLOR is unset. */
int wr_color_default(void);

#endif
