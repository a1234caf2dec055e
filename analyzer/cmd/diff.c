/* diff.c: `waitreport diff OLD NEW`: the two runs' totals (wall, wait,
 * CPU), then their sites matched by symbolized stack (sitekey.h), so two
 * builds and two ASLR layouts compare; deltas per site, the largest change
 * first, whichever its sign, sites that appear or disappear included; and a
 * gate for CI (--threshold). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/builtin.h"
#include "cmd/diff.h"
#include "cmd/options.h"
#include "output/fmt.h"

const char *const wr_diff_metric_names[M_COUNT] = {"calls", "total", "wait", "cpu", "blocked", "runnable"};
/* the same measures of a whole run: a run's total time is its wall time */
const char *const wr_diff_run_names[M_COUNT] = {"calls", "wall", "wait", "cpu", "blocked", "runnable"};

static void usage(FILE *f)
{
    fputs("usage: waitreport diff [options] OLD NEW\n"
          "  Compares two runs: first line, the runs' wall time, wait and CPU (the threads'\n"
          "  summed, as in the report's threads section) and their change; then the sites,\n"
          "  matched by wrapped function and symbolized stack (function names, not\n"
          "  addresses), the largest change in total time first, improvements and\n"
          "  regressions alike. Under a site found in both runs, its largest causes (what\n"
          "  its waits' time was handed on to through the threads that ended them) in\n"
          "  either run and their change. OLD and NEW are traces (or directories of traces).\n"
          "  --json             the comparison as JSON\n"
          "  --threshold PCT    a gate: exit 1 when a gated metric grew by more than PCT percent\n"
          "                     and by more than the floor, for the run's totals or for a site\n"
          "                     found in both runs; a site found only in NEW fails the gate when\n"
          "                     its own value is above the floor and its wrapped function, summed\n"
          "                     over all its sites, grew past the threshold and floor too (work\n"
          "                     moved to a new, cheaper site passes); else exit 0 (2 on bad input)\n"
          "  --metric LIST      gated metrics, comma-separated: total (wall time for the run),\n"
          "                     wait, cpu, blocked, runnable, calls (default total,wait; the\n"
          "                     wait/CPU split ones only when both runs measured it)\n"
          "  --floor MS         a change of MS milliseconds or less never fails the gate, and\n"
          "                     a new site needs more than MS of its own (default 5; --floor-ms\n"
          "                     is the same option)\n"
          "  --floor-calls N    the same for calls (default 10)\n"
          "  --top N            text: rows shown (default 20, 0 = all); --frames N (default 3)\n"
          "  --color|--no-color text: ANSI colour\n"
          "  --debuginfo-path DIR[:DIR...]  debug files of stripped programs (as for the report)\n",
          f);
}

/* parse_metrics: a comma-separated list into bits; exits 2 on a bad name. */
static unsigned parse_metrics(const char *v)
{
    unsigned bits = 0;
    char *dup = strdup(v ? v : ""), *save = NULL;
    for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (int i = 0; i < M_COUNT; i++)
            if (!strcmp(t, wr_diff_metric_names[i]))
                bits |= 1u << i, found = 1;
        if (!found) {
            fprintf(stderr, "waitreport diff: --metric: unknown metric '%s'\n", t);
            exit(2);
        }
    }
    free(dup);
    if (!bits) {
        fprintf(stderr, "waitreport diff: --metric needs at least one metric\n");
        exit(2);
    }
    return bits;
}

/* add_sat: a + b, saturated: a hostile trace can carry any durations. */
static uint64_t add_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* values: the metrics of a keyed site (zeros for NULL). */
static void values(const struct wr_ksite *k, uint64_t v[M_COUNT])
{
    memset(v, 0, M_COUNT * sizeof v[0]);
    if (!k)
        return;
    v[M_CALLS] = k->v.calls;
    v[M_TOTAL] = k->v.total_ns;
    v[M_WAIT] = wr_kval_wait(&k->v);
    v[M_CPU] = wr_kval_cpu(&k->v);
    v[M_BLOCKED] = k->v.blocked_ns;
    v[M_RUNNABLE] = k->v.runnable_ns;
}

/* run_totals: the totals of side d from its models. The wall time of one
 * process is the report's (wr_model.wall_ns); of several, from the first
 * start to the last end, as they ran side by side. Wait and CPU are the
 * report's per-thread figures (threads section) summed over every thread. */
static void run_totals(struct side *d)
{
    uint64_t lo = UINT64_MAX, hi = 0, b = 0, r = 0, cpu = 0;
    memset(d->tot, 0, sizeof d->tot);
    d->threads = 0;
    for (size_t i = 0; i < d->s.n; i++) {
        const struct wr_model *m = &d->s.m[i];
        uint64_t start = m->trace->hdr.start_mono_ns, end = add_sat(start, m->wall_ns);
        lo = start < lo ? start : lo;
        hi = end > hi ? end : hi;
        d->tot[M_CALLS] = add_sat(d->tot[M_CALLS], m->calls);
        d->threads += m->nthreads;
        for (size_t k = 0; k < m->nthreads; k++) {
            const struct wr_thread *t = &m->threads[k];
            b = add_sat(b, t->blocked_ns);
            r = add_sat(r, t->runnable_ns);
            cpu = add_sat(cpu, wr_model_cpu_ns(t->life_ns, t->blocked_ns, t->runnable_ns));
        }
    }
    d->tot[M_TOTAL] = d->s.n == 1 ? d->s.m[0].wall_ns : hi > lo ? hi - lo : 0;
    if (d->split) {
        d->tot[M_BLOCKED] = b;
        d->tot[M_RUNNABLE] = r;
        d->tot[M_WAIT] = add_sat(b, r);
        d->tot[M_CPU] = cpu;
    }
}

/* grew: b is more than floor above a and more than pct percent above it
 * (any growth from 0 is). */
static int grew(uint64_t a, uint64_t b, uint64_t floor, double pct)
{
    if (b <= a || b - a <= floor)
        return 0;
    return a == 0 || (double)(b - a) * 100.0 > pct * (double)a;
}

static uint64_t floor_of(const struct diff_opts *o, int m) { return m == M_CALLS ? o->floor_calls : o->floor_ns; }

/* size: how far old and new differ, whichever way. */
static uint64_t size(const struct drow *r)
{
    uint64_t a = r->v[0][M_TOTAL], b = r->v[1][M_TOTAL];
    return a > b ? a - b : b - a;
}

static int cmp_row(const void *x, const void *y)
{
    const struct drow *a = x, *b = y;
    uint64_t sa = size(a), sb = size(b);
    if (sa != sb)
        return sa > sb ? -1 : 1;
    return strcmp(a->key, b->key);
}

/* load: the traces of one side, their merged table and their totals. 0 or 2. */
static int load(const char *path, struct side *d)
{
    const char *p[1] = {path};
    int r = wr_set_load(&d->s, p, 1, 0, 0, NULL);
    if (r)
        return r;
    d->split = 1;
    for (size_t i = 0; i < d->s.n; i++) {
        d->split &= d->s.m[i].have_switches;
        if (wr_ktable_add(&d->t, &d->s.m[i]) != 0) {
            fprintf(stderr, "waitreport: out of memory\n");
            return 2;
        }
    }
    run_totals(d);
    if (wr_dcauses_load(&d->causes, &d->s) != 0) {
        fprintf(stderr, "waitreport: out of memory\n");
        return 2;
    }
    return 0;
}

/* fmt_pct: the change from a to b as "+3.2%" or "+12%", as "130x" from ten
 * times up (where a percentage has too many digits to read), or "new" from 0. */
static const char *fmt_pct(char *buf, size_t cap, uint64_t a, uint64_t b)
{
    double pct = a ? 100.0 * (double)delta_of(a, b) / (double)a : 0;
    if (a && (double)b >= 10.0 * (double)a)
        snprintf(buf, cap, "%.0fx", (double)b / (double)a);
    else if (a)
        snprintf(buf, cap, pct > -10 && pct < 10 ? "%+.1f%%" : "%+.0f%%", pct);
    else
        snprintf(buf, cap, b ? "new" : "0%%");
    return buf;
}

/* totals_text: the first line, "wall 1.52 s -> 250 ms (-1.27 s, -84%), wait ...". */
static void totals_text(FILE *f, const struct side d[2], int split, unsigned tripped, const char *red, const char *off)
{
    static const int shown[] = {M_TOTAL, M_WAIT, M_CPU};
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
        int m = shown[i];
        if (!split && m != M_TOTAL)
            continue;
        uint64_t a = d[0].tot[m], b = d[1].tot[m];
        char x[32], y[32], dl[32], pc[32];
        fprintf(f, "%s%s %s -> %s (%s, %s)", i ? ", " : "", wr_diff_run_names[m], wr_fmt_ns(x, sizeof x, a),
                wr_fmt_ns(y, sizeof y, b), wr_fmt_delta_ns(dl, sizeof dl, delta_of(a, b)),
                fmt_pct(pc, sizeof pc, a, b));
    }
    if (!split)
        fputs(", wait and cpu not measured in both runs", f);
    if (tripped) {
        fprintf(f, "  %sREGRESSED", red);
        for (int m = 0, c = 0; m < M_COUNT; m++)
            if (tripped & (1u << m))
                fprintf(f, "%c%s", c++ ? ',' : ' ', wr_diff_run_names[m]);
        fputs(off, f);
    }
    fputc('\n', f);
}

/* side_text: "./prog a (pid 1), 2 threads" or "3 processes, 5 threads". */
static void side_text(FILE *f, const char *label, const struct side *d)
{
    const struct wr_set *s = &d->s;
    if (s->n == 1) {
        const struct lw_file_header *h = &s->t[0].hdr;
        char cmd[4 * sizeof h->command];
        fprintf(f, "  %s: %s (pid %u)", label, h->command[0] ? wr_clean(cmd, sizeof cmd, h->command) : s->t[0].path,
                h->pid);
    } else
        fprintf(f, "  %s: %zu processes", label, s->n);
    fprintf(f, ", %zu thread%s\n", d->threads, d->threads == 1 ? "" : "s");
}

/* gated_metrics: the metrics the gate judges: those asked for, less the
 * wait/CPU split's when a run did not measure it. */
static unsigned gated_metrics(const struct diff_opts *o, int split) { return o->metrics & (split ? ~0u : M_UNSPLIT); }

/* gate_text: the gate's settings and its verdict. */
static void gate_text(FILE *f, const struct diff_opts *o, int split, size_t regressed, unsigned tripped,
                      const char *red, const char *green, const char *off)
{
    char fl[32];
    unsigned gated = gated_metrics(o, split);
    fprintf(f, "gate: --threshold %g%%", o->pct);
    if (gated & M_TIMES)
        fprintf(f, " --floor %s", wr_fmt_ns(fl, sizeof fl, o->floor_ns));
    if (gated & (1u << M_CALLS))
        fprintf(f, " --floor-calls %" PRIu64, o->floor_calls);
    fputs(" on ", f);
    for (int m = 0, c = 0; m < M_COUNT; m++)
        if (gated & (1u << m))
            fprintf(f, "%s%s", c++ ? "," : "", wr_diff_metric_names[m]);
    if (!gated)
        fputs("nothing (the metrics asked for need the wait/CPU split)", f);
    if (!regressed && !tripped) {
        fprintf(f, ": %spass%s\n", green, off);
        return;
    }
    fprintf(f, ": %sFAIL%s:", red, off);
    for (int m = 0, c = 0; m < M_COUNT; m++)
        if (tripped & (1u << m))
            fprintf(f, "%s%s", c++ ? "," : " the run's ", wr_diff_run_names[m]);
    if (tripped)
        fprintf(f, " grew%s", regressed ? "," : "");
    if (regressed)
        fprintf(f, " %zu site%s regressed", regressed, regressed == 1 ? "" : "s");
    fputc('\n', f);
}

#define CAUSE_LINES 2 /* text: the causes shown under a site found in both runs */

/* causes_text: under a site found in both runs, its largest causes in
 * either run and their change: "because of: usleep in stage_c (x.c:94)
 * 300 ms -> 100 ms (-200 ms)". None for a site that is its only cause (a
 * sleep, a read from a file): the row says it already. "other" (what a
 * site had no room for) is no cause to name. */
static void causes_text(FILE *f, const struct drow *r, const struct side d[2], const char *dim, const char *off)
{
    struct wr_dchange c[WR_DIFF_CAUSES];
    struct dcsite *h[2] = {d[0].causes, d[1].causes};
    size_t n = wr_dcauses_diff(h, r->key, c, WR_DIFF_CAUSES), shown = 0;
    const struct wr_ksite *k = r->n;
    char self[WR_NAME_CAP];
    snprintf(self, sizeof self, "%s;%s", k->leaf, k->nsym ? k->frames[0].function : "");
    size_t ls = strlen(self);
    if (n == 1 && !strncmp(c[0].key, self, ls) && (c[0].key[ls] == ';' || !c[0].key[ls]))
        return;
    for (size_t i = 0; i < n && shown < CAUSE_LINES; i++) {
        if (!strcmp(c[i].key, "other"))
            continue;
        char a[32], b[32], dl[32], fit[256];
        wr_fit(fit, sizeof fit, c[i].line, 80);
        fprintf(f, "    %sbecause of: %s %s -> %s (%s)%s\n", dim, fit, wr_fmt_ns(a, sizeof a, c[i].ns[0]),
                wr_fmt_ns(b, sizeof b, c[i].ns[1]), wr_fmt_delta_ns(dl, sizeof dl, delta_of(c[i].ns[0], c[i].ns[1])),
                off);
        shown++;
    }
}

static void write_text(FILE *f, struct drow *rows, size_t n, const struct side d[2], int split,
                       const struct diff_opts *o, size_t regressed, unsigned tripped)
{
    const char *bold = o->color ? "\033[1m" : "", *dim = o->color ? "\033[2m" : "", *off = o->color ? "\033[0m" : "",
               *red = o->color ? "\033[31m" : "", *green = o->color ? "\033[32m" : "";
    totals_text(f, d, split, tripped, red, off);
    side_text(f, "old", &d[0]);
    side_text(f, "new", &d[1]);
    if (!split)
        fprintf(f, "wait/CPU split not measured in both runs: wait and cpu are not compared\n");
    if (o->gate)
        gate_text(f, o, split, regressed, tripped, red, green, off);
    fprintf(f, "\n%s  # %-20s %9s %9s %10s %10s %10s %8s %10s %10s  %s%s\n", bold, "function", "calls", "(new)",
            "total", "(new)", "delta", "%", "wait d", "cpu d", "status", off);
    size_t shown = o->top && o->top < n ? o->top : n;
    for (size_t i = 0; i < shown; i++) {
        const struct drow *r = &rows[i];
        const struct wr_ksite *k = r->n ? r->n : r->o;
        char c0[32], c1[32], t0[32], t1[32], td[32], pc[32], wd[32], cd[32];
        if (r->v[0][M_TOTAL])
            fmt_pct(pc, sizeof pc, r->v[0][M_TOTAL], r->v[1][M_TOTAL]);
        else
            snprintf(pc, sizeof pc, "-");
        if (split) {
            wr_fmt_delta_ns(wd, sizeof wd, delta(r, M_WAIT));
            wr_fmt_delta_ns(cd, sizeof cd, delta(r, M_CPU));
        } else {
            snprintf(wd, sizeof wd, "-");
            snprintf(cd, sizeof cd, "-");
        }
        const char *st = !r->o ? "new" : !r->n ? "gone" : "";
        char status[128], mv[32];
        if (r->moved && !r->regressed)
            snprintf(status, sizeof status, "new (moved: %s %s %s)", k->leaf, wr_diff_metric_names[r->moved - 1],
                     r->moved - 1 == M_CALLS ? (snprintf(mv, sizeof mv, "%+" PRId64, r->moved_delta), mv)
                                             : wr_fmt_delta_ns(mv, sizeof mv, r->moved_delta));
        else
            snprintf(status, sizeof status, "%s%s%s", r->regressed ? "REGRESSED" : "", r->regressed && *st ? " " : "",
                     st);
        fprintf(f, "%3zu %s%-20s%s %9s %9s %10s %10s %10s %8s %10s %10s  %s%s%s\n", i + 1, bold, k->leaf, off,
                wr_fmt_count(c0, sizeof c0, r->v[0][M_CALLS]), wr_fmt_count(c1, sizeof c1, r->v[1][M_CALLS]),
                wr_fmt_ns(t0, sizeof t0, r->v[0][M_TOTAL]), wr_fmt_ns(t1, sizeof t1, r->v[1][M_TOTAL]),
                wr_fmt_delta_ns(td, sizeof td, delta(r, M_TOTAL)), pc, wd, cd, r->regressed ? red : "", status, off);
        if (r->o && r->n)
            causes_text(f, r, d, dim, off);
        wr_print_frame_list(f, k->frames, k->nsym, o->frames, dim, off);
    }
    if (shown < n)
        fprintf(f, "... %zu more sites (--top 0 shows all)\n", n - shown);
}

/* gate: which gated metrics of each row and of the totals tripped. A site
 * in both runs trips on growth (grew). A new site trips when it grew from
 * nothing past the floor and its wrapped function, summed over its sites
 * in each run, grew too: a fix that moves a function's work from a gone or
 * shrunk site to a new, cheaper one makes the function shrink and passes,
 * while new work (a function that grew) fails. A gone site never trips.
 * Returns the number of sites that tripped; -1 on out of memory. */
static long gate(struct drow *rows, size_t n, const struct side d[2], int split, const struct diff_opts *o,
                 unsigned *tripped)
{
    unsigned gated = gated_metrics(o, split);
    uint64_t(*fn)[2][M_COUNT] = calloc(LW_F_COUNT, sizeof *fn); /* per function id, per side */
    if (!fn)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const struct wr_ksite *k = rows[i].o ? rows[i].o : rows[i].n;
        unsigned f = k->func < LW_F_COUNT ? k->func : 0;
        for (int s = 0; s < 2; s++)
            for (int m = 0; m < M_COUNT; m++)
                fn[f][s][m] = add_sat(fn[f][s][m], rows[i].v[s][m]);
    }
    long regressed = 0;
    for (size_t i = 0; i < n; i++) {
        struct drow *r = &rows[i];
        const struct wr_ksite *k = r->o ? r->o : r->n;
        unsigned f = k->func < LW_F_COUNT ? k->func : 0;
        for (int m = 0; m < M_COUNT; m++) {
            if (!(gated & (1u << m)) || !grew(r->v[0][m], r->v[1][m], floor_of(o, m), o->pct))
                continue;
            if (r->o || grew(fn[f][0][m], fn[f][1][m], floor_of(o, m), o->pct))
                r->regressed |= 1u << m;
            else if (!r->moved)
                r->moved = 1 + m, r->moved_delta = delta_of(fn[f][0][m], fn[f][1][m]);
        }
        regressed += r->regressed != 0;
    }
    free(fn);
    *tripped = 0;
    for (int m = 0; m < M_COUNT; m++)
        if ((gated & (1u << m)) && grew(d[0].tot[m], d[1].tot[m], floor_of(o, m), o->pct))
            *tripped |= 1u << m;
    return regressed;
}

/* compare: the rows of the two tables, sorted, and the gate applied when
 * asked. NULL on out of memory. */
static struct drow *compare(struct side d[2], size_t *nrows, int split, const struct diff_opts *o, size_t *regressed,
                            unsigned *tripped)
{
    struct wr_ktable *t0 = &d[0].t, *t1 = &d[1].t;
    struct drow *rows = calloc(t0->n + t1->n + 1, sizeof *rows);
    if (!rows)
        return NULL;
    size_t n = 0;
    for (struct wr_ksite *k = t0->h; k; k = k->hh.next)
        rows[n].key = k->key, rows[n].o = k, rows[n++].n = wr_ktable_find(t1, k->key);
    for (struct wr_ksite *k = t1->h; k; k = k->hh.next)
        if (!wr_ktable_find(t0, k->key))
            rows[n].key = k->key, rows[n++].n = k;
    for (size_t i = 0; i < n; i++) {
        values(rows[i].o, rows[i].v[0]);
        values(rows[i].n, rows[i].v[1]);
    }
    *regressed = 0;
    *tripped = 0;
    if (o->gate) {
        long g = gate(rows, n, d, split, o, tripped);
        if (g < 0) {
            free(rows);
            return NULL;
        }
        *regressed = (size_t)g;
    }
    qsort(rows, n, sizeof *rows, cmp_row);
    *nrows = n;
    return rows;
}

int wr_cmd_diff(int argc, char **argv)
{
    struct diff_opts o = {0, -1, 20, 3, 0, 0, 5000000, 10, (1u << M_TOTAL) | (1u << M_WAIT)};
    const char *path[2] = {0};
    int np = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json"))
            o.json = 1;
        else if (!strcmp(a, "--threshold"))
            o.gate = 1, o.pct = wr_parse_real(a, v), i++;
        else if (!strcmp(a, "--floor") || !strcmp(a, "--floor-ms")) {
            double ms = wr_parse_real(a, v);
            o.floor_ns = ms >= 1.8e13 ? UINT64_MAX : (uint64_t)(ms * 1e6);
            i++;
        } else if (!strcmp(a, "--floor-calls"))
            o.floor_calls = wr_parse_count(a, v, UINT64_MAX / 2), i++;
        else if (!strcmp(a, "--metric"))
            o.metrics = parse_metrics(v), i++;
        else if (!strcmp(a, "--top"))
            o.top = wr_parse_count(a, v, 1000000), i++;
        else if (!strcmp(a, "--frames"))
            o.frames = wr_parse_count(a, v, 1000000), i++;
        else if (!strcmp(a, "--debuginfo-path"))
            wr_parse_debuginfo_path(a, v), i++;
        else if (!strcmp(a, "--color"))
            o.color = 1;
        else if (!strcmp(a, "--no-color"))
            o.color = 0;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if ((a[0] == '-' && a[1]) || np == 2) {
            fprintf(stderr, "waitreport diff: %s %s\n", np == 2 ? "unexpected argument" : "unknown option", a);
            usage(stderr);
            return 2;
        } else
            path[np++] = a;
    }
    if (np != 2) {
        usage(stderr);
        return 2;
    }
    if (o.color < 0)
        o.color = wr_color_default();
    struct side d[2];
    memset(d, 0, sizeof d);
    int r = load(path[0], &d[0]);
    if (!r)
        r = load(path[1], &d[1]);
    int split = d[0].split && d[1].split;
    size_t n = 0, regressed = 0;
    unsigned tripped = 0;
    struct drow *rows = NULL;
    if (!r && !(rows = compare(d, &n, split, &o, &regressed, &tripped))) {
        fprintf(stderr, "waitreport: out of memory\n");
        r = 2;
    }
    if (!r) {
        if (o.json)
            wr_diff_json(stdout, rows, n, d, split, &o, regressed, tripped);
        else
            write_text(stdout, rows, n, d, split, &o, regressed, tripped);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            perror("waitreport: writing the diff");
            r = 2;
        } else
            r = o.gate && (regressed || tripped) ? 1 : 0;
    }
    free(rows);
    for (int i = 0; i < 2; i++) {
        wr_ktable_free(&d[i].t);
        wr_dcauses_free(&d[i].causes);
        wr_set_free(&d[i].s);
    }
    return r;
}
