/* multi.c: the report of several processes (fork/exec children, one
 * trace each): their sites merged by symbolized stack (sitekey.h) into one
 * table, then each process's own report. */
#include <inttypes.h>
#include <string.h>

#include "export.h"
#include "oututil.h"

/* build: the merged table of every process in s, sorted. 0 or -1. */
static int build(struct wr_set *s, struct wr_ktable *t)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < s->n; i++)
        if (wr_ktable_add(t, &s->m[i]) != 0)
            return -1;
    return wr_ktable_sort(t);
}

/* all_split: every process has the wait/CPU split. */
static int all_split(const struct wr_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (!s->m[i].have_switches)
            return 0;
    return 1;
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

int wr_multi_text(struct wr_set *s, const struct wr_opts *o, FILE *f)
{
    struct wr_ktable t;
    if (build(s, &t) != 0) {
        wr_ktable_free(&t);
        fprintf(stderr, "waitreport: out of memory\n");
        return -1;
    }
    const char *bold = o->color ? "\033[1m" : "", *dim = o->color ? "\033[2m" : "", *off = o->color ? "\033[0m" : "";
    uint64_t calls = 0;
    size_t threads = 0;
    for (size_t i = 0; i < s->n; i++)
        calls += s->m[i].calls, threads += s->m[i].nthreads;
    char a[32];
    fprintf(f, "%slibwait report: %zu processes%s, %zu threads, %s calls at %zu sites (merged by symbolized stack)\n",
            bold, s->n, off, threads, wr_fmt_count(a, sizeof a, calls), t.n);
    for (size_t i = 0; i < s->n; i++) {
        const struct lw_file_header *h = &s->t[i].hdr;
        char w[32], dist[64] = "";
        struct wr_distortion d;
        wr_model_distortion(&s->m[i], &d);
        if (d.distorted == 1) /* the process's own report says more, at its top */
            snprintf(dist, sizeof dist, " [WARNING: timings distorted, libwait %.0f%%]", 100.0 * d.share);
        fprintf(f, "  pid %-7u ppid %-7u %-10s %s%s%s  (%s)\n", h->pid, h->ppid,
                wr_fmt_ns(w, sizeof w, s->m[i].wall_ns), h->command[0] ? h->command : h->exe,
                s->t[i].incomplete ? " [incomplete]" : "", dist, s->t[i].path);
    }
    int split = all_split(s);
    fprintf(f, "\n%sall processes%s\n%s  # %-20s %9s %10s %10s %10s %10s  %s%s\n", bold, off, bold, "function", "calls",
            "total", "wait", "mean", "max", "pids", off);
    size_t n = o->top && o->top < t.n ? o->top : t.n;
    for (size_t i = 0; i < n; i++) {
        const struct wr_ksite *k = t.sorted[i];
        char c[32], tt[32], ww[32], mean[32], mx[32], pl[64];
        if (split && k->split)
            wr_fmt_ns(ww, sizeof ww, wr_kval_wait(&k->v));
        else
            snprintf(ww, sizeof ww, "-");
        fprintf(f, "%3zu %s%-20s%s %9s %10s %10s %10s %10s  %s\n", i + 1, bold, k->leaf, off,
                wr_fmt_count(c, sizeof c, k->v.calls), wr_fmt_ns(tt, sizeof tt, k->v.total_ns), ww,
                wr_fmt_ns(mean, sizeof mean, k->v.calls ? k->v.total_ns / k->v.calls : 0),
                wr_fmt_ns(mx, sizeof mx, k->v.max_ns), pid_list(pl, sizeof pl, k->pids, k->npids));
        wr_print_frame_list(f, k->frames, k->nsym, o->frames, dim, off);
    }
    if (n < t.n)
        fprintf(f, "... %zu more sites (--top 0 shows all)\n", t.n - n);
    int r = ferror(f) ? -1 : 0;
    for (size_t i = 0; !r && i < s->n; i++) {
        fprintf(f, "\n%s== process %zu of %zu: pid %u ==%s\n", bold, i + 1, s->n, s->t[i].hdr.pid, off);
        r = wr_report_text(&s->m[i], o, f);
    }
    wr_ktable_free(&t);
    return r || ferror(f) ? -1 : 0;
}

int wr_multi_json(struct wr_set *s, const struct wr_opts *o, FILE *f)
{
    struct wr_ktable t;
    if (build(s, &t) != 0) {
        wr_ktable_free(&t);
        fprintf(stderr, "waitreport: out of memory\n");
        return -1;
    }
    int split = all_split(s);
    fprintf(f, "{\"version\":1,\"multi\":true,\"split\":\"%s\",\"processes\":[", split ? "measured" : "unavailable");
    int r = 0;
    for (size_t i = 0; !r && i < s->n; i++) {
        if (i)
            fputc(',', f);
        r = wr_report_json(&s->m[i], o, f);
    }
    fputs("],\"sites\":[", f);
    for (size_t i = 0; !r && i < t.n; i++) {
        const struct wr_ksite *k = t.sorted[i];
        fputs(i ? ",{\"function\":" : "{\"function\":", f);
        wr_json_str(f, k->leaf);
        fputs(",\"family\":", f);
        wr_json_str(f, wr_model_family(k->func));
        fputs(",\"key\":", f);
        wr_json_str(f, k->key);
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
    wr_ktable_free(&t);
    return r || ferror(f) ? -1 : 0;
}
