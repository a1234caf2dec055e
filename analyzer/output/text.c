/* text.c: the human report, a table of sites by total time that is
 * readable at 100 columns. Colour only when wr_opts.color is set. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyses/analyses.h"
#include "output/fmt.h"
#include "output/report.h"

#define BAR_W 14

int wr_func_has_bytes(unsigned func)
{
    const struct lw_func_info *fi = lw_func_info_of(func);
    if (!fi)
        return 0;
    switch (fi->schema) {
    case LW_S_ALLOC:
    case LW_S_REALLOC:
    case LW_S_MEMALIGN:
    case LW_S_IO:
    case LW_S_MMAP:
    case LW_S_MREMAP:
        return 1;
    }
    return 0;
}

const char *wr_io_verb(unsigned func)
{
    const struct lw_func_info *fi = lw_func_info_of(func);
    const char *n = fi ? fi->name : "";
    if (!strncmp(n, "recv", 4))
        return "received";
    if (!strncmp(n, "send", 4))
        return "sent";
    if (strstr(n, "read") || !strcmp(n, "fgets") || !strcmp(n, "getline") || !strcmp(n, "getdelim"))
        return "read";
    return "written";
}

/* split_bar: a bar of up to BAR_W cells for share of the top site, split
 * into CPU, blocked and runnable: three colours on a tty, else three
 * characters (# cpu, = blocked, . runnable). Without switches: one kind. */
static void split_bar(char *buf, size_t cap, const struct wr_opts *o, double share, uint64_t total, uint64_t blocked,
                      uint64_t runnable, int split)
{
    size_t w = (size_t)(share * BAR_W + 0.5), nb = 0, nr = 0, o_ = 0;
    if (split && total) {
        nb = (size_t)((double)w * (double)blocked / (double)total + 0.5);
        nr = (size_t)((double)w * (double)runnable / (double)total + 0.5);
        if (nb + nr > w)
            nr = w - nb;
    }
    size_t nc = w - nb - nr;
    static const char *col[3] = {"\033[31m", "\033[34m", "\033[33m"}; /* red, blue, yellow */
    static const char *ch[3] = {"#", "=", "."};
    size_t cnt[3] = {nc, nb, nr};
    for (int k = 0; k < 3; k++) {
        if (!cnt[k])
            continue;
        if (o->color)
            o_ += (size_t)snprintf(buf + o_, cap - o_, "%s", col[k]);
        for (size_t i = 0; i < cnt[k] && o_ + 4 < cap; i++)
            o_ += (size_t)snprintf(buf + o_, cap - o_, "%s", o->color ? "\xe2\x96\x88" : ch[k]);
    }
    if (o->color && o_ + 5 < cap)
        o_ += (size_t)snprintf(buf + o_, cap - o_, "\033[0m");
    buf[o_ < cap ? o_ : cap - 1] = 0;
}

/* distortion_warning: the line, right under the report's first, that says
 * when libwait's own work took so much of the threads' time that the
 * figures below cannot be ranked as if it were not there. */
static void distortion_warning(struct wr_model *m, const struct wr_opts *o, FILE *f)
{
    struct wr_distortion d;
    wr_model_distortion(m, &d);
    if (d.distorted != 1)
        return;
    char a[32], b[32];
    fprintf(f,
            "%sWARNING: timings distorted: libwait's own time is %.0f%% of the process's thread time (%s of %s, "
            "the threads' lives summed); waits, holds and wall time are stretched by libwait's work, rank sites "
            "with care%s\n",
            o->color ? "\033[1;31m" : "", 100.0 * d.share, wr_fmt_ns(a, sizeof a, d.self_ns),
            wr_fmt_ns(b, sizeof b, d.thread_ns), o->color ? "\033[0m" : "");
}

/* thread_names: when the filter kept no thread, the names there are to
 * choose from (the first 10 distinct ones), so a misspelt --thread is seen. */
static void thread_names(const struct wr_model *m, FILE *f)
{
    size_t shown = 0;
    fputs("filter: no thread kept; the threads are named", f);
    for (size_t i = 0; i < m->nthreads && shown < 10; i++) {
        const char *n = m->threads[i].name[0] ? m->threads[i].name : "?";
        size_t k = 0;
        while (k < i && strcmp(n, m->threads[k].name[0] ? m->threads[k].name : "?"))
            k++;
        if (k < i)
            continue;
        char c[4 * sizeof m->threads[i].name];
        fprintf(f, "%s '%s'", shown++ ? "," : "", wr_clean(c, sizeof c, n));
    }
    fputc('\n', f);
}

/* trace_bytes: what the trace file's bytes hold, as read: the parts add up
 * to the file's size, and the bytes per call record divide. */
static void trace_bytes(struct wr_model *m, FILE *f)
{
    uint64_t size = m->trace->size, rec = m->call_bytes + m->stack_bytes + m->other_bytes;
    char a[32], b[32], c[32], d[32], e[32], n[32];
    fprintf(f, "trace file %s: call records %s (%s", wr_fmt_bytes(a, sizeof a, size),
            wr_fmt_bytes(b, sizeof b, m->call_bytes), wr_fmt_count(n, sizeof n, m->calls_read));
    if (m->calls_read)
        fprintf(f, ", %.1f bytes each", (double)m->call_bytes / (double)m->calls_read);
    fprintf(f, "), stacks %s, other records %s, unused chunk space and headers %s\n",
            wr_fmt_bytes(c, sizeof c, m->stack_bytes), wr_fmt_bytes(d, sizeof d, m->other_bytes),
            wr_fmt_bytes(e, sizeof e, size > rec ? size - rec : 0));
}

static void summary(struct wr_model *m, const struct wr_opts *o, FILE *f)
{
    const struct lw_file_header *h = &m->trace->hdr;
    char a[32], b[32];
    char cmd[4 * (sizeof h->exe > sizeof h->command ? sizeof h->exe : sizeof h->command)];
    fprintf(f, "libwait report: %s (pid %u)\n", wr_clean(cmd, sizeof cmd, h->command[0] ? h->command : h->exe), h->pid);
    distortion_warning(m, o, f);
    fprintf(f, "wall %s, %zu thread%s, %s calls at %zu sites\n", wr_fmt_ns(a, sizeof a, m->wall_ns), m->nthreads,
            m->nthreads == 1 ? "" : "s", wr_fmt_count(b, sizeof b, m->calls), m->nsites);
    trace_bytes(m, f);
    if (m->filter) {
        char ft[256], k[32], all[32];
        fprintf(f,
                "filter: %s: %zu of %zu threads, %s of %s calls; the locks and heap sections are the whole process's\n",
                wr_filter_text(m->filter, ft, sizeof ft), m->kept_threads, m->nthreads,
                wr_fmt_count(k, sizeof k, m->calls), wr_fmt_count(all, sizeof all, m->calls_read));
        if (!m->kept_threads)
            thread_names(m, f);
    }
    if (m->window) {
        char w[96], arg[96], k[32], all[32], len[32], from_s[32];
        fprintf(
            f,
            "window: %s of the trace's %s (%s): %s of %s calls ended in it; the locks and heap sections count them all",
            wr_window_text(m, w, sizeof w), wr_fmt_ns(len, sizeof len, m->span_ns),
            wr_window_arg(m->window, arg, sizeof arg), wr_fmt_count(k, sizeof k, m->calls),
            wr_fmt_count(all, sizeof all, m->calls_read));
        uint64_t from;
        if (m->trace->flight && (wr_trace_window(m->trace, m->wall_ns, &from), from > m->win_start_ns))
            fprintf(f, "; the calls before %s were overwritten (flight recorder)",
                    wr_fmt_ns(from_s, sizeof from_s, from));
        fputc('\n', f);
    }
    if (m->merge_line)
        fprintf(f, "sites merged by file:line (--merge line): %zu stack%s differed from another only in addresses\n",
                m->stacks_merged, m->stacks_merged == 1 ? "" : "s");
    const struct lw_stats *st = &h->stats;
    uint64_t lookups = st->unwinds + st->stack_hits;
    fprintf(f,
            "libwait itself: %" PRIu64 " stacks, %" PRIu64 " unwinds for %" PRIu64 " lookups (%.2f%% from the cache), "
            "%" PRIu64 " nested calls not recorded, %" PRIu64 " dropped\n",
            st->stacks, st->unwinds, lookups, lookups ? 100.0 * (double)st->stack_hits / (double)lookups : 0.0,
            st->nested, st->dropped);
    if (h->lone_locks) /* the recorder's lone-thread rule (WAIT_LOCKS) */
        fprintf(f,
                "lone thread: %s lock and unlock calls that found their lock free while the process had one thread "
                "were counted, not recorded: no other thread could wait for them (WAIT_LOCKS=all records them)\n",
                wr_fmt_count(a, sizeof a, h->lone_locks));
    if (st->self_ticks) { /* sampled; whole only after a clean exit */
        fprintf(f, "libwait's own time (estimated): %s", wr_fmt_ns(a, sizeof a, wr_model_ns(m, st->self_ticks)));
        if (st->records >= 10000) /* else start-up (unwinds, load map, first chunks) dominates */
            fprintf(f, ", %.1f ns per call", (double)wr_model_ns(m, st->self_ticks) / (double)st->records);
        fputc('\n', f);
    }
    if (m->trace->flight) {
        char c[32], d[32], e[32];
        uint64_t from, win = wr_trace_window(m->trace, m->wall_ns, &from);
        fprintf(f, "flight recorder (WAIT_MAX_SIZE %s): ", wr_fmt_bytes(c, sizeof c, h->flight.max_size));
        if (h->flight.dropped_chunks)
            fprintf(f,
                    "the trace holds the last %s of the run (every call from %s on); %s calls were overwritten "
                    "with %" PRIu64 " older chunks\n",
                    wr_fmt_ns(a, sizeof a, win), wr_fmt_ns(d, sizeof d, from),
                    wr_fmt_count(e, sizeof e, h->flight.dropped_calls), h->flight.dropped_chunks);
        else
            fprintf(f, "nothing was overwritten: the trace holds the whole run\n");
        if (m->trace->torn)
            fprintf(f, "note: %" PRIu64 " chunks were being overwritten as they were read and were left out\n",
                    m->trace->torn);
    }
    if (h->flags & LW_HF_STOPPED)
        fprintf(f, "note: libwait stopped recording early (full disk, file size limit or trace fd taken): this is "
                   "what was written before\n");
    else if (m->trace->incomplete)
        fprintf(f, "note: the trace is incomplete (process still running, killed or crashed): "
                   "this is what was written\n");
    else if (h->flags & LW_HF_EXEC)
        fprintf(f, "note: the process image ended in an exec (its pid ran another program after it; that image "
                   "has a trace of its own)\n");
    if (m->have_switches)
        fprintf(f,
                "wait/CPU split measured from %" PRIu64 " kernel context switches (%" PRIu64 " lost)\n"
                "bar: share of the top site's total time, split into cpu [# red], blocked [= blue] "
                "and runnable (waiting for a CPU) [. yellow]\n",
                m->switches, m->switches_lost);
    else if (h->flags & LW_HF_NO_PERF)
        fprintf(f, "wait/CPU split unavailable: perf_event_open was refused (perf_event_paranoid or seccomp); "
                   "times are wall time inside each call\n");
    else
        fprintf(f, "wait/CPU split unavailable: this trace has no context-switch records\n");
    if (m->rate_estimated == 1)
        fprintf(f, "note: run too short for a measured clock rate; times use a start-up calibration\n");
}

/* site_extra: a line of lock, heap or mapping figures under a site's row. */
static void site_extra(struct wr_model *m, const struct wr_site *s, FILE *f, const char *dim, const char *off)
{
    const struct lw_func_info *fi = lw_func_info_of(s->func);
    char a[32], b[32], c[32], line[512];
    if (fi && fi->family == LW_FAM_LOCK && (s->contended || s->holds)) {
        char h[32], ct[32];
        fprintf(f, "    %s%s contended, %s holds %s (max %s)%s\n", dim, wr_fmt_count(ct, sizeof ct, s->contended),
                wr_fmt_count(h, sizeof h, s->holds), wr_fmt_ns(a, sizeof a, s->hold_ns),
                wr_fmt_ns(b, sizeof b, s->hold_max_ns), off);
        struct wr_lock_row *hr = NULL; /* holders whose frame reads the same are one */
        size_t nhr = 0;
        if (s->nholders && wr_holder_rows(m, s->holders, s->nholders, &hr, &nhr) == 0 && nhr) {
            wr_fit(line, sizeof line, hr[0].name, 90);
            fprintf(f, "    %stop holder %s: %s%s\n", dim, wr_fmt_ns(c, sizeof c, hr[0].ns), line, off);
        }
        wr_lock_rows_free(hr, nhr);
    } else if (fi && fi->schema == LW_S_COND && s->holds) {
        char h[32];
        fprintf(f, "    %s%s holds of the mutex after the waits %s (max %s)%s\n", dim,
                wr_fmt_count(h, sizeof h, s->holds), wr_fmt_ns(a, sizeof a, s->hold_ns),
                wr_fmt_ns(b, sizeof b, s->hold_max_ns), off);
    } else if (fi && fi->family == LW_FAM_MALLOC && s->allocs) {
        fprintf(f, "    %s%s bytes allocated, peak %s live, leaked %" PRIu64 " (%s bytes)%s\n", dim,
                wr_fmt_count(a, sizeof a, s->alloc_bytes), wr_fmt_count(b, sizeof b, s->peak_bytes), s->leaked,
                wr_fmt_count(c, sizeof c, s->leaked_bytes), off);
    } else if (fi && fi->family == LW_FAM_SLEEP) {
        fprintf(f, "    %sasked for %s in all%s\n", dim, wr_fmt_ns(a, sizeof a, s->asked_ns), off);
    } else if (fi && fi->schema == LW_S_IO) {
        fprintf(f, "    %s%s byte%s %s, %s per call%s%s%s%s\n", dim, wr_fmt_count(a, sizeof a, s->bytes),
                s->bytes == 1 ? "" : "s", wr_io_verb(s->func), wr_fmt_per_call(b, sizeof b, s->bytes, s->calls),
                s->errors ? ", " : "", s->errors ? wr_fmt_count(c, sizeof c, s->errors) : "",
                s->errors ? " failed" : "", off);
    } else if (fi && fi->family == LW_FAM_MMAP) {
        fprintf(f, "    %s%s bytes %s, %" PRIu64 " failed%s\n", dim, wr_fmt_count(a, sizeof a, s->bytes),
                s->func == LW_F_munmap ? "unmapped" : "mapped", s->errors, off);
    }
}

#define WR_TEXT_LOCKS     5   /* locks listed, most wait caused first (--all-locks: all) */
#define WR_TEXT_LOCK_ROWS 3   /* "held by" and "waited by" rows under each */
#define WR_TEXT_NAME_MAX  100 /* widest name column; longer names are elided in the middle */

/* lock_rows: the rows shown under one lock: who held it, who waited on it. */
struct lock_rows {
    struct wr_lock_row *held, *waited;
    size_t nheld, nwaited;
};

/* name_width: the name column's width, w so far, made room for name. */
static size_t name_width(size_t w, const char *name)
{
    size_t c = wr_cols(name);
    c = c < WR_TEXT_NAME_MAX ? c : WR_TEXT_NAME_MAX;
    return c > w ? c : w;
}

/* lock_row_print: one "held by" or "waited by" row, its name padded to
 * width columns. */
static void lock_row_print(FILE *f, const char *what, const struct wr_lock_row *r, size_t width, int held,
                           int waited_on)
{
    char name[3 * WR_TEXT_NAME_MAX + 1], a[32], b[32], c[32];
    size_t w = wr_fit(name, sizeof name, r->name, width);
    fprintf(f, "    %s %s%*s %s in %s %s", what, name, (int)(width - w), "", wr_fmt_ns(a, sizeof a, r->ns),
            wr_fmt_count(c, sizeof c, r->count), held ? (r->count == 1 ? "hold" : "holds") : "calls");
    if (held && waited_on)
        fprintf(f, ", caused %s", wr_fmt_ns(b, sizeof b, r->blame_ns));
    fputc('\n', f);
}

/* locks_section: the locks that made a thread wait (every lock with
 * --all-locks), most wait caused first, each with the sites that held it
 * and waited on it, rows that read the same merged (lockrows.c); the name
 * column is as wide as the widest name shown, up to WR_TEXT_NAME_MAX. */
static int locks_section(struct wr_model *m, const struct wr_opts *o, FILE *f, const char *bold, const char *off)
{
    if (!m->nmutexes)
        return 0;
    char a[32], b[32], c[32], d[32], h[200];
    size_t waited = 0, n = 0;
    for (size_t i = 0; i < m->nmutexes; i++)
        waited += wr_mutex_waited(m->mutex_sorted[i]);
    if (!waited && !o->all_locks) {
        fprintf(f, "\n%s\n", wr_locks_heading(h, sizeof h, m->nmutexes, 0, 0, 0));
        return 0;
    }
    size_t want = o->all_locks ? m->nmutexes : waited < WR_TEXT_LOCKS ? waited : WR_TEXT_LOCKS;
    struct lock_rows *lr = calloc(want, sizeof *lr);
    const struct wr_mutex **shown = calloc(want, sizeof *shown);
    int r = lr && shown ? 0 : -1;
    size_t width = 0;
    for (size_t i = 0; !r && i < m->nmutexes && n < want; i++) {
        const struct wr_mutex *mu = m->mutex_sorted[i];
        if (!o->all_locks && !wr_mutex_waited(mu))
            continue;
        shown[n] = mu;
        struct lock_rows *x = &lr[n++];
        r = wr_mutex_rows(m, mu->held_by, mu->nheld, &x->held, &x->nheld) ||
            wr_mutex_rows(m, mu->waited_by, mu->nwaited, &x->waited, &x->nwaited);
        for (size_t k = 0; !r && k < x->nheld && k < WR_TEXT_LOCK_ROWS; k++)
            width = name_width(width, x->held[k].name);
        for (size_t k = 0; !r && k < x->nwaited && k < WR_TEXT_LOCK_ROWS; k++)
            width = name_width(width, x->waited[k].name);
    }
    if (!r)
        fprintf(f, "\n%s%s%s\n", bold, wr_locks_heading(h, sizeof h, m->nmutexes, waited, n, o->all_locks), off);
    for (size_t i = 0; !r && i < n; i++) {
        const struct wr_mutex *mu = shown[i];
        int w = wr_mutex_waited(mu);
        fprintf(f, "  %s 0x%" PRIx64 ": %s locks, ", wr_lock_kind_name(mu), mu->addr,
                wr_fmt_count(a, sizeof a, mu->locks));
        if (mu->contended)
            fprintf(f, "%s contended taking %s", wr_fmt_count(b, sizeof b, mu->contended),
                    wr_fmt_ns(c, sizeof c, mu->wait_ns));
        else
            fputs("none contended", f);
        fprintf(f, ", held %s (max %s)\n", wr_fmt_ns(c, sizeof c, mu->hold_ns),
                wr_fmt_ns(d, sizeof d, mu->hold_max_ns));
        for (size_t k = 0; k < lr[i].nheld && k < WR_TEXT_LOCK_ROWS; k++)
            lock_row_print(f, "held by  ", &lr[i].held[k], width, 1, w);
        for (size_t k = 0; k < lr[i].nwaited && k < WR_TEXT_LOCK_ROWS; k++)
            lock_row_print(f, "waited by", &lr[i].waited[k], width, 0, w);
    }
    for (size_t i = 0; lr && i < n; i++) {
        wr_lock_rows_free(lr[i].held, lr[i].nheld);
        wr_lock_rows_free(lr[i].waited, lr[i].nwaited);
    }
    free(lr);
    free(shown);
    return r;
}

/* heap_section: the peak live heap and the leaks by site. */
static void heap_section(struct wr_model *m, FILE *f, const char *bold, const char *off)
{
    const struct wr_heap *hp = &m->heap;
    if (!hp->peak_bytes)
        return;
    char a[32], b[32], c[32], n[WR_NAME_CAP], fit[3 * 70 + 1];
    fprintf(f, "\n%sheap%s peak %s bytes live in %s blocks at %s; %s %s bytes in %" PRIu64 " blocks\n", bold, off,
            wr_fmt_count(a, sizeof a, hp->peak_bytes), wr_fmt_count(b, sizeof b, hp->peak_count),
            wr_fmt_ns(c, sizeof c, hp->peak_ns), m->trace->incomplete ? "live at the end of the trace:" : "leaked:",
            wr_fmt_count(n, sizeof n, hp->leaked_bytes), hp->leaked);
    const struct wr_site *top[5];
    size_t n5 = wr_top_leaks(m, top, 5);
    for (size_t i = 0; i < n5; i++) {
        wr_fit(fit, sizeof fit, wr_site_name(m, top[i], n, sizeof n), 70);
        fprintf(f, "  %12s bytes in %6" PRIu64 " blocks  %s\n", wr_fmt_count(a, sizeof a, top[i]->leaked_bytes),
                top[i]->leaked, fit);
    }
}

/* The frames of the shown sites, gathered first so that two rows of one
 * function that look alike over --frames frames each show as many more as
 * tells them apart (wr_distinct_depths), up to WR_SHOWN_DEPTH. */
#define WR_SHOWN_DEPTH 32

struct shown_frames {
    struct wr_frame *fr; /* WR_SHOWN_DEPTH per row; NULL: print --frames as they come */
    size_t *nf, *depth, *twin;
};

static void shown_frames_free(struct shown_frames *sf)
{
    free(sf->fr);
    free(sf->nf);
    free(sf->depth);
    free(sf->twin);
}

static void shown_frames_get(struct shown_frames *sf, struct wr_model *m, size_t n, size_t min)
{
    *sf = (struct shown_frames){NULL, NULL, NULL, NULL};
    if (!n || min >= WR_SHOWN_DEPTH)
        return;
    const char **key = calloc(n, sizeof *key);
    const struct wr_frame **rows = calloc(n, sizeof *rows);
    sf->fr = calloc(n * WR_SHOWN_DEPTH, sizeof *sf->fr);
    sf->nf = calloc(n, sizeof *sf->nf);
    sf->depth = calloc(n, sizeof *sf->depth);
    sf->twin = calloc(n, sizeof *sf->twin);
    int ok = key && rows && sf->fr && sf->nf && sf->depth && sf->twin;
    for (size_t i = 0; ok && i < n; i++) {
        const struct lw_func_info *fi = lw_func_info_of(m->sorted[i]->func);
        key[i] = fi ? fi->name : "?";
        rows[i] = sf->fr + i * WR_SHOWN_DEPTH;
        sf->nf[i] = wr_model_frames(m, m->sorted[i]->stack, sf->fr + i * WR_SHOWN_DEPTH, WR_SHOWN_DEPTH);
    }
    if (!ok || wr_distinct_depths(key, rows, sf->nf, n, min, sf->depth, sf->twin) != 0) {
        shown_frames_free(sf);
        *sf = (struct shown_frames){NULL, NULL, NULL, NULL};
    }
    free(key);
    free(rows);
}

/* mostly_outside: under a thread's row, when more than half its life was
 * outside any recorded call, a line that says so, with that time's split
 * and the thread's page faults: a malloc above the mmap threshold faults
 * its pages in there, after the call returned. */
static void mostly_outside(const struct wr_model *m, const struct wr_thread *t, const struct wr_outside *ot, FILE *f,
                           const char *dim, const char *off)
{
    uint64_t life = wr_thread_life_ns(m, t);
    char a[32], b[32], c[32], d[32], n1[32], n2[32];
    if (!life || 2 * ot->ns <= life || ot->ns < 1000000)
        return;
    fprintf(f, "    %s%.0f%% of its life outside any recorded call (%s", dim, 100.0 * (double)ot->ns / (double)life,
            wr_fmt_ns(a, sizeof a, ot->ns));
    if (ot->split)
        fprintf(f, ": cpu %s, blocked %s, runnable %s", wr_fmt_ns(b, sizeof b, ot->cpu_ns),
                wr_fmt_ns(c, sizeof c, ot->blocked_ns), wr_fmt_ns(d, sizeof d, ot->runnable_ns));
    fputc(')', f);
    if (t->faults)
        fprintf(f, "; %s minor and %s major page faults in its life", wr_fmt_count(n1, sizeof n1, t->minflt),
                wr_fmt_count(n2, sizeof n2, t->majflt));
    fprintf(f, "%s\n", off);
}

int wr_report_text(struct wr_model *m, const struct wr_opts *o, FILE *f)
{
    const char *bold = o->color ? "\033[1m" : "", *dim = o->color ? "\033[2m" : "", *off = o->color ? "\033[0m" : "";
    /* the critical path first, as for JSON (wr_report_json): its memory is
     * freed before the sites' frames load their debug information */
    (void)wr_crit_path(m, 0);
    summary(m, o, f);
    fprintf(f, "\n%s  # %-20s %9s %9s %9s %9s %9s %9s  %s%s\n", bold, "function", "calls", "total", "wait", "p50",
            "p99", "max", m->have_switches ? "cpu/blk/run" : "vs top", off);
    size_t n = o->top && o->top < m->nsites ? o->top : m->nsites;
    uint64_t top = n ? m->sorted[0]->total_ticks : 0;
    struct shown_frames sf;
    shown_frames_get(&sf, m, n, o->frames);
    int untimed = 0; /* a quantile shown reads "untimed": say what that means */
    for (size_t i = 0; i < n; i++) {
        const struct wr_site *s = m->sorted[i];
        const struct lw_func_info *fi = lw_func_info_of(s->func);
        char c[32], t[32], w[32], p50[32], p99[32], mx[32], bar[256];
        uint64_t total = wr_model_ns(m, s->total_ticks);
        if (m->have_switches)
            wr_fmt_ns(w, sizeof w, s->blocked_ns + s->runnable_ns);
        else
            snprintf(w, sizeof w, "-");
        split_bar(bar, sizeof bar, o, top ? (double)s->total_ticks / (double)top : 0, total,
                  m->have_switches ? s->blocked_ns : 0, m->have_switches ? s->runnable_ns : 0, m->have_switches);
        fprintf(f, "%3zu %s%-20s%s %9s %9s %9s %9s %9s %9s  %s\n", i + 1, bold, fi ? fi->name : "?", off,
                wr_fmt_count(c, sizeof c, s->calls), wr_fmt_ns(t, sizeof t, total), w,
                wr_fmt_quantile(p50, sizeof p50, wr_hist_quantile(&s->hist, 0.5)),
                wr_fmt_quantile(p99, sizeof p99, wr_hist_quantile(&s->hist, 0.99)),
                wr_fmt_quantile(mx, sizeof mx, wr_model_ns(m, s->max_ticks)), bar);
        untimed |= !wr_hist_quantile(&s->hist, 0.5) || !wr_hist_quantile(&s->hist, 0.99);
        site_extra(m, s, f, dim, off);
        if (m->have_switches && fi && fi->family == LW_FAM_EVENT) {
            char a1[32], a2[32];
            fprintf(
                f, "    %sfast path (no switch): %" PRIu64 " calls, %s; slow path (blocked): %" PRIu64 " calls, %s%s\n",
                dim, s->fast_calls, wr_fmt_ns(a1, sizeof a1, wr_model_ns(m, s->fast_ticks)), s->slow_calls,
                wr_fmt_ns(a2, sizeof a2, wr_model_ns(m, s->slow_ticks)), off);
        }
        wr_wakers_text(f, m, s, dim, off);
        if (sf.fr) {
            wr_print_frames_to(f, sf.fr + i * WR_SHOWN_DEPTH, sf.nf[i], o->frames, sf.depth[i], dim, off);
            if (sf.twin[i] != SIZE_MAX)
                fprintf(f, "    %s(" WR_TWIN_NOTE ")%s\n", dim, sf.twin[i] + 1, off);
        } else {
            wr_print_frames(f, m, s->stack, o->frames, dim, off);
        }
    }
    shown_frames_free(&sf);
    if (n < m->nsites)
        fprintf(f, "... %zu more sites (--top 0 shows all)\n", m->nsites - n);
    if (untimed)
        fprintf(f, "%s%s%s\n", dim, WR_UNTIMED_NOTE, off);
    if (m->have_switches)
        fprintf(f, "\n%sthreads%s%36s%11s%11s%11s%11s%11s\n", bold, off, "", "life", "cpu", "blocked", "runnable",
                "outside");
    else
        fprintf(f, "\n%sthreads%s%36s%11s\n", bold, off, "", "outside");
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct wr_thread *t = &m->threads[i];
        char c[32], l[32], cp[32], bl[32], rn[32], out[32], bar[256];
        if (!t->kept)
            continue;
        struct wr_outside ot;
        wr_thread_outside(m, t, &ot);
        fprintf(f, "  tid %-8u %-12s %9s calls", t->tid, t->name[0] ? t->name : "?",
                wr_fmt_count(c, sizeof c, t->calls));
        if (m->have_switches) {
            uint64_t cpu = wr_model_cpu_ns(t->life_ns, t->blocked_ns, t->runnable_ns);
            split_bar(bar, sizeof bar, o, 1.0, t->life_ns, t->blocked_ns, t->runnable_ns, 1);
            fprintf(f, " %10s %10s %10s %10s %10s  %s", wr_fmt_ns(l, sizeof l, t->life_ns),
                    wr_fmt_ns(cp, sizeof cp, cpu), wr_fmt_ns(bl, sizeof bl, t->blocked_ns),
                    wr_fmt_ns(rn, sizeof rn, t->runnable_ns), wr_fmt_ns(out, sizeof out, ot.ns), bar);
        } else
            fprintf(f, " %10s", wr_fmt_ns(out, sizeof out, ot.ns));
        fputc('\n', f);
        mostly_outside(m, t, &ot, f, dim, off);
    }
    /* "why threads waited": five rows, or all with --top 0 */
    if (wr_wakers_why(f, m, o->top ? 5 : 0, bold, off) != 0 || locks_section(m, o, f, bold, off) != 0)
        return -1;
    if (wr_crit_text(f, m, bold, off) != 0)
        return -1;
    heap_section(m, f, bold, off);
    wr_marks_text(m, f);
    return ferror(f) ? -1 : 0;
}
