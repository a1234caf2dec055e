/* top.c: `waitreport top`: a live, full-screen view of a running
 * program's sites from its growing trace (ncurses), one text snapshot
 * (--once, or when stdout is not a terminal), or a replay of a finished
 * trace at N times its speed (--replay N). */
#define _GNU_SOURCE
#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/builtin.h"
#include "cmd/options.h"
#include "model/top_model.h"
#include "output/fmt.h"
#include "output/report.h"

enum { SORT_WAIT, SORT_CPU, SORT_CALLS, SORT_P99, SORT_N };
static const char *sort_names[SORT_N] = {"wait", "cpu", "calls", "p99"};

struct top_opts {
    double delay, replay;
    int once, cumulative, threads, sort;
    size_t rows;
    const char *pprof_dir; /* --pprof-every DIR, or NULL */
};

struct row {
    const char *what, *where;
    char tid[24];
    const struct wr_top_acc *acc;
    uint64_t key;
};

struct view {
    struct wr_top *t;
    struct top_opts o;
    struct row *rows;
    size_t nrows, caprows;
    int finished; /* the process ended and everything is read */
    int tty;      /* the full-screen view (stderr is not ours then) */
};

static sigjmp_buf bus_jmp;

/* on_sigbus: the trace shrank under our mapping (bad input): leave the
 * update through bus_jmp instead of crashing. */
static void on_sigbus(int sig)
{
    (void)sig;
    siglongjmp(bus_jmp, 1);
}

/* mono_now: CLOCK_MONOTONIC in ns (the clock of the trace's stamps).
 * Cannot fail on Linux. */
static uint64_t mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* span: the nanoseconds the shown figures cover (interval or since start). */
static uint64_t span(const struct view *v)
{
    const struct wr_top *t = v->t;
    return v->o.cumulative ? t->t_now - t->t_start : t->t_now - t->t_prev;
}

static const struct wr_top_acc *acc_of(const struct view *v, const struct wr_top_acc *cur_last,
                                       const struct wr_top_acc *cum)
{
    return v->o.cumulative ? cum : cur_last;
}

/* sort_key: a's figure for the current sort (larger first): wait, CPU
 * (both the total time without switch records), calls or p99. */
static uint64_t sort_key(const struct view *v, const struct wr_top_acc *a)
{
    uint64_t w = a->blocked_ns + a->runnable_ns;
    switch (v->o.sort) {
    case SORT_WAIT:
        return v->t->have_switches ? w : a->total_ns;
    case SORT_CPU:
        return v->t->have_switches ? wr_model_cpu_ns(a->total_ns, a->blocked_ns, a->runnable_ns) : a->total_ns;
    case SORT_CALLS:
        return a->calls;
    default:
        return wr_hist_quantile(&a->hist, 0.99);
    }
}

/* cmp_row: qsort order of rows: larger key first, then larger total
 * time, then by site label (or thread id text): a total order. */
static int cmp_row(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->key != y->key)
        return x->key > y->key ? -1 : 1;
    if (x->acc->total_ns != y->acc->total_ns)
        return x->acc->total_ns > y->acc->total_ns ? -1 : 1;
    return x->where && y->where ? strcmp(x->where, y->where) : strcmp(x->tid, y->tid);
}

/* build_rows: the rows of the current view, sorted; rows with no calls in
 * what is shown are left out. 0, or -1 on out of memory. */
static int build_rows(struct view *v)
{
    struct wr_top *t = v->t;
    size_t need = (v->o.threads ? t->nthreads : t->nsites) + 1;
    if (need > v->caprows) {
        struct row *r = realloc(v->rows, need * sizeof *r);
        if (!r)
            return -1;
        v->rows = r;
        v->caprows = need;
    }
    v->nrows = 0;
    if (v->o.threads) {
        for (size_t i = 0; i < t->nthreads; i++) {
            struct wr_top_thread *th = t->threads[i];
            const struct wr_top_acc *a = acc_of(v, &th->last, &th->cum);
            if (!a->calls)
                continue;
            struct row *r = &v->rows[v->nrows++];
            *r = (struct row){th->name[0] ? th->name : "?", NULL, "", a, sort_key(v, a)};
            snprintf(r->tid, sizeof r->tid, "tid %u", th->tid);
        }
    } else {
        for (struct wr_top_site *s = t->sites; s; s = s->hh.next) {
            const struct wr_top_acc *a = acc_of(v, &s->last, &s->cum);
            if (!a->calls)
                continue;
            const struct lw_func_info *fi = lw_func_info_of(s->func);
            v->rows[v->nrows++] = (struct row){fi ? fi->name : "?", wr_top_label(t, s), "", a, sort_key(v, a)};
        }
    }
    qsort(v->rows, v->nrows, sizeof *v->rows, cmp_row);
    return 0;
}

/* d2u: d as an unsigned integer, clamped (figures from untrusted input). */
static uint64_t d2u(double d) { return d >= 1.8e19 ? UINT64_MAX : d > 0 ? (uint64_t)d : 0; }

/* per_s: ns (or a count) per second of the shown span, as a duration. */
static const char *per_s(char *buf, size_t cap, uint64_t ns, uint64_t sp)
{
    return wr_fmt_ns(buf, cap, sp ? d2u((double)ns * 1e9 / (double)sp) : 0);
}

/* header: the lines above the table, each into lines[i] (up to 4). */
static size_t header(const struct view *v, char lines[4][512])
{
    const struct wr_top *t = v->t;
    const struct lw_file_header *h = &t->live.hdr;
    char a[32], b[32], c[32];
    size_t n = 0;
    /* a replay shows the state its PAUSE/RESUME records give at the replay
     * time (a `ctl` pause leaves none), never the file's current one */
    const char *state = v->finished                ? (v->o.replay > 0 ? "replay finished" : "exited")
                        : v->o.replay > 0          ? (t->rec_paused ? "replaying, recording was PAUSED" : "replaying")
                        : wr_live_paused(&t->live) ? "recording PAUSED"
                                                   : "running";
    char cmd[256];
    snprintf(lines[n++], 512, "libwait top - %.200s (pid %u), %s, %s since start",
             wr_clean(cmd, sizeof cmd, h->command[0] ? h->command : h->exe), h->pid, state,
             wr_fmt_ns(a, sizeof a, t->t_now - t->t_start));
    uint64_t sp = span(v), ev = v->o.cumulative ? t->live.records : t->events_last;
    snprintf(lines[n], 512, "threads %zu, %s events/s recorded, %s: %s", t->nthreads,
             wr_fmt_count(b, sizeof b, sp ? d2u((double)ev * 1e9 / (double)sp) : 0),
             v->o.cumulative ? "since start" : "last interval", wr_fmt_ns(c, sizeof c, sp));
    if (v->o.replay > 0)
        snprintf(lines[n] + strlen(lines[n]), 512 - strlen(lines[n]), ", replay x%g", v->o.replay);
    n++;
    snprintf(lines[n++], 512, "sort: %s | split: %s%s%s", sort_names[v->o.sort],
             t->have_switches ? "cpu # / blocked = / runnable ." : "unavailable (no switch records)",
             t->lost ? " (some switches lost)" : "",
             t->live.t.warnings ? " | damaged trace: parts skipped (waitreport TRACE lists them)" : "");
    if (t->nmarks) {
        size_t o = (size_t)snprintf(lines[n], 512, "marks (%zu):", t->nmarks);
        for (size_t k = 0; k < 4 && k < t->nmarks && k < WR_TOP_MARKS && o < 400; k++) {
            const struct wr_mark *m = &t->marks[(t->nmarks - 1 - k) % WR_TOP_MARKS];
            char lb[96];
            o += (size_t)snprintf(lines[n] + o, 512 - o, " %.40s @%s", wr_mark_label(m, lb, sizeof lb),
                                  wr_fmt_ns(a, sizeof a, m->t_ns));
        }
        n++;
    }
    return n;
}

/* format_row: the text of a row (without the bar) and the bar's cells. */
static void format_row(const struct view *v, const struct row *r, uint64_t top, int barw, char *buf, size_t cap,
                       int cells[3])
{
    const struct wr_top_acc *a = r->acc;
    uint64_t sp = span(v), w = a->blocked_ns + a->runnable_ns;
    uint64_t cpu = wr_model_cpu_ns(a->total_ns, a->blocked_ns, a->runnable_ns);
    char c0[32], c1[32], c2[32], c3[32], c4[32], c5[32];
    wr_fmt_count(c0, sizeof c0, a->calls);
    wr_fmt_count(c1, sizeof c1, sp ? d2u((double)a->calls * 1e9 / (double)sp + 0.5) : 0);
    per_s(c2, sizeof c2, a->total_ns, sp);
    if (v->t->have_switches) {
        per_s(c3, sizeof c3, w, sp);
        per_s(c4, sizeof c4, cpu, sp);
    } else {
        strcpy(c3, "-");
        strcpy(c4, "-");
    }
    wr_fmt_ns(c5, sizeof c5, wr_hist_quantile(&a->hist, 0.99));
    snprintf(buf, cap, "%10s %9s %9s %9s %9s %9s  %-22.22s %-34.34s ", c0, c1, c2, c3, c4, c5, r->what,
             r->where ? r->where : r->tid);
    int n = top ? (int)((double)barw * (double)a->total_ns / (double)top + 0.5) : 0, nb = 0, nr = 0;
    if (v->t->have_switches && a->total_ns) {
        nb = (int)((double)n * (double)a->blocked_ns / (double)a->total_ns + 0.5);
        nr = (int)((double)n * (double)a->runnable_ns / (double)a->total_ns + 0.5);
        if (nb + nr > n)
            nr = n - nb;
    }
    cells[0] = n - nb - nr;
    cells[1] = nb;
    cells[2] = nr;
}

static const char *col_head = "     CALLS   CALLS/S    TIME/S    WAIT/S     CPU/S       P99  ";

/* print_snapshot: the view as text on f. 0, or -1 on a write error. */
static int print_snapshot(struct view *v, FILE *f)
{
    char lines[4][512], buf[512];
    if (build_rows(v) != 0)
        return -1;
    size_t nh = header(v, lines);
    for (size_t i = 0; i < nh; i++)
        fprintf(f, "%s\n", lines[i]);
    fprintf(f, "%s%-22s %-34s %s\n", col_head, v->o.threads ? "THREAD" : "FUNCTION", v->o.threads ? "" : "SITE",
            "CPU/BLOCKED/RUNNABLE");
    size_t n = v->o.rows && v->o.rows < v->nrows ? v->o.rows : v->nrows;
    uint64_t top = v->nrows ? v->rows[0].acc->total_ns : 0;
    for (size_t i = 0; i < v->nrows; i++)
        top = v->rows[i].acc->total_ns > top ? v->rows[i].acc->total_ns : top;
    for (size_t i = 0; i < n; i++) {
        int cells[3];
        format_row(v, &v->rows[i], top, 20, buf, sizeof buf, cells);
        fputs(buf, f);
        for (int k = 0; k < 3; k++)
            for (int j = 0; j < cells[k]; j++)
                fputc("#=."[k], f);
        fputc('\n', f);
    }
    if (!v->nrows)
        fprintf(f, "(no calls in this %s)\n", v->o.cumulative ? "run yet" : "interval");
    return ferror(f) ? -1 : 0;
}

/* draw: the full screen (ncurses); rows that do not fit are cut. */
static void draw(struct view *v)
{
    char lines[4][512], buf[512];
    erase();
    if (build_rows(v) != 0)
        return;
    size_t nh = header(v, lines);
    int y = 0;
    for (size_t i = 0; i < nh && y < LINES; i++)
        mvaddnstr(y++, 0, lines[i], COLS);
    if (y < LINES) {
        int live = !v->finished && v->o.replay <= 0 && !v->t->live.closed && !v->t->live.gone;
        snprintf(buf, sizeof buf, "keys: w/c/n/p sort by wait/cpu/calls/p99, a %s, t %s%s, q quit",
                 v->o.cumulative ? "last interval" : "since start", v->o.threads ? "sites" : "threads",
                 !live                         ? ""
                 : wr_live_paused(&v->t->live) ? ", r resume recording"
                                               : ", r pause recording");
        mvaddnstr(y++, 0, buf, COLS);
    }
    if (y < LINES) {
        snprintf(buf, sizeof buf, "%s%-22s %-34s %s", col_head, v->o.threads ? "THREAD" : "FUNCTION",
                 v->o.threads ? "" : "SITE", "CPU/BLOCKED/RUNNABLE");
        attron(A_REVERSE);
        mvaddnstr(y++, 0, buf, COLS);
        for (int x = (int)strlen(buf); x < COLS; x++)
            addch(' ');
        attroff(A_REVERSE);
    }
    uint64_t top = 0;
    for (size_t i = 0; i < v->nrows; i++)
        top = v->rows[i].acc->total_ns > top ? v->rows[i].acc->total_ns : top;
    int textw = (int)strlen(col_head) + 22 + 1 + 34 + 1;
    int barw = COLS - textw > 40 ? 40 : COLS - textw;
    for (size_t i = 0; i < v->nrows && y < LINES; i++, y++) {
        int cells[3];
        format_row(v, &v->rows[i], top, barw > 0 ? barw : 0, buf, sizeof buf, cells);
        mvaddnstr(y, 0, buf, COLS);
        for (int k = 0; k < 3 && barw > 0; k++) {
            if (has_colors())
                attron(COLOR_PAIR(k + 1));
            for (int j = 0; j < cells[k]; j++)
                addch((chtype) "#=."[k] | (has_colors() ? A_BOLD : 0));
            if (has_colors())
                attroff(COLOR_PAIR(k + 1));
        }
    }
    if (!v->nrows && y < LINES)
        mvaddnstr(y, 0, v->o.cumulative ? "(no calls yet)" : "(no calls in this interval)", COLS);
    refresh();
}

/* guarded_update: wr_top_update, leaving through bus_jmp if the file is
 * cut short under the mapping. The SIGBUS handler is armed only here (the
 * only code that reads the mapping); outside, a SIGBUS is not ours. 0, or
 * -1 after a message (the terminal restored first). */
static int guarded_update(struct wr_top *t, uint64_t horizon, uint64_t now)
{
    static struct sigaction old; /* static: kept across the siglongjmp */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigbus;
    sigemptyset(&sa.sa_mask);
    if (sigsetjmp(bus_jmp, 1)) {
        sigaction(SIGBUS, &old, NULL);
        if (!isendwin())
            endwin();
        fprintf(stderr, "waitreport: %s: the file was cut short while being read\n", t->live.t.path);
        return -1;
    }
    sigaction(SIGBUS, &sa, &old);
    int r = wr_top_update(t, horizon, now);
    sigaction(SIGBUS, &old, NULL);
    if (r != 0) {
        if (!isendwin())
            endwin();
        fprintf(stderr, "waitreport: %s: %s\n", t->live.t.path,
                t->live.cut ? "the file was cut short while being read" : "out of memory");
        return -1;
    }
    return 0;
}

/* update: one refresh. Returns 0, or -1 (out of memory, or the file
 * changed under the mapping: message printed). */
static int update(struct view *v, uint64_t replay_t0)
{
    struct wr_top *t = v->t;
    uint64_t now = mono_now(), horizon = UINT64_MAX;
    if (v->o.replay > 0) {
        horizon = t->t_start + (uint64_t)((double)(now - replay_t0) * v->o.replay);
        now = horizon;
    }
    uint64_t end = wr_top_end_ns(t);
    if (end && now > end)
        now = end;
    if (guarded_update(t, horizon, now) != 0)
        return -1;
    end = wr_top_end_ns(t);
    if (v->o.replay > 0)
        v->finished = end ? horizon >= end : t->live.gone && t->live.last_taken == 0;
    else
        v->finished = t->live.finished;
    if (v->o.pprof_dir && wr_top_pprof_write(t, v->o.pprof_dir, !v->tty) != 0) {
        if (v->tty && !isendwin())
            endwin();
        return -1;
    }
    return 0;
}

/* run_tty: the interactive loop until q. */
static int run_tty(struct view *v, uint64_t replay_t0)
{
    if (!newterm(NULL, stdout, stdin)) { /* unknown TERM: one snapshot instead */
        v->o.cumulative = 1;
        return print_snapshot(v, stdout) != 0 || fflush(stdout) != 0 ? 2 : 0;
    }
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    curs_set(0);
    if (has_colors()) {
        start_color();
        use_default_colors();
        init_pair(1, COLOR_RED, -1);
        init_pair(2, COLOR_BLUE, -1);
        init_pair(3, COLOR_YELLOW, -1);
    }
    uint64_t step = (uint64_t)(v->o.delay * 1e9), next = mono_now() + step;
    draw(v);
    for (;;) {
        uint64_t now = mono_now();
        if (now >= next) {
            if (!v->finished && update(v, replay_t0) != 0)
                return 2;
            next = now + step;
            draw(v);
        }
        now = mono_now();
        timeout(next > now ? (int)((next - now) / 1000000 + 1) : 0);
        int ch = getch();
        switch (ch) {
        case 'q':
        case 'Q':
            endwin();
            return 0;
        case 'w':
            v->o.sort = SORT_WAIT;
            break;
        case 'c':
            v->o.sort = SORT_CPU;
            break;
        case 'n':
            v->o.sort = SORT_CALLS;
            break;
        case 'p':
            v->o.sort = SORT_P99;
            break;
        case 'a':
            v->o.cumulative = !v->o.cumulative;
            break;
        case 't':
            v->o.threads = !v->o.threads;
            break;
        case 'r': /* pause or resume recording in the traced process */
            /* only a running process listens: a replayed or finished trace
             * is left as it is */
            if (!v->finished && v->o.replay <= 0 && !v->t->live.closed && !v->t->live.gone) {
                int now_paused = wr_ctl_set(v->t->live.t.path, !wr_live_paused(&v->t->live), 1);
                if (now_paused >= 0)
                    v->t->live.paused = now_paused & 1; /* shown until the next poll reads it */
            }
            break;
        case KEY_RESIZE: /* ncurses caught SIGWINCH and resized its screen */
            break;
        case ERR:
            continue;
        default:
            continue;
        }
        draw(v);
    }
}

/* pause_for: sleep for s seconds (a signal may cut it short). 0. */
static int pause_for(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
    return 0;
}

/* top_end: free what v holds; rc. */
static int top_end(struct view *v, int rc)
{
    free(v->rows);
    wr_top_close(v->t);
    return rc;
}

static void usage(FILE *f)
{
    fputs("usage: waitreport top [-d SECONDS] [--once] [--replay N] [--sort wait|cpu|calls|p99]\n"
          "                      [--cumulative] [--threads] [--rows N] [--pprof-every DIR]\n"
          "                      [--debuginfo-path DIR[:DIR...]] TRACE\n"
          "  Live view of a running program's sites from its trace, refreshed every\n"
          "  -d seconds (default 1). Keys: w/c/n/p sort, a interval/since start,\n"
          "  t threads, q quit. Without a terminal, or with --once, prints one\n"
          "  snapshot since the start. --replay N plays a finished trace at N times\n"
          "  its speed (without a terminal: one snapshot per interval).\n"
          "  --pprof-every DIR  also write a pprof profile of each interval's calls to\n"
          "                      DIR/profile-SECONDS.MILLIS.pb.gz (made whole, then renamed into\n"
          "                      place); without a terminal, follow the run to its end, writing\n"
          "                      one per interval and naming each on stderr\n",
          f);
}

/* parse_pos: a positive number for opt within [lo, hi], or exit 2. */
static double parse_pos(const char *opt, const char *s, double lo, double hi)
{
    char *end;
    double d = s ? strtod(s, &end) : 0;
    if (!s || !*s || *end || !(d >= lo && d <= hi)) {
        fprintf(stderr, "waitreport top: %s needs a number from %g to %g\n", opt, lo, hi);
        exit(2);
    }
    return d;
}

int wr_cmd_top(int argc, char **argv)
{
    struct view v;
    memset(&v, 0, sizeof v);
    v.o.delay = 1.0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *nx = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-d") || !strcmp(a, "--delay"))
            v.o.delay = parse_pos(a, nx, 0.05, 3600), i++;
        else if (!strcmp(a, "--replay"))
            v.o.replay = parse_pos(a, nx, 0.001, 1e6), i++;
        else if (!strcmp(a, "--rows"))
            v.o.rows = (size_t)parse_pos(a, nx, 0, 1e6), i++;
        else if (!strcmp(a, "--debuginfo-path"))
            wr_parse_debuginfo_path(a, nx), i++;
        else if (!strcmp(a, "--pprof-every")) {
            if (!nx || !*nx) {
                fprintf(stderr, "waitreport top: --pprof-every needs a directory\n");
                return 2;
            }
            v.o.pprof_dir = nx, i++;
        } else if (!strcmp(a, "--once"))
            v.o.once = 1;
        else if (!strcmp(a, "--cumulative"))
            v.o.cumulative = 1;
        else if (!strcmp(a, "--threads"))
            v.o.threads = 1;
        else if (!strcmp(a, "--sort")) {
            v.o.sort = -1;
            for (int k = 0; k < SORT_N && nx; k++)
                if (!strcmp(nx, sort_names[k]))
                    v.o.sort = k;
            if (v.o.sort < 0) {
                fprintf(stderr, "waitreport top: --sort takes wait, cpu, calls or p99\n");
                return 2;
            }
            i++;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "waitreport top: unknown option %s\n", a);
            usage(stderr);
            return 2;
        } else if (path) {
            fprintf(stderr, "waitreport top: one trace at a time\n");
            return 2;
        } else
            path = a;
    }
    if (!path) {
        usage(stderr);
        return 2;
    }
    if (v.o.pprof_dir && v.o.once) {
        fprintf(stderr, "waitreport top: --pprof-every follows the run; --once takes one snapshot\n");
        return 2;
    }
    if (v.o.pprof_dir && wr_top_pprof_dir(v.o.pprof_dir) != 0)
        return 2;
    struct wr_top t;
    char err[512];
    if (wr_top_open(&t, path, err, sizeof err) != 0) {
        fprintf(stderr, "waitreport: %s\n", err);
        return 2;
    }
    v.t = &t;
    t.parts_on = v.o.pprof_dir != NULL;
    int tty = isatty(1) && isatty(0) && !v.o.once;
    v.tty = tty;
    uint64_t t0 = mono_now();
    int rc = 0;
    if (v.o.replay > 0) {
        /* replay: starts at the trace's start; intervals of -d seconds */
        if (update(&v, t0) != 0)
            rc = 2;
        else if (tty)
            rc = run_tty(&v, t0);
        else {
            while (!v.finished && rc == 0) {
                pause_for(v.o.delay);
                if (update(&v, t0) != 0 || print_snapshot(&v, stdout) != 0 || fflush(stdout) != 0)
                    rc = 2;
                else if (!v.finished)
                    putchar('\n');
            }
        }
    } else {
        if (update(&v, t0) != 0)
            rc = 2;
        else if (t.live.closed || t.live.gone) {
            v.o.cumulative = 1; /* a finished run: show all of it (--replay N to watch it) */
            if (update(&v, t0) != 0)
                rc = 2;
        } else if (!tty && v.o.pprof_dir) {
            while (!v.finished && rc == 0) /* a file per interval, to the end of the run */
                rc = pause_for(v.o.delay) || update(&v, t0) != 0 ? 2 : 0;
            return top_end(&v, rc);
        } else if (!tty)
            v.o.cumulative = 1; /* one snapshot: everything so far */
        if (rc == 0)
            rc = tty ? run_tty(&v, t0) : print_snapshot(&v, stdout) != 0 || fflush(stdout) != 0 ? 2 : 0;
    }
    return top_end(&v, rc);
}
