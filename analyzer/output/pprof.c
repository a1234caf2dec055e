/* pprof.c: a gzip-compressed profile.proto (pprof's format, read by
 * `go tool pprof`, speedscope and Pyroscope) of every process in a set.
 *
 * Sample types, in this order: calls/count, wait/nanoseconds (the default),
 * cpu/nanoseconds, blocked/nanoseconds, runnable/nanoseconds, bytes/bytes.
 * A sample is one site (wrapped function + stack, as the reports' sites) of
 * one thread of one process: the model sums a site over its threads, so the
 * trace is walked once more here to split each site's calls by thread,
 * with the model's own per-call figures (wr_cpu_split, wr_call_bytes), so
 * the samples of a site add up to the site (the ns of the call time to
 * within one per thread: each part is converted from ticks on its own).
 * Labels: thread (its name, when it has one), tid, family and pid.
 *
 * The leaf location is the wrapped call itself (no mapping, no address);
 * then one location per return address of the stack, innermost first, each
 * with its inlined frames as several lines, innermost first, as pprof
 * expects. A location's address is the return address minus one, inside
 * the call instruction, and its mapping is the module that address was
 * resolved in (path, build id, executable range). Frames with no symbol are
 * named "[module]", as in the folded stacks. The profile is complete as
 * written: every mapping says it has functions, files, lines and inlined
 * frames, so pprof does not try to symbolize it again.
 *
 * Strings come from an untrusted trace (thread names, paths): bytes that are
 * not well-formed UTF-8 become U+FFFD, since proto3 strings must be UTF-8. */
#include <stdlib.h>
#include <string.h>

#include "output/export.h"
#include "output/fmt.h"
#include "output/pprof.h"

/* one site of one thread: its figures summed over the thread's calls */
struct pp_acc {
    UT_hash_handle hh;
    uint64_t key[2]; /* the wr_site's address, the thread's index */
    struct wr_site *site;
    size_t th;
    uint64_t calls, ticks, blocked, runnable, bytes;
};

/* one process while its samples are made */
struct pp_proc {
    struct pprof *p;
    struct wr_model *m;
    uint64_t *mapid;    /* per module of m: its mapping's id, 0 until made */
    struct pp_acc *acc; /* by (site, thread) */
    struct pp_acc *last;
    int oom;
};

/* sample: the sample of one site of one thread (a), at locations ids. */
static void sample(struct pp_proc *c, const struct pp_acc *a, struct pp_span ids)
{
    struct wr_model *m = c->m;
    int64_t v[WR_PP_NVALUES] = {0};
    uint64_t total = wr_model_ns(m, a->ticks);
    v[WR_PP_CALLS] = wr_pp_clamp(a->calls);
    if (m->have_switches) { /* else unmeasured: 0, as a profile has no null */
        v[WR_PP_WAIT] = wr_pp_clamp(a->blocked + a->runnable);
        v[WR_PP_CPU] = wr_pp_clamp(wr_model_cpu_ns(total, a->blocked, a->runnable));
        v[WR_PP_BLOCKED] = wr_pp_clamp(a->blocked);
        v[WR_PP_RUNNABLE] = wr_pp_clamp(a->runnable);
    }
    v[WR_PP_BYTES] = wr_pp_clamp(a->bytes);
    const struct wr_thread *th = &m->threads[a->th];
    wr_pp_sample(c->p, ids, v, th->name, th->tid, wr_model_family(a->site->func), m->trace->hdr.pid);
}

/* on_call: sum one call into its site's part for its thread, with the
 * model's per-call figures (model.c on_call). */
static int on_call(void *ctx, const struct wr_event *ev)
{
    struct pp_proc *c = ctx;
    const struct lw_func_info *fi = lw_func_info_of(ev->kind);
    struct wr_model *m = c->m;
    struct wr_thread *th = fi ? wr_model_thread(m, ev->stream) : NULL;
    if (!th || !wr_model_in_window(m, ev))
        return 0;
    size_t ti = (size_t)(th - m->threads);
    uint64_t skey = (uint64_t)ev->stack << 8 | ev->kind;
    struct pp_acc *a = c->last;
    if (!a || a->site->key != skey || a->th != ti) {
        struct wr_site *s;
        HASH_FIND(hh, m->sites, &skey, sizeof skey, s);
        if (!s)
            return 0; /* cannot happen: the model made a site of every call */
        uint64_t key[2] = {(uint64_t)(uintptr_t)s, ti};
        HASH_FIND(hh, c->acc, key, sizeof key, a);
        if (!a) {
            if (!(a = calloc(1, sizeof *a)))
                return c->oom = 1, -1;
            memcpy(a->key, key, sizeof key);
            a->site = s;
            a->th = ti;
            HASH_ADD(hh, c->acc, key, sizeof a->key, a);
        }
        c->last = a;
    }
    a->calls++;
    a->ticks += ev->dur;
    a->bytes += wr_call_bytes(fi, ev);
    if (m->have_switches) {
        uint64_t bl, rn, sw;
        wr_cpu_split(th, wr_cpu_mono(m, ev->tsc), wr_cpu_mono(m, ev->tsc + ev->dur), &bl, &rn, &sw);
        a->blocked += bl;
        a->runnable += rn;
    }
    return 0;
}

/* by the model's site order (total time, then key), then thread */
static int cmp_acc(const void *x, const void *y)
{
    const struct pp_acc *a = *(struct pp_acc *const *)x, *b = *(struct pp_acc *const *)y;
    if (a->site != b->site) {
        if (a->site->total_ticks != b->site->total_ticks)
            return a->site->total_ticks > b->site->total_ticks ? -1 : 1;
        return a->site->key < b->site->key ? -1 : 1;
    }
    return a->th < b->th ? -1 : a->th > b->th;
}

/* add_process: the samples of model m (trace t). 0, or -1 on out of memory. */
static int add_process(struct pprof *p, struct wr_model *m, struct wr_trace *t)
{
    struct pp_proc c = {.p = p, .m = m};
    c.mapid = calloc(m->nmods ? m->nmods : 1, sizeof *c.mapid);
    if (!c.mapid)
        return -1;
    wr_pp_main_mapping(p, m, c.mapid, t->hdr.exe);
    int quiet = t->quiet;
    t->quiet = 1; /* the model's walk warned already */
    int r = wr_trace_walk(t, on_call, &c);
    t->quiet = quiet;
    size_t n = HASH_COUNT(c.acc), k = 0;
    struct pp_acc **v = r || c.oom ? NULL : malloc((n ? n : 1) * sizeof *v);
    if (v) {
        for (struct pp_acc *a = c.acc; a; a = a->hh.next)
            v[k++] = a;
        qsort(v, n, sizeof *v, cmp_acc);
        struct pp_span ids = {0, 0};
        for (size_t i = 0; i < n && !p->oom; i++) {
            if (!i || v[i]->site != v[i - 1]->site)
                ids = wr_pp_stack(p, m, c.mapid, v[i]->site->func, v[i]->site->stack);
            sample(&c, v[i], ids);
        }
    }
    struct pp_acc *a, *tmp;
    HASH_ITER(hh, c.acc, a, tmp)
    {
        HASH_DEL(c.acc, a);
        free(a);
    }
    free(v);
    free(c.mapid);
    return !v || p->oom ? -1 : 0;
}

/* at most this many processes are named in the comments, which pprof
 * prints at the top of every view */
#define NAMED_PROCS 3

/* comments: the first processes ("pid N: command"), how many more there
 * are, and which have no wait/CPU split (their time values are 0): up to
 * NAMED_PROCS + 2 lines of buf, pointed to by hd's comments. */
static void comments(struct wr_pp_head *hd, char (*buf)[LW_CMD_MAX + 160], struct wr_set *s)
{
    size_t n = 0, nosplit = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct lw_file_header *h = &s->t[i].hdr;
        nosplit += !s->m[i].have_switches;
        if (i >= NAMED_PROCS)
            continue;
        char cmd[LW_CMD_MAX];
        wr_clean(cmd, sizeof cmd, h->command[0] ? h->command : h->exe); /* pprof prints it on a terminal */
        snprintf(buf[n++], sizeof *buf, "pid %u: %s%s", h->pid, cmd,
                 s->m[i].have_switches ? "" : " (no wait/CPU split: its wait, cpu, blocked and runnable are 0)");
    }
    if (s->n > NAMED_PROCS) {
        snprintf(buf[n++], sizeof *buf, "and %zu more processes (label pid)", s->n - NAMED_PROCS);
        if (nosplit)
            snprintf(buf[n++], sizeof *buf,
                     "%zu of the %zu processes have no wait/CPU split: their wait, cpu, blocked and runnable are 0",
                     nosplit, s->n);
    }
    for (size_t i = 0; i < n; i++)
        hd->comments[i] = buf[i];
    hd->ncomments = n;
}

int wr_export_pprof(struct wr_set *s, FILE *out)
{
    struct pprof p;
    wr_pp_init(&p);
    struct wr_pp_head hd = {0};
    uint64_t t0 = UINT64_MAX, t1 = 0, real0 = UINT64_MAX;
    for (size_t i = 0; i < s->n && !p.oom; i++) {
        if (add_process(&p, &s->m[i], &s->t[i]) != 0)
            p.oom = 1;
        const struct lw_file_header *h = &s->t[i].hdr;
        t0 = h->start_mono_ns < t0 ? h->start_mono_ns : t0;
        t1 = h->start_mono_ns + s->m[i].wall_ns > t1 ? h->start_mono_ns + s->m[i].wall_ns : t1;
        real0 = h->start_real_ns < real0 ? h->start_real_ns : real0;
        if (s->m[i].have_switches)
            hd.split = 1;
        else
            fprintf(stderr,
                    "waitreport: %s: no wait/CPU split in this trace; its wait, cpu, blocked and runnable "
                    "values in the profile are 0\n",
                    s->t[i].path);
    }
    hd.time_ns = real0 == UINT64_MAX ? 0 : real0;
    hd.duration_ns = t1 > t0 ? t1 - t0 : 0;
    char cbuf[NAMED_PROCS + 2][LW_CMD_MAX + 160];
    comments(&hd, cbuf, s);
    int r = wr_pp_write(&p, &hd, out);
    wr_pp_free(&p);
    return r;
}
