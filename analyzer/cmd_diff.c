/* cmd_diff.c: `waitreport diff OLD NEW`: sites of two runs matched by
 * symbolized stack (sitekey.h), so two builds and two ASLR layouts
 * compare; deltas per site, largest total-time growth first, sites that
 * appear or disappear included; and a gate for CI (--threshold). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "oututil.h"
#include "sitekey.h"

enum { M_CALLS, M_TOTAL, M_WAIT, M_CPU, M_BLOCKED, M_RUNNABLE, M_COUNT };
static const char *const metric_names[M_COUNT] = {"calls", "total", "wait", "cpu", "blocked", "runnable"};

struct diff_opts {
    int json, color;
    size_t top, frames;
    int gate;             /* --threshold given */
    double pct;           /* --threshold PCT */
    uint64_t floor_ns;    /* --floor-ms, as ns */
    uint64_t floor_calls; /* --floor-calls */
    unsigned metrics;     /* bit per M_*: what the gate looks at */
};

struct drow {
    const char *key;
    struct wr_ksite *o, *n; /* either may be NULL */
    uint64_t v[2][M_COUNT]; /* old, new */
    unsigned regressed;     /* bit per M_* that tripped the gate */
};

static void usage(FILE *f)
{
    fputs("usage: waitreport diff [options] OLD NEW\n"
          "  Matches the sites of two runs by wrapped function and symbolized stack\n"
          "  (function names, not addresses) and prints the change per site, the largest\n"
          "  growth in total time first. OLD and NEW are traces (or directories of traces).\n"
          "  --json             the comparison as JSON\n"
          "  --threshold PCT    exit 1 when a site grew by more than PCT percent in a gated metric\n"
          "                     and by more than the floor; else exit 0 (2 on bad input)\n"
          "  --metric LIST      gated metrics, comma-separated: total, wait, cpu, blocked, runnable,\n"
          "                     calls (default total,wait; wait only when both runs measured it)\n"
          "  --floor-ms MS      growth below MS milliseconds never trips the gate (default 5)\n"
          "  --floor-calls N    growth of N calls or fewer never trips the gate (default 10)\n"
          "  --top N            text: rows shown (default 20, 0 = all); --frames N (default 3)\n"
          "  --color|--no-color text: ANSI colour\n",
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
            if (!strcmp(t, metric_names[i]))
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

static int64_t delta(const struct drow *r, int m) { return (int64_t)(r->v[1][m] - r->v[0][m]); }

/* trips: metric m of row r grew past the threshold and the floor. */
static int trips(const struct drow *r, int m, const struct diff_opts *o)
{
    uint64_t a = r->v[0][m], b = r->v[1][m];
    uint64_t floor = m == M_CALLS ? o->floor_calls : o->floor_ns;
    if (b <= a || b - a <= floor)
        return 0;
    return a == 0 || (double)(b - a) * 100.0 > o->pct * (double)a;
}

static int cmp_row(const void *x, const void *y)
{
    const struct drow *a = x, *b = y;
    int64_t da = delta(a, M_TOTAL), db = delta(b, M_TOTAL);
    if (da != db)
        return da > db ? -1 : 1;
    return strcmp(a->key, b->key);
}

/* load: the traces of one side into s and its merged table t. 0 or 2. */
static int load(const char *path, struct wr_set *s, struct wr_ktable *t, int *split)
{
    const char *p[1] = {path};
    int r = wr_set_load(s, p, 1, 0, 0, NULL);
    if (r)
        return r;
    *split = 1;
    for (size_t i = 0; i < s->n; i++) {
        *split &= s->m[i].have_switches;
        if (wr_ktable_add(t, &s->m[i]) != 0) {
            fprintf(stderr, "waitreport: out of memory\n");
            return 2;
        }
    }
    return 0;
}

static void side_json(FILE *f, const char *name, const struct wr_set *s)
{
    fprintf(f, "\"%s\":{\"processes\":[", name);
    for (size_t i = 0; i < s->n; i++) {
        fprintf(f, "%s{\"path\":", i ? "," : "");
        wr_json_str(f, s->t[i].path);
        fprintf(f, ",\"pid\":%u,\"command\":", s->t[i].hdr.pid);
        wr_json_str(f, s->t[i].hdr.command);
        fputc('}', f);
    }
    fputs("]}", f);
}

static void write_json(FILE *f, struct drow *rows, size_t n, const struct wr_set *s, int split,
                       const struct diff_opts *o, size_t regressed)
{
    static const char *const jn[M_COUNT] = {"calls", "total_ns", "wait_ns", "cpu_ns", "blocked_ns", "runnable_ns"};
    fputs("{\"version\":1,", f);
    side_json(f, "old", &s[0]);
    fputc(',', f);
    side_json(f, "new", &s[1]);
    fprintf(f, ",\"split\":%s,\"gate\":{\"threshold_pct\":", split ? "true" : "false");
    if (o->gate)
        fprintf(f, "%g", o->pct);
    else
        fputs("null", f);
    fprintf(f, ",\"floor_ns\":%" PRIu64 ",\"floor_calls\":%" PRIu64 ",\"metrics\":[", o->floor_ns, o->floor_calls);
    for (int m = 0, c = 0; m < M_COUNT; m++)
        if (o->metrics & (1u << m))
            fprintf(f, "%s\"%s\"", c++ ? "," : "", metric_names[m]);
    fprintf(f, "],\"regressed\":%zu},\"sites\":[", regressed);
    for (size_t i = 0; i < n; i++) {
        const struct drow *r = &rows[i];
        const struct wr_ksite *k = r->n ? r->n : r->o;
        fputs(i ? ",{\"function\":" : "{\"function\":", f);
        wr_json_str(f, k->leaf);
        fputs(",\"family\":", f);
        wr_json_str(f, wr_model_family(k->func));
        fputs(",\"key\":", f);
        wr_json_str(f, k->key);
        fprintf(f, ",\"status\":\"%s\",\"regressed\":%s",
                !r->o   ? "new"
                : !r->n ? "gone"
                        : "both",
                r->regressed ? "true" : "false");
        for (int m = 0; m < M_COUNT; m++) {
            if (m != M_CALLS && m != M_TOTAL && !split) {
                fprintf(f, ",\"%s_old\":null,\"%s_new\":null,\"%s_delta\":null", jn[m], jn[m], jn[m]);
                continue;
            }
            fprintf(f, ",\"%s_old\":%" PRIu64 ",\"%s_new\":%" PRIu64 ",\"%s_delta\":%" PRId64, jn[m], r->v[0][m], jn[m],
                    r->v[1][m], jn[m], delta(r, m));
        }
        static const struct {
            const char *name;
            double q;
        } qs[] = {{"p50_ns", 0.5}, {"p99_ns", 0.99}, {"max_ns", 1.0}};
        for (size_t q = 0; q < sizeof qs / sizeof qs[0]; q++)
            fprintf(f, ",\"%s_old\":%" PRIu64 ",\"%s_new\":%" PRIu64, qs[q].name,
                    r->o ? wr_hist_quantile(&r->o->hist, qs[q].q) : 0, qs[q].name,
                    r->n ? wr_hist_quantile(&r->n->hist, qs[q].q) : 0);
        fputs(",\"total_pct\":", f);
        if (r->v[0][M_TOTAL])
            fprintf(f, "%.2f", 100.0 * (double)delta(r, M_TOTAL) / (double)r->v[0][M_TOTAL]);
        else
            fputs("null", f);
        fputs(",\"stack\":", f);
        wr_json_frame_list(f, k->frames, k->nsym);
        fputc('}', f);
    }
    fputs("]}\n", f);
}

/* side_text: "./prog a (pid 1)" or "3 processes" for one side. */
static void side_text(FILE *f, const char *label, const struct wr_set *s)
{
    if (s->n == 1)
        fprintf(f, "  %s: %s (pid %u)\n", label, s->t[0].hdr.command[0] ? s->t[0].hdr.command : s->t[0].path,
                s->t[0].hdr.pid);
    else
        fprintf(f, "  %s: %zu processes\n", label, s->n);
}

static void write_text(FILE *f, struct drow *rows, size_t n, const struct wr_set *s, int split,
                       const struct diff_opts *o, size_t regressed)
{
    const char *bold = o->color ? "\033[1m" : "", *dim = o->color ? "\033[2m" : "", *off = o->color ? "\033[0m" : "",
               *red = o->color ? "\033[31m" : "", *green = o->color ? "\033[32m" : "";
    fprintf(f, "%swaitreport diff%s\n", bold, off);
    side_text(f, "old", &s[0]);
    side_text(f, "new", &s[1]);
    if (!split)
        fprintf(f, "wait/CPU split not measured in both runs: wait and cpu are not compared\n");
    if (o->gate) {
        fprintf(f, "gate: ");
        for (int m = 0, c = 0; m < M_COUNT; m++)
            if (o->metrics & (1u << m))
                fprintf(f, "%s%s", c++ ? "," : "", metric_names[m]);
        char fl[32];
        fprintf(f, " grew by more than %g%% and by more than ", o->pct);
        if (o->metrics & ~(1u << M_CALLS))
            fprintf(f, "%s%s", wr_fmt_ns(fl, sizeof fl, o->floor_ns),
                    o->metrics & (1u << M_CALLS) ? " (time) or " : "");
        if (o->metrics & (1u << M_CALLS))
            fprintf(f, "%" PRIu64 " calls", o->floor_calls);
        fprintf(f, ": %s%zu site%s regressed%s\n", regressed ? red : green, regressed, regressed == 1 ? "" : "s", off);
    }
    fprintf(f, "\n%s  # %-20s %9s %9s %10s %10s %10s %8s %10s %10s  %s%s\n", bold, "function", "calls", "(new)",
            "total", "(new)", "delta", "%", "wait d", "cpu d", "status", off);
    size_t shown = o->top && o->top < n ? o->top : n;
    for (size_t i = 0; i < shown; i++) {
        const struct drow *r = &rows[i];
        const struct wr_ksite *k = r->n ? r->n : r->o;
        char c0[32], c1[32], t0[32], t1[32], td[32], pc[32], wd[32], cd[32];
        if (r->v[0][M_TOTAL])
            snprintf(pc, sizeof pc, "%+.0f%%", 100.0 * (double)delta(r, M_TOTAL) / (double)r->v[0][M_TOTAL]);
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
        char status[32];
        snprintf(status, sizeof status, "%s%s%s", r->regressed ? "REGRESSED" : "", r->regressed && *st ? " " : "", st);
        fprintf(f, "%3zu %s%-20s%s %9s %9s %10s %10s %10s %8s %10s %10s  %s%s%s\n", i + 1, bold, k->leaf, off,
                wr_fmt_count(c0, sizeof c0, r->v[0][M_CALLS]), wr_fmt_count(c1, sizeof c1, r->v[1][M_CALLS]),
                wr_fmt_ns(t0, sizeof t0, r->v[0][M_TOTAL]), wr_fmt_ns(t1, sizeof t1, r->v[1][M_TOTAL]),
                wr_fmt_delta_ns(td, sizeof td, delta(r, M_TOTAL)), pc, wd, cd, r->regressed ? red : "", status, off);
        wr_print_frame_list(f, k->frames, k->nsym, o->frames, dim, off);
    }
    if (shown < n)
        fprintf(f, "... %zu more sites (--top 0 shows all)\n", n - shown);
}

/* compare: build the rows of the two tables and apply the gate. NULL on
 * out of memory. */
static struct drow *compare(struct wr_ktable t[2], size_t *nrows, int split, struct diff_opts *o, size_t *regressed)
{
    struct drow *rows = calloc(t[0].n + t[1].n + 1, sizeof *rows);
    if (!rows)
        return NULL;
    size_t n = 0;
    for (struct wr_ksite *k = t[0].h; k; k = k->hh.next)
        rows[n].key = k->key, rows[n].o = k, rows[n++].n = wr_ktable_find(&t[1], k->key);
    for (struct wr_ksite *k = t[1].h; k; k = k->hh.next)
        if (!wr_ktable_find(&t[0], k->key))
            rows[n].key = k->key, rows[n++].n = k;
    unsigned gated = o->metrics;
    if (!split)
        gated &= (1u << M_CALLS) | (1u << M_TOTAL);
    *regressed = 0;
    for (size_t i = 0; i < n; i++) {
        values(rows[i].o, rows[i].v[0]);
        values(rows[i].n, rows[i].v[1]);
        for (int m = 0; o->gate && m < M_COUNT; m++)
            if ((gated & (1u << m)) && trips(&rows[i], m, o))
                rows[i].regressed |= 1u << m;
        *regressed += rows[i].regressed != 0;
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
        else if (!strcmp(a, "--floor-ms"))
            o.floor_ns = (uint64_t)(wr_parse_real(a, v) * 1e6), i++;
        else if (!strcmp(a, "--floor-calls"))
            o.floor_calls = wr_parse_count(a, v, UINT64_MAX / 2), i++;
        else if (!strcmp(a, "--metric"))
            o.metrics = parse_metrics(v), i++;
        else if (!strcmp(a, "--top"))
            o.top = wr_parse_count(a, v, 1000000), i++;
        else if (!strcmp(a, "--frames"))
            o.frames = wr_parse_count(a, v, 1000000), i++;
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
    struct wr_set s[2];
    struct wr_ktable t[2] = {{0}, {0}};
    int split[2] = {0, 0}, r;
    memset(s, 0, sizeof s);
    r = load(path[0], &s[0], &t[0], &split[0]);
    if (!r)
        r = load(path[1], &s[1], &t[1], &split[1]);
    size_t n = 0, regressed = 0;
    struct drow *rows = NULL;
    if (!r && !(rows = compare(t, &n, split[0] && split[1], &o, &regressed))) {
        fprintf(stderr, "waitreport: out of memory\n");
        r = 2;
    }
    if (!r) {
        if (o.json)
            write_json(stdout, rows, n, s, split[0] && split[1], &o, regressed);
        else
            write_text(stdout, rows, n, s, split[0] && split[1], &o, regressed);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            perror("waitreport: writing the diff");
            r = 2;
        } else
            r = o.gate && regressed ? 1 : 0;
    }
    free(rows);
    for (int i = 0; i < 2; i++) {
        wr_ktable_free(&t[i]);
        wr_set_free(&s[i]);
    }
    return r;
}
