/* builtin.h: the commands of waitreport, one file each in cmd/, which
 * main.c's table commands[] dispatches to. Each gets the command line from
 * its own name on (argv[0]: "diff", "top", ...; the report, the default
 * command, gets waitreport's whole argv), parses its own options, and
 * returns the process's exit status. */
#ifndef WR_BUILTIN_H
#define WR_BUILTIN_H

/* wr_cmd_report: `waitreport [options] TRACE...`: the report, or the
 * exports asked for; 0, or 2 on bad input or a write error. */
int wr_cmd_report(int argc, char **argv);

/* wr_cmd_diff: `waitreport diff [options] OLD NEW`: 0, 1 when the
 * --threshold gate trips, 2 on bad input. */
int wr_cmd_diff(int argc, char **argv);

/* wr_cmd_top: `waitreport top [options] TRACE`: a live view of a run. */
int wr_cmd_top(int argc, char **argv);

/* top_pprof.c: top's --pprof-every DIR. wr_top_pprof_dir: DIR made if
 * missing, and writable; 0, or -1 after a message. wr_top_pprof_write: the
 * profile of the interval t's last update closed, into DIR under its name
 * (named on stderr when verbose); nothing when the run was over and read
 * at the last file already. 0, or -1 after a message. */
struct wr_top;
int wr_top_pprof_dir(const char *dir);
int wr_top_pprof_write(struct wr_top *t, const char *dir, int verbose);

/* wr_cmd_record: `waitreport record [-o PATTERN] [--] PROG ARGS...`:
 * PROG run under libwait.so. */
int wr_cmd_record(int argc, char **argv);

/* wr_cmd_ctl: `waitreport ctl TRACE pause|resume|status`. */
int wr_cmd_ctl(int argc, char **argv);

/* wr_ctl_set: write paused (0/1) into path's control line; -1 only reads
 * (ctl.c, used by top too). Returns the value now in force (0/1; only
 * reading, 2/3 = the same when the process has exited), -2 when asked to
 * write but the process that wrote the trace has exited (nothing written:
 * no process listens), or -1 after a message on stderr (none when quiet). */
int wr_ctl_set(const char *path, int paused, int quiet);

#endif
