/* report_html.c: one self-contained HTML file (no external scripts, fonts
 * or styles): a summary per process, an SVG flame graph of wait time, the
 * site table with cpu/blocked/runnable bars, latency histograms and
 * percentiles, and the per-thread split. Several processes get a merged
 * site table (sites keyed by symbolized stack) and a section each. */
#include <inttypes.h>
#include <string.h>

#include "export.h"
#include "html.h"
#include "oututil.h"

#define MAX_ROWS 100 /* per table, unless --top asks for more (0 = all) */

static const char *style =
    "body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}h1{font-size:20px}h2{font-size:16px;"
    "margin-top:28px}table{border-collapse:collapse;margin:6px 0}td,th{padding:2px 6px;border-bottom:1px solid "
    "#e4e4e4;text-align:right;vertical-align:top;white-space:nowrap}th{background:#f3f3f3}td.l,th.l{text-align:left}"
    ".stack{font:11px "
    "monospace;color:#555;text-align:left;white-space:normal;min-width:300px}.fn{font-weight:600;text-align:left}"
    ".bar{display:flex;width:160px;height:12px;background:#f4f4f4}.bar span{height:12px}.c{background:#d9534f}"
    ".b{background:#337ab7}.r{background:#f0ad4e}.t{background:#888}.legend span{display:inline-block;width:10px;"
    "height:10px;margin:0 3px 0 10px}svg.hist rect{fill:#337ab7}svg.hist text{font:9px sans-serif;fill:#666}"
    "#flamegraph{border:1px solid #ddd;background:#fafafa}#flamegraph text{font:11px monospace;fill:#000;"
    "pointer-events:none}#flamegraph g.fr{cursor:pointer}#flamegraph rect:hover{stroke:#000;stroke-width:.5}"
    ".note{color:#a33}.distorted{background:#fbe3e4;border:2px solid #c9302c;color:#7a1714;padding:8px 12px;"
    "margin:10px 0;font-weight:600}";

/* the flame graph's zoom: click a frame to fit it, click the root or
 * "reset zoom" to undo; #zoom=NAME in the URL zooms on the first frame
 * called NAME; body[data-flame=ready] once it is wired */
static const char *script =
    "(function(){var s=document.getElementById('flamegraph');if(!s){return;}"
    "var W=+s.dataset.width,gs=[].slice.call(s.querySelectorAll('g.fr'));"
    "function fit(g,w){var n=g.dataset.n,k=Math.floor((w-6)/6.6),t=g.querySelector('text');"
    "t.textContent=k<3?'':(n.length<=k?n:n.slice(0,k-2)+'..');}"
    "function zoom(z){var "
    "zx=+z.dataset.x,zw=+z.dataset.w;s.setAttribute('data-zoom',z.dataset.n);gs.forEach(function(g){"
    "var x=+g.dataset.x,w=+g.dataset.w,r=g.querySelector('rect'),t=g.querySelector('text');"
    "if(!(x+w>zx+1e-6&&x<zx+zw-1e-6)){g.style.display='none';return;}"
    "g.style.display='';var nx=(Math.max(x,zx)-zx)*W/zw,nw=(Math.min(x+w,zx+zw)-Math.max(x,zx))*W/zw;"
    "r.setAttribute('x',nx.toFixed(2));r.setAttribute('width',nw.toFixed(2));t.setAttribute('x',(nx+3).toFixed(2));"
    "fit(g,nw);});}"
    "gs.forEach(function(g){g.addEventListener('click',function(){zoom(g);});});"
    "var b=document.getElementById('flame-reset');if(b&&gs.length){b.addEventListener('click',function(){zoom(gs[0]);"
    "});}"
    "var h=location.hash.match(/zoom=([^&]+)/);if(h){var z=decodeURIComponent(h[1]);"
    "gs.some(function(g){if(g.dataset.n===z){zoom(g);return true;}return false;});}"
    "document.body.setAttribute('data-flame',gs.length?'ready':'empty');})();";

/* one row of a site table, from a model site or a merged site */
struct hrow {
    const char *fn;
    uint64_t calls, total, max, blocked, runnable;
    int split;
    const struct wr_hist *hist;
    struct wr_model *m; /* NULL: the frames are given */
    uint32_t stack;
    const uint32_t *pids;
    size_t npids;
    const struct wr_frame *frames; /* without m: the symbolized stack */
    size_t nsym;
};

static void td_ns(FILE *f, uint64_t ns)
{
    char b[32];
    fprintf(f, "<td>%s</td>", wr_fmt_ns(b, sizeof b, ns));
}

/* td_quantile: a cell with a quantile or maximum (wr_fmt_quantile); an
 * untimed one explains itself on hover. */
static void td_quantile(FILE *f, uint64_t ns)
{
    char b[32];
    fputs(ns ? "<td>" : "<td title=\"", f);
    if (!ns) {
        wr_html_str(f, WR_UNTIMED_NOTE);
        fputs("\">", f);
    }
    fprintf(f, "%s</td>", wr_fmt_quantile(b, sizeof b, ns));
}

/* bar: cpu/blocked/runnable (or total) as shares of top. */
static void bar(FILE *f, uint64_t total, uint64_t blocked, uint64_t runnable, int split, uint64_t top)
{
    double sc = top ? 100.0 / (double)top : 0;
    fputs("<td><div class=\"bar\">", f);
    if (split)
        fprintf(f,
                "<span class=\"c\" style=\"width:%.2f%%\"></span><span class=\"b\" style=\"width:%.2f%%\"></span>"
                "<span class=\"r\" style=\"width:%.2f%%\"></span>",
                (double)wr_model_cpu_ns(total, blocked, runnable) * sc, (double)blocked * sc, (double)runnable * sc);
    else
        fprintf(f, "<span class=\"t\" style=\"width:%.2f%%\"></span>", (double)total * sc);
    fputs("</div></td>", f);
}

static void stack_cell(FILE *f, const struct wr_frame *fr, size_t n)
{
    char line[512];
    fputs("<td class=\"stack\" title=\"", f);
    for (size_t i = 0; i < n; i++) {
        wr_frame_line(line, sizeof line, &fr[i]);
        wr_html_str(f, i ? "\n<- " : "at ");
        wr_html_str(f, line);
    }
    fputs("\">", f);
    for (size_t i = 0; i < n && i < 3; i++) {
        wr_frame_line(line, sizeof line, &fr[i]);
        fputs(i ? "<br>&larr; " : "at ", f);
        wr_html_str(f, line);
    }
    if (!n)
        fputs("(no stack)", f);
    fputs("</td>", f);
}

static void row(FILE *f, size_t i, const struct hrow *r, uint64_t top)
{
    char c[32];
    fprintf(f, "<tr><td>%zu</td><td class=\"fn\">", i + 1);
    wr_html_str(f, r->fn);
    fprintf(f, "</td><td>%s</td>", wr_fmt_count(c, sizeof c, r->calls));
    td_ns(f, r->total);
    if (r->split) {
        td_ns(f, r->blocked + r->runnable);
        td_ns(f, wr_model_cpu_ns(r->total, r->blocked, r->runnable));
        td_ns(f, r->blocked);
        td_ns(f, r->runnable);
    } else
        fputs("<td>-</td><td>-</td><td>-</td><td>-</td>", f);
    td_ns(f, r->calls ? r->total / r->calls : 0);
    td_quantile(f, wr_hist_quantile(r->hist, 0.50));
    td_quantile(f, wr_hist_quantile(r->hist, 0.95));
    td_quantile(f, wr_hist_quantile(r->hist, 0.99));
    td_quantile(f, r->max);
    bar(f, r->total, r->blocked, r->runnable, r->split, top);
    fputs("<td>", f);
    wr_html_hist(f, r->hist);
    fputs("</td>", f);
    if (r->pids) {
        fputs("<td class=\"l\">", f);
        for (size_t p = 0; p < r->npids; p++)
            fprintf(f, "%s%u", p ? ", " : "", r->pids[p]);
        fputs("</td>", f);
    }
    if (r->m) {
        struct wr_frame fr[LW_MAX_DEPTH];
        stack_cell(f, fr, wr_model_frames(r->m, r->stack, fr, LW_MAX_DEPTH));
    } else {
        stack_cell(f, r->frames, r->nsym);
    }
    fputs("</tr>\n", f);
}

static void table_head(FILE *f, const char *id, int pids)
{
    fprintf(f,
            "<table id=\"%s\" class=\"sites\"><tr><th>#</th><th class=\"l\">function</th><th>calls</th>"
            "<th>total</th><th>wait</th><th>cpu</th><th>blocked</th><th>runnable</th><th>mean</th><th>p50</th>"
            "<th>p95</th><th>p99</th><th>max</th><th class=\"l\">cpu / blocked / runnable</th>"
            "<th class=\"l\">latency histogram</th>%s<th class=\"l\">stack</th></tr>\n",
            id, pids ? "<th class=\"l\">pids</th>" : "");
}

static size_t rows_shown(const struct wr_opts *o, size_t n)
{
    size_t cap = o->top == 0 ? n : o->top > MAX_ROWS ? o->top : MAX_ROWS;
    return n < cap ? n : cap;
}

static void model_sites(FILE *f, struct wr_model *m, size_t idx, const struct wr_opts *o)
{
    char id[32];
    snprintf(id, sizeof id, "sites-%zu", idx);
    table_head(f, id, 0);
    size_t n = rows_shown(o, m->nsites);
    uint64_t top = n ? wr_model_ns(m, m->sorted[0]->total_ticks) : 0;
    for (size_t i = 0; i < n; i++) {
        const struct wr_site *s = m->sorted[i];
        const struct lw_func_info *fi = lw_func_info_of(s->func);
        struct hrow r = {fi ? fi->name : "?",
                         s->calls,
                         wr_model_ns(m, s->total_ticks),
                         wr_model_ns(m, s->max_ticks),
                         s->blocked_ns,
                         s->runnable_ns,
                         m->have_switches,
                         &s->hist,
                         m,
                         s->stack,
                         NULL,
                         0,
                         NULL,
                         0};
        row(f, i, &r, top);
    }
    fputs("</table>\n", f);
    if (n < m->nsites)
        fprintf(f, "<p>%zu more sites (--top 0 shows all)</p>\n", m->nsites - n);
}

static void threads(FILE *f, struct wr_model *m, size_t idx)
{
    fprintf(f,
            "<h3>threads</h3><table id=\"threads-%zu\"><tr><th>tid</th><th class=\"l\">name</th><th>calls</th>"
            "<th>life</th><th>cpu</th><th>blocked</th><th>runnable</th><th class=\"l\">cpu / blocked / runnable</th>"
            "</tr>\n",
            idx);
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct wr_thread *t = &m->threads[i];
        char c[32];
        fprintf(f, "<tr><td>%u</td><td class=\"l\">", t->tid);
        wr_html_str(f, t->name[0] ? t->name : "?");
        fprintf(f, "</td><td>%s</td>", wr_fmt_count(c, sizeof c, t->calls));
        if (m->have_switches) {
            td_ns(f, t->life_ns);
            td_ns(f, wr_model_cpu_ns(t->life_ns, t->blocked_ns, t->runnable_ns));
            td_ns(f, t->blocked_ns);
            td_ns(f, t->runnable_ns);
            bar(f, t->life_ns, t->blocked_ns, t->runnable_ns, 1, t->life_ns);
        } else
            fputs("<td>-</td><td>-</td><td>-</td><td>-</td><td></td>", f);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* distortion_banner: at the top of the page, one paragraph per process whose
 * timings libwait's own work distorted (see wr_model_distortion), so that no
 * one ranks its sites without having read it. Nothing when none was. */
static void distortion_banner(FILE *f, struct wr_set *s)
{
    int any = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct wr_distortion d;
        wr_model_distortion(&s->m[i], &d);
        if (d.distorted != 1)
            continue;
        if (!any)
            fputs("<div id=\"distortion\" class=\"distorted\" role=\"alert\">\n", f);
        any = 1;
        const struct lw_file_header *h = &s->t[i].hdr;
        char a[32], b[32];
        fputs("<p>Timings distorted: ", f);
        if (s->n > 1) {
            wr_html_str(f, h->command[0] ? h->command : h->exe);
            fprintf(f, " (pid %u): ", h->pid);
        }
        fprintf(f,
                "libwait's own time is <span class=\"share\" data-share=\"%.4f\">%.0f%%</span> of the process's "
                "thread time (%s of %s, the threads' lives summed). Waits, holds and wall time are stretched by "
                "libwait's work: rank sites with care.</p>\n",
                d.share, 100.0 * d.share, wr_fmt_ns(a, sizeof a, d.self_ns), wr_fmt_ns(b, sizeof b, d.thread_ns));
    }
    if (any)
        fputs("</div>\n", f);
}

static void summary_row(FILE *f, struct wr_trace *t, struct wr_model *m)
{
    const struct lw_file_header *h = &t->hdr;
    char w[32], c[32], b[32];
    fprintf(f, "<tr><td>%u</td><td>%u</td><td class=\"l\">", h->pid, h->ppid);
    wr_html_str(f, h->command[0] ? h->command : h->exe);
    fprintf(f, "%s</td><td>%s</td><td>%zu</td><td>%s</td><td>%zu</td><td>%s</td><td class=\"l\">%s</td></tr>\n",
            t->incomplete ? " <span class=\"note\">(incomplete)</span>" : "", wr_fmt_ns(w, sizeof w, m->wall_ns),
            m->nthreads, wr_fmt_count(c, sizeof c, m->calls), m->nsites, wr_fmt_count(b, sizeof b, t->size),
            m->have_switches             ? "measured"
            : (h->flags & LW_HF_NO_PERF) ? "unavailable (perf refused)"
                                         : "unavailable");
}

int wr_report_html(struct wr_set *s, const struct wr_opts *o, FILE *f)
{
    struct wr_ktable t = {0};
    int split = 1, r = 0;
    for (size_t i = 0; i < s->n && !r; i++) {
        split &= s->m[i].have_switches;
        r = wr_ktable_add(&t, &s->m[i]);
    }
    if (r || wr_ktable_sort(&t) != 0) {
        fprintf(stderr, "waitreport: out of memory\n");
        wr_ktable_free(&t);
        return -1;
    }
    const struct lw_file_header *h0 = &s->t[0].hdr;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>libwait report: ", f);
    wr_html_str(f, s->n == 1 ? (h0->command[0] ? h0->command : h0->exe) : "several processes");
    fprintf(f, "</title><style>%s</style></head><body>\n<h1>libwait report</h1>\n", style);
    distortion_banner(f, s);
    fputs("<section id=\"summary\"><h2>summary</h2><table><tr><th>pid</th><th>ppid</th><th class=\"l\">command</th>"
          "<th>wall</th><th>threads</th><th>calls</th><th>sites</th><th>trace bytes</th><th class=\"l\">wait/CPU "
          "split</th></tr>\n",
          f);
    for (size_t i = 0; i < s->n; i++)
        summary_row(f, &s->t[i], &s->m[i]);
    fputs("</table><p class=\"legend\">bars: share of the top site's total time, split into<span class=\"c\"></span>"
          "cpu<span class=\"b\"></span>blocked (waiting for a resource)<span class=\"r\"></span>runnable (waiting "
          "for a CPU)</p></section>\n",
          f);
    uint64_t wait = 0;
    for (size_t i = 0; split && i < t.n; i++)
        wait += wr_kval_wait(&t.sorted[i]->v);
    int by_wait = split && wait > 0;
    fprintf(f,
            "<section id=\"flame\"><h2>flame graph of %s</h2><p>root at the bottom, the wrapped call on "
            "top; click a frame to zoom <button id=\"flame-reset\" type=\"button\">reset zoom</button></p>\n",
            by_wait ? "wait time (blocked + runnable)"
            : split ? "total call time (no call waited)"
                    : "total call time (no wait/CPU split in these traces)");
    r = wr_html_flame(f, &t, by_wait);
    fputs("</section>\n", f);
    if (!r && s->n > 1) {
        fputs("<section id=\"combined\"><h2>all processes: sites merged by symbolized stack</h2>\n", f);
        table_head(f, "sites-all", 1);
        size_t n = rows_shown(o, t.n);
        for (size_t i = 0; i < n; i++) {
            const struct wr_ksite *k = t.sorted[i];
            struct hrow hr = {k->leaf,          k->v.calls, k->v.total_ns, k->v.max_ns, k->v.blocked_ns,
                              k->v.runnable_ns, k->split,   &k->hist,      NULL,        0,
                              k->pids,          k->npids,   k->frames,     k->nsym};
            row(f, i, &hr, t.n ? t.sorted[0]->v.total_ns : 0);
        }
        fputs("</table></section>\n", f);
    }
    for (size_t i = 0; !r && i < s->n; i++) {
        const struct lw_file_header *h = &s->t[i].hdr;
        fprintf(f, "<section class=\"process\" id=\"proc-%zu\"><h2>", i);
        wr_html_str(f, h->command[0] ? h->command : h->exe);
        fprintf(f, " (pid %u)</h2>\n", h->pid);
        if (s->t[i].incomplete)
            fputs("<p class=\"note\">The trace is incomplete (process still running, killed or crashed): this is "
                  "what was written.</p>\n",
                  f);
        model_sites(f, &s->m[i], i, o);
        threads(f, &s->m[i], i);
        r = wr_html_analyses(f, &s->m[i], i, o);
        fputs("</section>\n", f);
    }
    fprintf(f, "<script>%s</script>\n</body></html>\n", script);
    wr_ktable_free(&t);
    return r || ferror(f) ? -1 : 0;
}
