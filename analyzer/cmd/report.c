/* cmd_report.c: the default command: read the traces, then write the
 * text or JSON report (one process, or several), or the exports asked for. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cmd/options.h"
#include "output/export.h"

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

int wr_cmd_report(const struct wr_cli *c)
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
        struct wr_processes_req q = {c->paths, c->npaths, c->have_pid, c->pid, &c->filter, c->merge_line, &c->o, c->json};
        int r = wr_report_processes(&q, stdout);
        return r == 2 ? 2 : r != 0 || close_out(stdout, "the report") != 0 ? 2 : 0;
    }
    struct wr_set s;
    struct wr_build b = {.filter = &c->filter, .merge_line = c->merge_line, .per_thread = c->html != NULL};
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
