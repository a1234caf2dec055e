/* page.c: one self-contained HTML file (no external scripts, fonts
 * or styles): a summary per process, an SVG flame graph of wait time, the
 * site table with cpu/blocked/runnable bars, latency histograms and
 * percentiles, and the per-thread split. Several processes get a merged
 * site table (sites keyed by symbolized stack) and a section each. */
#include <inttypes.h>
#include <string.h>

#include "output/export.h"
#include "output/fmt.h"
#include "output/html/html.h"

#define MAX_ROWS 100 /* per table, unless --top asks for more (0 = all) */

/* The page fits a 1400 px window without scrolling sideways: the tables
 * take the page's width, and the cells that hold names (stacks, sites,
 * commands) wrap, anywhere if they must; long function names are cut in
 * the middle with the whole name in the frame's title. */
static const char *style =
    "body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}h1{font-size:20px}h2{font-size:16px;"
    "margin-top:28px}table{border-collapse:collapse;margin:6px 0}td,th{padding:2px 4px;border-bottom:1px solid "
    "#e4e4e4;text-align:right;vertical-align:top;white-space:nowrap}th{background:#f3f3f3;white-space:normal}"
    "td.l,th.l{text-align:left}table.sites{font-size:12px}"
    "td.l{white-space:normal;overflow-wrap:anywhere}table.sites{width:100%}"
    ".stack{font:11px monospace;color:#555;text-align:left;white-space:normal;overflow-wrap:anywhere;"
    "min-width:240px}.stack div{padding-left:1.5em;text-indent:-1.5em}.fn{font-weight:600;text-align:left}"
    ".bar{display:flex;width:100px;height:12px;background:#f4f4f4}.bar span{height:12px}.c{background:#d9534f}"
    ".b{background:#337ab7}.r{background:#f0ad4e}.t{background:#888}.legend span{display:inline-block;width:10px;"
    "height:10px;margin:0 3px 0 10px}svg.hist rect{fill:#337ab7}svg.hist text{font:9px sans-serif;fill:#666}"
    "#flamegraph{border:1px solid #ddd;background:#fafafa}#flamegraph text{font:11px monospace;fill:#000;"
    "pointer-events:none}#flamegraph g.fr{cursor:pointer}#flamegraph rect:hover{stroke:#000;stroke-width:.5}"
    "tr.th{cursor:pointer}tr.th:hover{background:#f6f6ff}details.thread{margin:4px 0}"
    "details.thread summary{cursor:pointer}"
    ".note{color:#a33}.distorted{background:#fbe3e4;border:2px solid #c9302c;color:#7a1714;padding:8px 12px;"
    "margin:10px 0;font-weight:600}svg.waitgraph{display:block;margin:6px 0}svg.waitgraph rect{fill:#eef3fa;"
    "stroke:#5b7fb0}svg.waitgraph text{font:12px system-ui,sans-serif;text-anchor:middle}svg.waitgraph .tid{"
    "font-size:11px;fill:#555}svg.waitgraph path{fill:none;stroke:#c0504d;stroke-opacity:.75}svg.waitgraph "
    "polygon{fill:#c0504d}svg.waitgraph g.wedge text{font-weight:600;fill:#7a1714;paint-order:stroke;"
    "stroke:#fff;stroke-width:4px}svg.waitgraph g.th{cursor:pointer}svg.waitgraph g.wedge:hover path{"
    "stroke-opacity:1}";

/* The flame graph: the script lays out one kind of the tree in #flame-data
 * (flame.c) as SVG frames, <g class="fr"> with data-x/-w/-d (layout),
 * data-v (weight) and data-n (name), root at the bottom; frames narrower
 * than 1/2000 of the width are left out. The kind selector redraws it;
 * clicking a frame fits it, clicking the root or "reset zoom" undoes
 * that. #kind=K&zoom=NAME in the URL starts on kind K, zoomed on the first
 * frame called NAME. Clicking a thread's row opens its sites. Marks for
 * headless checks: body data-flame=ready once the graph is drawn, and
 * data-scroll-width, the document's width as laid out. */
static const char *script =
    "(function(){var s=document.getElementById('flamegraph'),dn=document.getElementById('flame-data');"
    "var sel=document.getElementById('flame-kind'),ttl=document.getElementById('flame-title');"
    "var NS='http://www.w3.org/2000/svg',ROW=17,gs=[];"
    "var LABEL={wait:'wait time (blocked + runnable)',cpu:'CPU time inside the calls',"
    "blocked:'blocked time (waiting for a resource)',runnable:'runnable time (waiting for a CPU)',"
    "total:'total call time',calls:'calls',bytes:'bytes (allocated, moved by I/O, mapped)'};"
    "function ns(v){var u=['ns','us','ms','s'],i=0;while(i<3&&v>=1000){v/=1000;i++;}"
    "return i?v.toFixed(v<10?2:v<100?1:0)+' '+u[i]:v+' ns';}"
    "function fmt(v,k){return k==='calls'||k==='bytes'?v.toLocaleString('en-US')+' '+k:ns(v);}"
    "function colour(n,leaf){var h=2166136261;for(var i=0;i<n.length;i++){h=Math.imul(h^n.charCodeAt(i),16777619)"
    ">>>0;}return leaf?'hsl('+(205+h%20)+',70%,'+(55+(h>>>8)%15)+'%)':'hsl('+(10+h%40)+',85%,'+(55+(h>>>8)%15)+'%)';}"
    "function fit(g,w){var n=g.dataset.n,k=Math.floor((w-6)/6.6),t=g.querySelector('text');"
    "t.textContent=k<3?'':(n.length<=k?n:n.slice(0,k-2)+'..');}"
    "function zoom(z){var W=+s.dataset.width,zx=+z.dataset.x,zw=+z.dataset.w;s.setAttribute('data-zoom',z.dataset.n);"
    "gs.forEach(function(g){var x=+g.dataset.x,w=+g.dataset.w,r=g.querySelector('rect'),t=g.querySelector('text');"
    "if(!(x+w>zx+1e-6&&x<zx+zw-1e-6)){g.style.display='none';return;}"
    "g.style.display='';var nx=(Math.max(x,zx)-zx)*W/zw,nw=(Math.min(x+w,zx+zw)-Math.max(x,zx))*W/zw;"
    "r.setAttribute('x',nx.toFixed(2));r.setAttribute('width',nw.toFixed(2));t.setAttribute('x',(nx+3).toFixed(2));"
    "fit(g,nw);});}"
    "function draw(D,k){var K=D.kinds,N=D.nodes,ki=K.indexOf(k),W=+s.dataset.width,kids=[],tot=[],it=[],dep=0;"
    "if(ki<0){ki=0;k=K[0];}"
    "N.forEach(function(n,i){kids.push([]);tot.push(n.length>2?n[2+ki]:0);if(n[0]>=0){kids[n[0]].push(i);}});"
    "for(var i=N.length-1;i>0;i--){tot[N[i][0]]+=tot[i];}"
    "kids.forEach(function(c){c.sort(function(a,b){return N[a][1]<N[b][1]?-1:N[a][1]>N[b][1]?1:0;});});"
    "var sc=tot[0]?W/tot[0]:0;function lay(i,x,d){var w=tot[i]*sc,cx=x;it.push([i,x,w,d]);dep=Math.max(dep,d);"
    "kids[i].forEach(function(c){var cw=tot[c]*sc;if(cw>=W/2000){lay(c,cx,d+1);}cx+=cw;});}"
    "if(tot[0]){lay(0,0,0);}"
    "while(s.firstChild){s.removeChild(s.firstChild);}gs=[];s.removeAttribute('data-zoom');"
    "var H=(dep+1)*ROW+4;s.setAttribute('viewBox','0 0 '+W+' '+H);s.dataset.kind=k;"
    "it.forEach(function(e){var i=e[0],x=e[1],w=e[2],y=H-(e[3]+1)*ROW,n=N[i][1];"
    "var g=document.createElementNS(NS,'g'),t=document.createElementNS(NS,'title'),"
    "r=document.createElementNS(NS,'rect'),x2=document.createElementNS(NS,'text');"
    "g.setAttribute('class','fr');g.dataset.x=x.toFixed(2);g.dataset.w=w.toFixed(2);g.dataset.d=e[3];"
    "g.dataset.v=tot[i];g.dataset.n=n;t.textContent=n+' ('+fmt(tot[i],k)+', '+(100*tot[i]/tot[0]).toFixed(2)+'%)';"
    "r.setAttribute('x',x.toFixed(2));r.setAttribute('y',y);r.setAttribute('width',w.toFixed(2));"
    "r.setAttribute('height',ROW-1);r.setAttribute('rx',2);"
    "r.setAttribute('fill',colour(n,!kids[i].length&&N[i].length>2));"
    "x2.setAttribute('x',(x+3).toFixed(2));x2.setAttribute('y',y+ROW-5);g.appendChild(t);g.appendChild(r);"
    "g.appendChild(x2);s.appendChild(g);fit(g,w);g.addEventListener('click',function(){zoom(g);});gs.push(g);});"
    "if(!tot[0]){var m=document.createElementNS(NS,'text');m.setAttribute('x',10);m.setAttribute('y',14);"
    "m.textContent='no '+LABEL[k]+' recorded';s.appendChild(m);}"
    "if(ttl){ttl.textContent=ttl.dataset.kind===k?ttl.dataset.text:LABEL[k];}if(sel){sel.value=k;}"
    "document.body.setAttribute('data-flame',gs.length?'ready':'empty');}"
    "if(s&&dn){var D=JSON.parse(dn.textContent),h=location.hash,hk=h.match(/kind=([^&]+)/);"
    "draw(D,hk?decodeURIComponent(hk[1]):D.kind);"
    "if(sel){sel.addEventListener('change',function(){draw(D,sel.value);});}"
    "var b=document.getElementById('flame-reset');if(b){b.addEventListener('click',function(){if(gs.length){"
    "zoom(gs[0]);}});}"
    "var hz=h.match(/zoom=([^&]+)/);if(hz){var z=decodeURIComponent(hz[1]);"
    "gs.some(function(g){if(g.dataset.n===z){zoom(g);return true;}return false;});}}"
    "[].forEach.call(document.querySelectorAll('tr.th,g.th'),function(tr){tr.addEventListener('click',function(){"
    "var d=document.getElementById('thread-'+tr.dataset.th);if(d){d.open=true;d.scrollIntoView();}});});"
    "document.body.setAttribute('data-scroll-width',document.documentElement.scrollWidth);})();";

#define ELIDE        80 /* function names longer than this are cut in the middle */
#define THREAD_SITES 20 /* sites shown per thread */

/* one row of a site table, from a model site or a merged site */
struct hrow {
    const char *fn;
    unsigned func; /* function id: whether it counts bytes */
    uint64_t calls, bytes, total, max, blocked, runnable;
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

/* fn_name: a wrapped function's name, free to break after its underscores
 * ("pthread_mutex_unlock" is the widest of the numbers' row). */
static void fn_name(FILE *f, const char *name)
{
    for (const char *p = name; *p;) {
        const char *u = strchr(p, '_');
        size_t n = u ? (size_t)(u - p) + 1 : strlen(p);
        char part[128];
        snprintf(part, sizeof part, "%.*s", (int)(n < sizeof part ? n : sizeof part - 1), p);
        wr_html_str(f, part);
        if (u && u[1])
            fputs("<wbr>", f);
        p += n;
    }
}

/* td_bytes: a site's bytes, with the mean per call as its title; "-" for
 * a function that moves no bytes. */
static void td_bytes(FILE *f, unsigned func, uint64_t bytes, uint64_t calls)
{
    char b[32], p[32];
    if (!wr_func_has_bytes(func)) {
        fputs("<td>-</td>", f);
        return;
    }
    fprintf(f, "<td title=\"%s per call\">%s</td>", wr_fmt_per_call(p, sizeof p, bytes, calls),
            wr_fmt_count(b, sizeof b, bytes));
}

/* frame_div: one frame of a stack cell, its whole line as the title; a
 * function name longer than ELIDE bytes is shown cut in the middle (at
 * UTF-8 character boundaries), so no name is wider than the column. */
static void frame_div(FILE *f, const struct wr_frame *fr, int first)
{
    char line[1024], fn[ELIDE + 8];
    wr_frame_line(line, sizeof line, fr);
    fputs("<div title=\"", f);
    wr_html_str(f, line);
    fputs(first ? "\">at " : "\">&larr; ", f);
    struct wr_frame cut = *fr;
    size_t len = strlen(fr->function);
    if (len > ELIDE) {
        size_t a = ELIDE / 2, b = len - (ELIDE / 2 - 1);
        while (a > 0 && ((unsigned char)fr->function[a] & 0xc0) == 0x80)
            a--;
        while (b < len && ((unsigned char)fr->function[b] & 0xc0) == 0x80)
            b++;
        snprintf(fn, sizeof fn, "%.*s\xe2\x80\xa6%s", (int)a, fr->function, fr->function + b);
        cut.function = fn;
    }
    wr_frame_line(line, sizeof line, &cut);
    wr_html_str(f, line);
    fputs("</div>", f);
}

static void stack_cell(FILE *f, const struct wr_frame *fr, size_t n)
{
    fputs("<td class=\"stack\">", f);
    for (size_t i = 0; i < n && i < 3; i++)
        frame_div(f, &fr[i], i == 0);
    if (!n)
        fputs("(no stack)", f);
    fputs("</td>", f);
}

static void row(FILE *f, size_t i, const struct hrow *r, uint64_t top)
{
    char c[32];
    fprintf(f, "<tr><td>%zu</td><td class=\"fn\">", i + 1);
    fn_name(f, r->fn);
    fprintf(f, "</td><td>%s</td>", wr_fmt_count(c, sizeof c, r->calls));
    td_bytes(f, r->func, r->bytes, r->calls);
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
            "<th>bytes</th><th>total</th><th>wait</th><th>cpu</th><th>blocked</th><th>runnable</th><th>mean</th>"
            "<th>p50</th>"
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
                         s->func,
                         s->calls,
                         s->bytes,
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
            "<h3>threads</h3>%s<table id=\"threads-%zu\"><tr><th>tid</th><th class=\"l\">name</th><th>calls</th>"
            "<th>life</th><th>cpu</th><th>blocked</th><th>runnable</th><th class=\"l\">cpu / blocked / runnable</th>"
            "</tr>\n",
            m->per_thread ? "<p>click a thread to see its sites</p>" : "", idx);
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct wr_thread *t = &m->threads[i];
        char c[32];
        if (!t->kept)
            continue;
        if (m->per_thread && t->calls)
            fprintf(f, "<tr class=\"th\" data-th=\"%zu-%u\"><td>%u</td><td class=\"l\">", idx, t->tid, t->tid);
        else
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

/* thread_part: s's entry for thread index ti, or NULL. */
static const struct wr_site_th *thread_part(const struct wr_site *s, uint32_t ti)
{
    size_t i = wr_site_th_find(s, ti);
    return i < s->nper && s->per_th[i].th == ti ? &s->per_th[i] : NULL;
}

struct tsite {
    const struct wr_site *s;
    const struct wr_site_th *p;
};

static int cmp_tsite(const void *a, const void *b)
{
    const struct tsite *x = a, *y = b;
    if (x->p->ticks != y->p->ticks)
        return x->p->ticks > y->p->ticks ? -1 : 1;
    return x->s->key < y->s->key ? -1 : x->s->key > y->s->key;
}

/* thread_sites: per thread that made calls, a closed <details> with its
 * THREAD_SITES sites of most time in its calls and its part of each
 * (the thread table's rows open them). 0, or -1 on out of memory. */
static int thread_sites(FILE *f, struct wr_model *m, size_t idx)
{
    if (!m->per_thread)
        return 0;
    struct tsite *v = malloc((m->nsites ? m->nsites : 1) * sizeof *v);
    if (!v)
        return -1;
    fputs("<h3>sites by thread</h3>\n", f);
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct wr_thread *t = &m->threads[i];
        if (!t->kept || !t->calls)
            continue;
        size_t n = 0;
        for (size_t k = 0; k < m->nsites; k++) {
            const struct wr_site_th *p = thread_part(m->sorted[k], (uint32_t)i);
            if (p)
                v[n++] = (struct tsite){m->sorted[k], p};
        }
        qsort(v, n, sizeof *v, cmp_tsite);
        char c[32], tt[32];
        uint64_t ticks = 0;
        for (size_t k = 0; k < n; k++)
            ticks += v[k].p->ticks;
        fprintf(f, "<details class=\"thread\" id=\"thread-%zu-%u\"><summary>tid %u ", idx, t->tid, t->tid);
        wr_html_str(f, t->name[0] ? t->name : "?");
        fprintf(f, ": %s calls at %zu sites, %s in them</summary>\n", wr_fmt_count(c, sizeof c, t->calls), n,
                wr_fmt_ns(tt, sizeof tt, wr_model_ns(m, ticks)));
        fprintf(f,
                "<table id=\"thread-sites-%zu-%u\" class=\"sites\"><tr><th>#</th><th class=\"l\">function</th>"
                "<th>calls</th><th>bytes</th><th>total</th><th>wait</th><th>cpu</th><th>blocked</th><th>runnable</th>"
                "<th class=\"l\">cpu / blocked / runnable</th><th class=\"l\">stack</th></tr>\n",
                idx, t->tid);
        uint64_t top = n ? wr_model_ns(m, v[0].p->ticks) : 0;
        for (size_t k = 0; k < n && k < THREAD_SITES; k++) {
            const struct wr_site_th *p = v[k].p;
            const struct lw_func_info *fi = lw_func_info_of(v[k].s->func);
            uint64_t total = wr_model_ns(m, p->ticks);
            fprintf(f, "<tr><td>%zu</td><td class=\"fn\">", k + 1);
            fn_name(f, fi ? fi->name : "?");
            fprintf(f, "</td><td>%s</td>", wr_fmt_count(c, sizeof c, p->calls));
            td_bytes(f, v[k].s->func, p->bytes, p->calls);
            td_ns(f, total);
            if (m->have_switches) {
                td_ns(f, p->blocked_ns + p->runnable_ns);
                td_ns(f, wr_model_cpu_ns(total, p->blocked_ns, p->runnable_ns));
                td_ns(f, p->blocked_ns);
                td_ns(f, p->runnable_ns);
            } else
                fputs("<td>-</td><td>-</td><td>-</td><td>-</td>", f);
            bar(f, total, p->blocked_ns, p->runnable_ns, m->have_switches, top);
            struct wr_frame fr[3];
            stack_cell(f, fr, wr_model_frames(m, v[k].s->stack, fr, 3));
            fputs("</tr>\n", f);
        }
        fputs("</table>", f);
        if (n > THREAD_SITES)
            fprintf(f, "<p>%zu more sites</p>", n - THREAD_SITES);
        fputs("</details>\n", f);
    }
    free(v);
    return 0;
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

/* build_notes: what the filter and the window kept and what --merge line merged, under
 * the summary (naming the process when there are several). */
static void build_notes(FILE *f, const struct wr_model *m, int name)
{
    char pid[32] = "", ft[256], k[32], all[32];
    if (name)
        snprintf(pid, sizeof pid, "pid %u: ", m->trace->hdr.pid);
    if (m->filter) {
        fprintf(f, "<p class=\"filter\">%sfilter ", pid);
        wr_html_str(f, wr_filter_text(m->filter, ft, sizeof ft));
        fprintf(f, ": %zu of %zu threads, %s of %s calls; the locks and heap sections are the whole process's</p>\n",
                m->kept_threads, m->nthreads, wr_fmt_count(k, sizeof k, m->calls),
                wr_fmt_count(all, sizeof all, m->calls_read));
    }
    if (m->window) {
        char w[96], arg[96];
        fprintf(f, "<p class=\"filter\">%swindow %s (%s): %s of %s calls ended in it</p>\n", pid,
                wr_window_text(m, w, sizeof w), wr_window_arg(m->window, arg, sizeof arg),
                wr_fmt_count(k, sizeof k, m->calls), wr_fmt_count(all, sizeof all, m->calls_read));
    }
    if (m->merge_line)
        fprintf(f,
                "<p class=\"merge\">%ssites merged by file:line: %zu stack%s differed from another only in "
                "addresses</p>\n",
                pid, m->stacks_merged, m->stacks_merged == 1 ? "" : "s");
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
    fputs("</table>", f);
    for (size_t i = 0; i < s->n; i++)
        build_notes(f, &s->m[i], s->n > 1);
    fputs("<p class=\"legend\">bars: share of the top site's total time, split into<span class=\"c\"></span>"
          "cpu<span class=\"b\"></span>blocked (waiting for a resource)<span class=\"r\"></span>runnable (waiting "
          "for a CPU)</p></section>\n",
          f);
    r = wr_html_waitfor(f, s);
    uint64_t wait = 0;
    for (size_t i = 0; split && i < t.n; i++)
        wait += wr_kval_wait(&t.sorted[i]->v);
    int by_wait = split && wait > 0;
    const char *kind = by_wait ? "wait" : "total";
    const char *title = by_wait ? "wait time (blocked + runnable)"
                        : split ? "total call time (no call waited)"
                                : "total call time (no wait/CPU split in these traces)";
    fprintf(f,
            "<section id=\"flame\"><h2>flame graph of <span id=\"flame-title\" data-kind=\"%s\" "
            "data-text=\"%s\">%s</span></h2>"
            "<p>root at the bottom, the wrapped call on top; click a frame to zoom "
            "<button id=\"flame-reset\" type=\"button\">reset zoom</button> weight: <select id=\"flame-kind\">",
            kind, title, title);
    for (int i = split ? WR_FOLD_WAIT : WR_FOLD_TOTAL; i <= WR_FOLD_BYTES; i++)
        fprintf(f, "<option value=\"%s\"%s>%s</option>", wr_fold_kind_name(i),
                strcmp(wr_fold_kind_name(i), kind) ? "" : " selected", wr_fold_kind_name(i));
    fputs("</select></p>\n", f);
    r |= wr_html_flame(f, &t, split, kind);
    fputs("</section>\n", f);
    if (!r && s->n > 1) {
        fputs("<section id=\"combined\"><h2>all processes: sites merged by symbolized stack</h2>\n", f);
        table_head(f, "sites-all", 1);
        size_t n = rows_shown(o, t.n);
        for (size_t i = 0; i < n; i++) {
            const struct wr_ksite *k = t.sorted[i];
            struct hrow hr = {k->leaf,         k->func,          k->v.calls, k->v.bytes, k->v.total_ns, k->v.max_ns,
                              k->v.blocked_ns, k->v.runnable_ns, k->split,   &k->hist,   NULL,          0,
                              k->pids,         k->npids,         k->frames,  k->nsym};
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
        if (thread_sites(f, &s->m[i], i) || wr_html_analyses(f, &s->m[i], i, o))
            r = -1;
        fputs("</section>\n", f);
    }
    fprintf(f, "<script>%s</script>\n</body></html>\n", script);
    wr_ktable_free(&t);
    return r || ferror(f) ? -1 : 0;
}
