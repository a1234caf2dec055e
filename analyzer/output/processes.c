/* processes.c: the report of several processes (fork/exec children, one
 * trace each): their sites merged by symbolized stack (sitekey.h) into one
 * table, then each process's own report.
 *
 * The traces are read one at a time: each is folded into the merged table,
 * its own report is written to a spool file (the report's order puts it
 * after the merged table, which needs every trace), a few figures of it are
 * kept for the listing at the top, and then its model is freed and its file
 * unmapped. Memory is thus bounded by the merged sites and the module files
 * (shared by every process, symbols.h), not by the number of traces, and
 * nothing reaches the output before every trace has been read, so a bad
 * trace still fails the run with nothing written. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/export.h"
#include "output/fmt.h"

void wr_json_ksite_id(FILE *f, const struct wr_ksite *k)
{
    fputs("\"function\":", f);
    wr_json_str(f, k->leaf);
    fputs(",\"family\":", f);
    wr_json_str(f, wr_model_family(k->func));
    fputs(",\"key\":", f);
    wr_json_str(f, k->key);
}

/* What the listing at the top keeps of a process, and where its own report
 * sits in the spool. */
struct wr_mproc {
    uint32_t pid, ppid;
    const char *path; /* the caller's */
    char *name;       /* the command line, else the executable */
    uint64_t wall_ns;
    int incomplete, exec, distorted; /* exec: the image ended in an exec */
    double share;                    /* libwait's share of the threads' time, when distorted */
    size_t len;                      /* bytes of its report in the spool */
};

/* The state of a multi-process report while its traces are read. */
struct wr_procs {
    const struct wr_processes_req *c;
    struct wr_ktable t;
    struct wr_mproc *p;
    size_t n, cap;
    uint64_t calls;
    size_t threads;
    int split; /* every process so far has the wait/CPU split */
    FILE *spool;
};

/* fold: merge model m into x, spool its own report and
 * note its summary; m may be freed after. 0, or -1 after a message. */
static int fold(struct wr_procs *x, struct wr_model *m)
{
    if (x->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 64;
        struct wr_mproc *np = realloc(x->p, cap * sizeof *np);
        if (!np)
            goto oom;
        x->p = np;
        x->cap = cap;
    }
    const struct lw_file_header *h = &m->trace->hdr;
    struct wr_mproc *p = &x->p[x->n];
    memset(p, 0, sizeof *p);
    char clean[4 * LW_CMD_MAX];
    if (!(p->name = strdup(wr_clean(clean, sizeof clean, h->command[0] ? h->command : h->exe))))
        goto oom;
    x->n++;
    if (wr_ktable_add(&x->t, m) != 0)
        goto oom;
    struct wr_distortion d;
    wr_model_distortion(m, &d);
    p->pid = h->pid;
    p->ppid = h->ppid;
    p->path = m->trace->path;
    p->wall_ns = m->wall_ns;
    p->incomplete = m->trace->incomplete;
    p->exec = (m->trace->hdr.flags & LW_HF_EXEC) != 0;
    p->distorted = d.distorted == 1;
    p->share = d.share;
    x->calls += m->calls;
    x->threads += m->nthreads;
    x->split = x->split && m->have_switches;
    long at = ftell(x->spool);
    int r = x->c->json ? wr_report_json(m, x->c->o, x->spool) : wr_report_text(m, x->c->o, x->spool);
    long end = ftell(x->spool);
    if (r || at < 0 || end < at) {
        fprintf(stderr, "waitreport: writing the spool file: %s\n", strerror(errno));
        return -1;
    }
    p->len = (size_t)(end - at);
    return 0;
oom:
    fprintf(stderr, "waitreport: %s: out of memory\n", m->trace->path);
    return -1;
}

/* open_spool: an anonymous file for the processes' own reports, in
 * $TMPDIR (else /tmp), removed from the directory at once so that it goes
 * with the process. It holds as many bytes as those reports, which for
 * --json of a large build can be gigabytes; the place is the user's to
 * choose, like any tool's temporary files. NULL after a message. */
static FILE *open_spool(void)
{
    const char *dir = getenv("TMPDIR");
    char *path;
    if (asprintf(&path, "%s/waitreport.XXXXXX", dir && *dir ? dir : "/tmp") < 0) {
        fprintf(stderr, "waitreport: out of memory\n");
        return NULL;
    }
    int fd = mkstemp(path);
    FILE *f = NULL;
    if (fd < 0 || unlink(path) != 0 || !(f = fdopen(fd, "w+"))) {
        fprintf(stderr, "waitreport: a spool file in %s: %s\n", dir && *dir ? dir : "/tmp", strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    free(path);
    return f;
}

/* copy: the next len bytes of the spool to f. 0, or -1. */
static int copy(FILE *spool, size_t len, FILE *f)
{
    char buf[65536];
    while (len) {
        size_t k = fread(buf, 1, len < sizeof buf ? len : sizeof buf, spool);
        if (!k || fwrite(buf, 1, k, f) != k)
            return -1;
        len -= k;
    }
    return 0;
}

/* pid_list: "101, 102, 103" (shortened past cap) into buf. */
static const char *pid_list(char *buf, size_t cap, const uint32_t *pids, size_t n)
{
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n && o + 16 < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%u", i ? "," : "", pids[i]);
    if (o + 16 >= cap && cap > 4)
        snprintf(buf + cap - 5, 5, "...");
    return buf;
}

/* multi_text: the text report of the processes folded into x. 0 or -1. */
/* distinct_depths: the frames each of the first n sites shows, so that
 * two of one function that look alike over min frames show as many more
 * as tells them apart (wr_distinct_depths), then each row's twin from
 * n on; NULL on out of memory, then each shows min. */
static size_t *distinct_depths(const struct wr_ktable *t, size_t n, size_t min)
{
    size_t *depth = calloc(n ? 2 * n : 1, sizeof *depth), *nf = calloc(n ? n : 1, sizeof *nf);
    const char **key = calloc(n ? n : 1, sizeof *key);
    const struct wr_frame **fr = calloc(n ? n : 1, sizeof *fr);
    int ok = depth && nf && key && fr;
    for (size_t i = 0; ok && i < n; i++) {
        key[i] = t->sorted[i]->leaf;
        fr[i] = t->sorted[i]->frames;
        nf[i] = t->sorted[i]->nsym < 64 ? t->sorted[i]->nsym : 64;
    }
    if (ok && wr_distinct_depths(key, fr, nf, n, min, depth, depth + n) != 0)
        ok = 0;
    free(nf);
    free(key);
    free(fr);
    if (!ok) {
        free(depth);
        return NULL;
    }
    return depth;
}

static int multi_text(struct wr_procs *x, FILE *f)
{
    const struct wr_opts *o = x->c->o;
    struct wr_ktable *t = &x->t;
    const char *bold = o->color ? "\033[1m" : "", *dim = o->color ? "\033[2m" : "", *off = o->color ? "\033[0m" : "";
    char a[32];
    fprintf(f, "%slibwait report: %zu processes%s, %zu threads, %s calls at %zu sites (merged by symbolized stack)\n",
            bold, x->n, off, x->threads, wr_fmt_count(a, sizeof a, x->calls), t->n);
    if (x->c->filter->ntids || x->c->filter->nnames) {
        char ft[256];
        fprintf(f, "filter: %s: only these threads' calls are counted (each process's report says which it kept)\n",
                wr_filter_text(x->c->filter, ft, sizeof ft));
    }
    const struct wr_window *w = x->c->window;
    if (w && (w->has_since || w->has_until)) {
        char wa[96];
        fprintf(f, "window: %s, of each process's own run: only the calls that ended in it are counted\n",
                wr_window_arg(w, wa, sizeof wa));
    }
    for (size_t i = 0; i < x->n; i++) {
        const struct wr_mproc *p = &x->p[i];
        char w[32], dist[64] = "";
        if (p->distorted) /* the process's own report says more, at its top */
            snprintf(dist, sizeof dist, " [WARNING: timings distorted, libwait %.0f%%]", 100.0 * p->share);
        fprintf(f, "  pid %-7u ppid %-7u %-10s %s%s%s  (%s)\n", p->pid, p->ppid, wr_fmt_ns(w, sizeof w, p->wall_ns),
                p->name,
                p->incomplete ? " [incomplete]"
                : p->exec     ? " [exec'd]"
                              : "",
                dist, p->path);
    }
    int split = x->split;
    fprintf(f, "\n%sall processes%s\n%s  # %-20s %9s %10s %10s %10s %10s  %s%s\n", bold, off, bold, "function", "calls",
            "total", "wait", "mean", "max", "pids", off);
    size_t n = o->top && o->top < t->n ? o->top : t->n;
    size_t *depth = distinct_depths(t, n, o->frames);
    for (size_t i = 0; i < n; i++) {
        const struct wr_ksite *k = t->sorted[i];
        char c[32], tt[32], ww[32], mean[32], mx[32], pl[64];
        if (split && k->split)
            wr_fmt_ns(ww, sizeof ww, wr_kval_wait(&k->v));
        else
            snprintf(ww, sizeof ww, "-");
        fprintf(f, "%3zu %s%-20s%s %9s %10s %10s %10s %10s  %s\n", i + 1, bold, k->leaf, off,
                wr_fmt_count(c, sizeof c, k->v.calls), wr_fmt_ns(tt, sizeof tt, k->v.total_ns), ww,
                wr_fmt_ns(mean, sizeof mean, k->v.calls ? k->v.total_ns / k->v.calls : 0),
                wr_fmt_ns(mx, sizeof mx, k->v.max_ns), pid_list(pl, sizeof pl, k->pids, k->npids));
        wr_print_frames_to(f, k->frames, k->nsym, o->frames, depth ? depth[i] : o->frames, dim, off);
        if (depth && depth[n + i] != SIZE_MAX)
            fprintf(f, "    %s(" WR_TWIN_NOTE ")%s\n", dim, depth[n + i] + 1, off);
    }
    free(depth);
    if (n < t->n)
        fprintf(f, "... %zu more sites (--top 0 shows all)\n", t->n - n);
    int r = ferror(f) ? -1 : 0;
    for (size_t i = 0; !r && i < x->n; i++) {
        fprintf(f, "\n%s== process %zu of %zu: pid %u ==%s\n", bold, i + 1, x->n, x->p[i].pid, off);
        r = copy(x->spool, x->p[i].len, f);
    }
    return r || ferror(f) ? -1 : 0;
}

/* multi_json: the JSON report of the processes folded into x. 0 or -1. */
static int multi_json(struct wr_procs *x, FILE *f)
{
    struct wr_ktable *t = &x->t;
    fprintf(f, "{\"version\":1,\"multi\":true,\"split\":\"%s\",\"processes\":[", x->split ? "measured" : "unavailable");
    int r = 0;
    for (size_t i = 0; !r && i < x->n; i++) {
        if (i)
            fputc(',', f);
        r = copy(x->spool, x->p[i].len, f);
    }
    fputs("],\"sites\":[", f);
    for (size_t i = 0; !r && i < t->n; i++) {
        const struct wr_ksite *k = t->sorted[i];
        fputs(i ? ",{" : "{", f);
        wr_json_ksite_id(f, k);
        fputs(",\"pids\":[", f);
        for (size_t p = 0; p < k->npids; p++)
            fprintf(f, "%s%u", p ? "," : "", k->pids[p]);
        fprintf(f,
                "],\"calls\":%" PRIu64 ",\"total_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64 ",\"bytes\":%" PRIu64
                ",\"errors\":%" PRIu64,
                k->v.calls, k->v.total_ns, k->v.max_ns, k->v.bytes, k->v.errors);
        fprintf(f, ",\"p50_ns\":%" PRIu64 ",\"p95_ns\":%" PRIu64 ",\"p99_ns\":%" PRIu64 ",\"p999_ns\":%" PRIu64,
                wr_hist_quantile(&k->hist, 0.5), wr_hist_quantile(&k->hist, 0.95), wr_hist_quantile(&k->hist, 0.99),
                wr_hist_quantile(&k->hist, 0.999));
        if (k->split)
            fprintf(f,
                    ",\"wait_ns\":%" PRIu64 ",\"blocked_ns\":%" PRIu64 ",\"runnable_ns\":%" PRIu64
                    ",\"cpu_ns\":%" PRIu64 ",\"switches\":%" PRIu64,
                    wr_kval_wait(&k->v), k->v.blocked_ns, k->v.runnable_ns, wr_kval_cpu(&k->v), k->v.switches);
        else
            fputs(",\"wait_ns\":null,\"blocked_ns\":null,\"runnable_ns\":null,\"cpu_ns\":null,\"switches\":null", f);
        fputs(",\"stack\":", f);
        wr_json_frame_list(f, k->frames, k->nsym);
        fputc('}', f);
    }
    fputs("]}\n", f);
    return r || ferror(f) ? -1 : 0;
}

/* release: free the model and trace of one process. */
static void release(struct wr_model *m, struct wr_trace *t)
{
    wr_model_free(m);
    wr_trace_close(t);
}

int wr_report_processes(const struct wr_processes_req *c, FILE *out)
{
    struct wr_procs x = {.c = c, .split = 1};
    struct wr_trace tr[2];
    struct wr_model md[2];
    memset(tr, 0, sizeof tr);
    memset(md, 0, sizeof md);
    char **v;
    size_t n, kept = 0, missed = 0;
    int r = wr_set_expand(c->paths, c->npaths, &v, &n), held = 0; /* held: the first process is still whole */
    struct wr_symlib *lib = r ? NULL : wr_symlib_new();
    if (r == -1 || (!r && !lib)) {
        fprintf(stderr, "waitreport: out of memory\n");
        r = 2;
    }
    /* The first process kept is held whole until a second one turns up, so
     * that a single trace gets the one-process report. */
    for (size_t i = 0; !r && i < n; i++) {
        char err[512];
        struct wr_trace *t = &tr[held];
        struct wr_model *m = &md[held];
        if (wr_trace_open(t, v[i], err, sizeof err) != 0) {
            fprintf(stderr, "waitreport: %s\n", err);
            r = 2;
            break;
        }
        if (c->have_pid && t->hdr.pid != c->pid) {
            wr_trace_close(t);
            memset(t, 0, sizeof *t);
            continue;
        }
        struct wr_build b = {.filter = c->filter,
                             .window = c->window,
                             .merge_line = c->merge_line,
                             .lib = lib,
                             .crit_mark = c->crit_mark};
        if (wr_model_build_with(m, t, &b) != 0) {
            fprintf(stderr, "waitreport: %s: out of memory\n", v[i]);
            release(m, t);
            r = 2;
            break;
        }
        m->symlib = lib;
        missed += wr_window_missed(m);
        if (!kept++) {
            held = 1;
            continue;
        }
        if (!x.spool && !(x.spool = open_spool()))
            r = 2;
        if (!r && held && fold(&x, &md[0]) != 0)
            r = 2;
        if (held) {
            release(&md[0], &tr[0]);
            held = 0;
        }
        if (!r && fold(&x, m) != 0)
            r = 2;
        release(m, t);
        memset(tr, 0, sizeof tr);
    }
    if (!r && !kept) {
        if (c->have_pid)
            fprintf(stderr, "waitreport: no trace of pid %u among the %zu given\n", c->pid, n);
        else
            fprintf(stderr, "waitreport: no trace given\n");
        r = 2;
    }
    if (!r && missed == kept) /* each said why */
        r = 2;
    int w = 0;
    if (!r && held) {
        w = c->json ? wr_report_json(&md[0], c->o, out) : wr_report_text(&md[0], c->o, out);
    } else if (!r) {
        if (wr_ktable_sort(&x.t) != 0) {
            fprintf(stderr, "waitreport: out of memory\n");
            r = 2;
        } else if (fflush(x.spool) != 0 || fseek(x.spool, 0, SEEK_SET) != 0) {
            fprintf(stderr, "waitreport: reading the spool file: %s\n", strerror(errno));
            r = 2;
        } else {
            w = c->json ? multi_json(&x, out) : multi_text(&x, out);
        }
    }
    if (!r && w != 0)
        r = -1;
    if (held)
        release(&md[0], &tr[0]);
    wr_ktable_free(&x.t);
    for (size_t i = 0; i < x.n; i++)
        free(x.p[i].name);
    free(x.p);
    if (x.spool)
        fclose(x.spool);
    wr_symlib_free(lib); /* after the models and the table: they hold its strings */
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    return r;
}
