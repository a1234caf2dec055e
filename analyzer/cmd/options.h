/* cli.h: what the command line asks of waitreport, and the subcommands.
 * main.c parses the report options; each subcommand parses its own. */
#ifndef WR_CLI_H
#define WR_CLI_H

#include "model/traces.h"
#include "output/report.h"

struct wr_cli {
    struct wr_opts o;
    int json;
    const char **paths; /* traces or directories of traces */
    size_t npaths;
    int have_pid; /* --pid: keep only this process */
    uint32_t pid;
    const char *folded;       /* --folded=KIND, or NULL */
    const char *chrome;       /* --chrome FILE or "-", or NULL */
    uint64_t chrome_min_ns;   /* --chrome-min-us, in ns */
    size_t chrome_max_events; /* --chrome-max-events */
    const char *html;         /* --html FILE, or NULL */
    struct wr_filter filter;  /* --tid, --thread: the threads counted */
    int merge_line;           /* --merge line */
    const char *pprof;        /* --pprof FILE or "-", or NULL */
};

/* wr_cmd_report: the report (text, JSON, exports) of c; the exit status. */
int wr_cmd_report(const struct wr_cli *c);

/* wr_cmd_diff: `waitreport diff [options] OLD NEW` (argv[0] is "diff");
 * the exit status: 0, 1 when the --threshold gate trips, 2 on bad input. */
int wr_cmd_diff(int argc, char **argv);

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
