/* report.c: the default command: parse the report's options, read the
 * traces, then write the text or JSON report (one process, or several), or
 * the exports asked for. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/builtin.h"
#include "cmd/options.h"
#include "output/export.h"

/* wr_cli: what the command line asks of the report. */
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
    struct wr_window window;  /* --since, --until: the calls counted */
    int merge_line;           /* --merge line */
    const char *pprof;        /* --pprof FILE or "-", or NULL */
    const char *crit_mark;    /* --critical-path MARK, or NULL */
};

/* open_out: path for writing ("-" is stdout); NULL after a message. */
static FILE *open_out(const char *path)
{
    if (!strcmp(path, "-"))
        return stdout;
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "waitreport: %s: %s\n", path, strerror(errno));
    return f;
}

/* close_out: flush and close f (not stdout); 0, or -1 after a message. */
static int close_out(FILE *f, const char *path)
{
    int r = fflush(f) != 0 || ferror(f);
    if (f != stdout)
        r |= fclose(f) != 0;
    if (r)
        fprintf(stderr, "waitreport: writing %s: %s\n", path, strerror(errno));
    return r ? -1 : 0;
}

enum { EXP_CHROME, EXP_HTML, EXP_PPROF };

/* run_export: write one export (EXP_*) to path; 0 or 2. */
static int run_export(struct wr_set *s, const struct wr_cli *c, const char *path, int kind)
{
    FILE *f = open_out(path);
    if (!f)
        return 2;
    int r = kind == EXP_HTML    ? wr_report_html(s, &c->o, f)
            : kind == EXP_PPROF ? wr_export_pprof(s, f)
                                : wr_export_chrome(s, c->chrome_min_ns, c->chrome_max_events, f);
    if (close_out(f, path) != 0 || r != 0)
        return 2;
    if (f != stdout)
        fprintf(stderr, "waitreport: wrote %s\n", path);
    return 0;
}

/* report: the report (text, JSON, exports) of c; the exit status. */
static int report(const struct wr_cli *c)
{
    int kind = -1;
    if (c->folded && (kind = wr_fold_kind_parse(c->folded)) < 0) {
        fprintf(stderr, "waitreport: --folded=%s: the kind is wait, cpu, blocked, runnable, total, calls or bytes\n",
                c->folded);
        return 2;
    }
    if (c->folded && c->chrome && !strcmp(c->chrome, "-")) {
        fprintf(stderr, "waitreport: --folded and --chrome - both write to stdout\n");
        return 2;
    }
    if (c->html && !strcmp(c->html, "-") && (c->folded || (c->chrome && !strcmp(c->chrome, "-")))) {
        fprintf(stderr, "waitreport: only one output can go to stdout\n");
        return 2;
    }
    if (c->pprof && !strcmp(c->pprof, "-")) {
        if (c->folded || (c->chrome && !strcmp(c->chrome, "-")) || (c->html && !strcmp(c->html, "-"))) {
            fprintf(stderr, "waitreport: only one output can go to stdout\n");
            return 2;
        }
        if (isatty(1)) {
            fprintf(stderr, "waitreport: --pprof -: the profile is binary (gzip); redirect it to a file\n");
            return 2;
        }
    }
    if (kind < 0 && !c->chrome && !c->html && !c->pprof) {
        struct wr_processes_req q = {c->paths,      c->npaths, c->have_pid, c->pid,     &c->filter,
                                     c->merge_line, &c->o,     c->json,     &c->window, c->crit_mark};
        int r = wr_report_processes(&q, stdout);
        return r == 2 ? 2 : r != 0 || close_out(stdout, "the report") != 0 ? 2 : 0;
    }
    struct wr_set s;
    struct wr_build b = {.filter = &c->filter,
                         .window = &c->window,
                         .merge_line = c->merge_line,
                         .per_thread = c->html != NULL,
                         .wake_links = c->chrome != NULL,
                         .crit_mark = c->crit_mark};
    int r = wr_set_load(&s, c->paths, c->npaths, c->have_pid, c->pid, &b);
    if (r) {
        wr_set_free(&s);
        return r;
    }
    if (kind >= 0 && wr_fold_needs_split(kind)) {
        for (size_t i = 0; i < s.n; i++)
            if (!s.m[i].have_switches) {
                fprintf(stderr,
                        "waitreport: %s: no wait/CPU split in this trace; --folded=%s needs it "
                        "(use total or calls)\n",
                        s.t[i].path, c->folded);
                wr_set_free(&s);
                return 2;
            }
    }
    if (kind >= 0) {
        r = wr_export_folded(&s, kind, stdout) != 0 || close_out(stdout, "folded stacks") != 0 ? 2 : 0;
    }
    if (!r && c->chrome)
        r = run_export(&s, c, c->chrome, EXP_CHROME);
    if (!r && c->html)
        r = run_export(&s, c, c->html, EXP_HTML);
    if (!r && c->pprof)
        r = run_export(&s, c, c->pprof, EXP_PPROF);
    wr_set_free(&s);
    return r;
}

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
          "  --frames N          text: frames shown per site (default 4); rows that read the same over\n"
          "                      them also show the first frame that tells them apart\n"
          "  --all-locks         text, HTML: list every lock, also those no thread waited on\n"
          "  --color|--no-color  text: ANSI colour (default: on a terminal, unless NO_COLOR is set)\n"
          "  --pid N             only the trace(s) of process N\n"
          "  --tid N[,N...]      count only the calls of these threads (repeatable)\n"
          "  --thread NAME       count only the calls of threads named NAME, a glob ('worker*') matched\n"
          "                      against the name the report shows (repeatable; with --tid: both must "
          "match)\n" WR_WINDOW_HELP
          "  --critical-path MARK  the critical path of the intervals from each libwait_mark(MARK) to its\n"
          "                      thread's next mark (or end), not of the main thread's (or --tid's) life\n"
          "  --merge stack|line  a site is a function and its stack (stack, the default), or every stack\n"
          "                      that shows the same frames, file:line by file:line (line)\n"
          "  --folded=KIND       folded stacks for flame graphs; KIND is wait, cpu, blocked, runnable,\n"
          "                      total, calls or bytes\n"
          "  --chrome FILE|-     Chrome Trace Event JSON (Perfetto): calls, threads, off-CPU intervals,\n"
          "                      arrows from each waker's call to the wait it ended\n"
          "  --chrome-min-us N   --chrome: calls and off-CPU intervals shorter than N us are left out (10)\n"
          "  --chrome-max-events N  --chrome: at most N events; the threshold rises to fit (1000000)\n"
          "  --html FILE         one self-contained HTML report (with the wait-for graph of threads)\n"
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

/* cli_free: what main allocated for c. Every return of main goes through
 * it: under ASan a leak report ends the process from exit, before stdio's
 * buffers are flushed, so a leak would also lose the output. */
static void cli_free(struct wr_cli *c)
{
    free(c->paths);
    free((void *)c->filter.names);
    free((void *)c->filter.tids);
}

int wr_cmd_report(int argc, char **argv)
{
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
        else if ((v = opt_value(argc, argv, &i, "--since")) || (v = opt_value(argc, argv, &i, "--until")))
            wr_parse_window(strncmp(a, "--since", 7) ? "--until" : "--since", v, &c.window);
        else if ((v = opt_value(argc, argv, &i, "--critical-path")))
            c.crit_mark = v;
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
    int r = report(&c);
    cli_free(&c);
    return r;
}
