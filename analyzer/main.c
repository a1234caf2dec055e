/* main.c: the waitreport command line: subcommand dispatch, and the
 * options of the report (the default command). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/options.h"

static void usage(FILE *f)
{
    fputs("usage: waitreport [options] TRACE...   report (several traces: one per process, or a directory)\n"
          "       waitreport diff [options] OLD NEW  compare two runs (waitreport diff --help)\n"
          "       waitreport record [-o PATTERN] [--] PROG ARGS...  run PROG under libwait.so\n"
          "       waitreport top [options] TRACE    watch a running program (waitreport top --help)\n"
          "       waitreport ctl TRACE pause|resume|status  pause or resume its recording\n"
          "  Reports, for every call site (wrapped function + stack), the calls\n"
          "  libwait recorded and the time they took.\n"
          "  --json              the report as JSON (see README)\n"
          "  --top N             text: show the N sites with most total time (default 20, 0 = all)\n"
          "  --frames N          text: frames shown per site (default 4)\n"
          "  --all-locks         text, HTML: list every lock, also those no thread waited on\n"
          "  --color|--no-color  text: ANSI colour (default: on a terminal, unless NO_COLOR is set)\n"
          "  --pid N             only the trace(s) of process N\n"
          "  --tid N[,N...]      count only the calls of these threads (repeatable)\n"
          "  --thread NAME       count only the calls of threads named NAME, a glob ('worker*') matched\n"
          "                      against the name the report shows (repeatable; with --tid: both must match)\n"
          "  --merge stack|line  a site is a function and its stack (stack, the default), or every stack\n"
          "                      that shows the same frames, file:line by file:line (line)\n"
          "  --folded=KIND       folded stacks for flame graphs; KIND is wait, cpu, blocked, runnable,\n"
          "                      total, calls or bytes\n"
          "  --chrome FILE|-     Chrome Trace Event JSON (Perfetto): calls, threads, off-CPU intervals\n"
          "  --chrome-min-us N   --chrome: calls and off-CPU intervals shorter than N us are left out (10)\n"
          "  --chrome-max-events N  --chrome: at most N events; the threshold rises to fit (1000000)\n"
          "  --html FILE         one self-contained HTML report\n"
          "  --pprof FILE|-      gzipped profile.proto for go tool pprof, speedscope, Pyroscope: a sample\n"
          "                      per site and thread (calls, wait, cpu, blocked, runnable, bytes)\n"
          "  --debuginfo-path DIR[:DIR...]  debug files of stripped programs: searched in\n"
          "                      DIR/.build-id/ before /usr/lib/debug (then DEBUGINFOD_URLS servers)\n"
          "  With --folded, --chrome, --html or --pprof, only those outputs are written.\n",
          f);
}

/* opt_value: the value of "--opt=V" or "--opt V"; advances *i. NULL when
 * argv[*i] is not opt. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt)
{
    size_t l = strlen(opt);
    if (strncmp(argv[*i], opt, l) != 0)
        return NULL;
    if (argv[*i][l] == '=')
        return argv[*i] + l + 1;
    if (argv[*i][l])
        return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "waitreport: %s needs a value\n", opt);
        exit(2);
    }
    return argv[++*i];
}

/* add_tids: the thread ids of "--tid N[,N...]" v into c's filter; exit 2
 * on a bad number or out of memory. */
static void add_tids(struct wr_cli *c, const char *opt, const char *v)
{
    for (const char *p = v;; p++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char num[16] = "";
        if (len < sizeof num)
            memcpy(num, p, len), num[len] = 0;
        else
            snprintf(num, sizeof num, "x"); /* too long for a tid: refused below */
        uint32_t *t = realloc((void *)c->filter.tids, (c->filter.ntids + 1) * sizeof *t);
        if (!t)
            exit(2);
        t[c->filter.ntids++] = (uint32_t)wr_parse_count(opt, num, UINT32_MAX);
        c->filter.tids = t;
        if (!e)
            break;
        p = e;
    }
}

int wr_cmd_top(int argc, char **argv); /* cmd_top.c */
int wr_cmd_ctl(int argc, char **argv); /* cmd_ctl.c */
int wr_cmd_record(int argc, char **argv); /* cmd_record.c */

/* cli_free: what main allocated for c. Every return of main goes through
 * it: under ASan a leak report ends the process from exit, before stdio's
 * buffers are flushed, so a leak would also lose the output. */
static void cli_free(struct wr_cli *c)
{
    free(c->paths);
    free((void *)c->filter.names);
    free((void *)c->filter.tids);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "top"))
        return wr_cmd_top(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "ctl"))
        return wr_cmd_ctl(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "diff"))
        return wr_cmd_diff(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "record"))
        return wr_cmd_record(argc - 1, argv + 1);
    struct wr_cli c = {.o = {0, 20, 4}, .chrome_min_ns = 10000, .chrome_max_events = 1000000};
    int color = -1;
    c.paths = calloc((size_t)argc, sizeof *c.paths);
    const char **names = calloc((size_t)argc, sizeof *names);
    c.filter.names = names;
    if (!c.paths || !names) {
        cli_free(&c);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "--json"))
            c.json = 1;
        else if ((v = opt_value(argc, argv, &i, "--top")))
            c.o.top = wr_parse_count(a, v, 1000000);
        else if ((v = opt_value(argc, argv, &i, "--frames")))
            c.o.frames = wr_parse_count(a, v, 1000000);
        else if (!strcmp(a, "--all-locks"))
            c.o.all_locks = 1;
        else if (!strcmp(a, "--color"))
            color = 1;
        else if (!strcmp(a, "--no-color"))
            color = 0;
        else if ((v = opt_value(argc, argv, &i, "--pid")))
            c.have_pid = 1, c.pid = (uint32_t)wr_parse_count(a, v, UINT32_MAX);
        else if ((v = opt_value(argc, argv, &i, "--tid")))
            add_tids(&c, a, v);
        else if ((v = opt_value(argc, argv, &i, "--thread")))
            names[c.filter.nnames++] = v;
        else if ((v = opt_value(argc, argv, &i, "--merge"))) {
            if (strcmp(v, "stack") && strcmp(v, "line")) {
                fprintf(stderr, "waitreport: --merge is stack or line\n");
                exit(2);
            }
            c.merge_line = !strcmp(v, "line");
        } else if ((v = opt_value(argc, argv, &i, "--folded")))
            c.folded = v;
        else if ((v = opt_value(argc, argv, &i, "--chrome-min-us")))
            c.chrome_min_ns = wr_parse_count(a, v, 3600ull * 1000000) * 1000;
        else if ((v = opt_value(argc, argv, &i, "--chrome-max-events")))
            c.chrome_max_events = wr_parse_count(a, v, 100000000);
        else if ((v = opt_value(argc, argv, &i, "--chrome")))
            c.chrome = v;
        else if ((v = opt_value(argc, argv, &i, "--html")))
            c.html = v;
        else if ((v = opt_value(argc, argv, &i, "--debuginfo-path")))
            wr_parse_debuginfo_path(a, v);
        else if ((v = opt_value(argc, argv, &i, "--pprof")))
            c.pprof = v;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            cli_free(&c);
            return 0;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "waitreport: unknown option %s\n", a);
            usage(stderr);
            cli_free(&c);
            return 2;
        } else
            c.paths[c.npaths++] = a;
    }
    if (!c.npaths) {
        usage(stderr);
        cli_free(&c);
        return 2;
    }
    c.o.color = color < 0 ? wr_color_default() : color;
    int r = wr_cmd_report(&c);
    cli_free(&c);
    return r;
}
