/* diff_json.c: `waitreport diff --json`: the two runs' totals and every
 * site's deltas as JSON (README "diff"). */
#include <inttypes.h>
#include <stdio.h>

#include "cmd/diff.h"
#include "output/export.h"
#include "output/fmt.h"

/* pct_json: the change from a to b in percent, or null from 0. */
static void pct_json(FILE *f, uint64_t a, uint64_t b)
{
    if (a)
        fprintf(f, "%.2f", 100.0 * (double)delta_of(a, b) / (double)a);
    else
        fputs("null", f);
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

/* totals_json: "totals":{"wall_ns_old",...,"wall_pct",...,"regressed":[...]}. */
static void totals_json(FILE *f, const struct side d[2], int split, unsigned tripped)
{
    static const char *const jn[M_COUNT] = {"calls", "wall_ns", "wait_ns", "cpu_ns", "blocked_ns", "runnable_ns"};
    fputs("\"totals\":{", f);
    for (int m = 0; m < M_COUNT; m++) {
        const char *sep = m ? "," : "";
        if (!split && !(M_UNSPLIT & (1u << m))) {
            fprintf(f, "%s\"%s_old\":null,\"%s_new\":null,\"%s_delta\":null,\"%s_pct\":null", sep, jn[m], jn[m], jn[m],
                    wr_diff_run_names[m]);
            continue;
        }
        fprintf(f, "%s\"%s_old\":%" PRIu64 ",\"%s_new\":%" PRIu64 ",\"%s_delta\":%" PRId64 ",\"%s_pct\":", sep, jn[m],
                d[0].tot[m], jn[m], d[1].tot[m], jn[m], delta_of(d[0].tot[m], d[1].tot[m]), wr_diff_run_names[m]);
        pct_json(f, d[0].tot[m], d[1].tot[m]);
    }
    fputs(",\"regressed\":[", f);
    for (int m = 0, c = 0; m < M_COUNT; m++)
        if (tripped & (1u << m))
            fprintf(f, "%s\"%s\"", c++ ? "," : "", wr_diff_run_names[m]);
    fputs("]}", f);
}

void wr_diff_json(FILE *f, struct drow *rows, size_t n, const struct side d[2], int split, const struct diff_opts *o,
                  size_t regressed, unsigned tripped)
{
    static const char *const jn[M_COUNT] = {"calls", "total_ns", "wait_ns", "cpu_ns", "blocked_ns", "runnable_ns"};
    fputs("{\"version\":1,", f);
    totals_json(f, d, split, tripped);
    fputc(',', f);
    side_json(f, "old", &d[0].s);
    fputc(',', f);
    side_json(f, "new", &d[1].s);
    fprintf(f, ",\"split\":%s,\"gate\":{\"threshold_pct\":", split ? "true" : "false");
    if (o->gate)
        fprintf(f, "%g", o->pct);
    else
        fputs("null", f);
    fprintf(f, ",\"floor_ns\":%" PRIu64 ",\"floor_calls\":%" PRIu64 ",\"metrics\":[", o->floor_ns, o->floor_calls);
    for (int m = 0, c = 0; m < M_COUNT; m++)
        if (o->metrics & (1u << m))
            fprintf(f, "%s\"%s\"", c++ ? "," : "", wr_diff_metric_names[m]);
    fprintf(f, "],\"regressed\":%zu,\"failed\":%s},\"sites\":[", regressed,
            o->gate && (regressed || tripped) ? "true" : "false");
    for (size_t i = 0; i < n; i++) {
        const struct drow *r = &rows[i];
        const struct wr_ksite *k = r->n ? r->n : r->o;
        fputs(i ? ",{" : "{", f);
        wr_json_ksite_id(f, k);
        fprintf(f, ",\"status\":\"%s\",\"regressed\":%s",
                !r->o   ? "new"
                : !r->n ? "gone"
                        : "both",
                r->regressed ? "true" : "false");
        for (int m = 0; m < M_COUNT; m++) {
            if (!split && !(M_UNSPLIT & (1u << m))) {
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
        pct_json(f, r->v[0][M_TOTAL], r->v[1][M_TOTAL]);
        fputs(",\"stack\":", f);
        wr_json_frame_list(f, k->frames, k->nsym);
        wr_diff_causes_json(f, r, d);
        fputc('}', f);
    }
    fputs("]}\n", f);
}
