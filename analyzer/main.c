/* main.c: the waitreport command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

static void usage(FILE *f)
{
    fputs("usage: waitreport [--json] [--top N] [--frames N] [--color|--no-color] TRACE\n"
          "  Reports, for every call site (wrapped function + stack), the calls\n"
          "  libwait recorded and the time they took.\n"
          "  --json       the report as JSON (see README)\n"
          "  --top N      text: show the N sites with most total time (default 20, 0 = all)\n"
          "  --frames N   text: frames shown per site (default 4)\n",
          f);
}

/* parse_count: a whole number for option opt, or exit 2. */
static size_t parse_count(const char *opt, const char *v)
{
    char *end;
    if (!v || !*v || *v == '-') {
        fprintf(stderr, "waitreport: %s needs a whole number\n", opt);
        exit(2);
    }
    unsigned long long n = strtoull(v, &end, 10);
    if (*end || n > 1000000) {
        fprintf(stderr, "waitreport: %s: bad number '%s'\n", opt, v);
        exit(2);
    }
    return (size_t)n;
}

int wr_cmd_top(int argc, char **argv); /* cmd_top.c */
int wr_cmd_ctl(int argc, char **argv); /* cmd_ctl.c */

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "top"))
        return wr_cmd_top(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "ctl"))
        return wr_cmd_ctl(argc - 1, argv + 1);
    int json = 0, color = -1;
    struct wr_opts o = { 0, 20, 4 };
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--top"))
            o.top = parse_count(a, i + 1 < argc ? argv[++i] : NULL);
        else if (!strcmp(a, "--frames"))
            o.frames = parse_count(a, i + 1 < argc ? argv[++i] : NULL);
        else if (!strcmp(a, "--color"))
            color = 1;
        else if (!strcmp(a, "--no-color"))
            color = 0;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "waitreport: unknown option %s\n", a);
            usage(stderr);
            return 2;
        } else if (path) {
            fprintf(stderr, "waitreport: one trace at a time\n");
            return 2;
        } else
            path = a;
    }
    if (!path) {
        usage(stderr);
        return 2;
    }
    if (color < 0)
        color = isatty(1) && !getenv("NO_COLOR");
    o.color = color;
    struct wr_trace t = { 0 };
    char err[512];
    if (wr_trace_open(&t, path, err, sizeof err) != 0) {
        fprintf(stderr, "waitreport: %s\n", err);
        return 2;
    }
    struct wr_model m;
    if (wr_model_build(&m, &t) != 0) {
        fprintf(stderr, "waitreport: %s: out of memory\n", path);
        return 2;
    }
    int r = json ? wr_report_json(&m, &o, stdout) : wr_report_text(&m, &o, stdout);
    wr_model_free(&m);
    wr_trace_close(&t);
    if (r != 0 || fflush(stdout) != 0) {
        perror("waitreport: writing the report");
        return 2;
    }
    return 0;
}
