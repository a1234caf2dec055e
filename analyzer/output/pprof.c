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
#include <zlib.h>

#include "output/export.h"
#include "output/fmt.h"
#include "output/pprof.h"

/* the sample values, in the order of sample_types */
enum { V_CALLS, V_WAIT, V_CPU, V_BLOCKED, V_RUNNABLE, V_BYTES, NVALUES };
static const char *const sample_types[NVALUES][2] = {
    {"calls", "count"},         {"wait", "nanoseconds"},     {"cpu", "nanoseconds"},
    {"blocked", "nanoseconds"}, {"runnable", "nanoseconds"}, {"bytes", "bytes"},
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

/* frame_mapping: the mapping of the module that frame fr was resolved in:
 * the module of that name loaded at fr->addr - fr->offset whose executable
 * ranges hold the call (fr->addr - 1). 0 for none (an unknown address). */
static uint64_t frame_mapping(struct pp_proc *c, const struct wr_frame *fr)
{
    if (!strcmp(fr->module, "[unknown]"))
        return 0;
    uint64_t base = fr->addr - fr->offset, a = fr->addr - 1;
    for (size_t i = 0; i < c->m->nmods; i++) {
        const struct wr_module *mod = &c->m->mods[i];
        if (mod->base != base || strcmp(wr_pp_base_name(mod->path), fr->module) != 0)
            continue;
        for (size_t k = 0; k < mod->nranges; k++)
            if (a >= mod->ranges[k][0] && a < mod->ranges[k][1])
                return c->mapid[i] ? c->mapid[i] : (c->mapid[i] = wr_pp_mapping(c->p, mod));
    }
    return 0;
}


/* stack_ids: the location ids of a sample of site s, leaf first, appended
 * to the ids pool: the wrapped call, then one location per return address
 * of its stack, its inlined frames as lines. */
static struct pp_span stack_ids(struct pp_proc *c, const struct wr_site *s)
{
    struct pprof *p = c->p;
    struct wr_frame fr[LW_MAX_DEPTH];
    size_t n = wr_model_frames(c->m, s->stack, fr, LW_MAX_DEPTH);
    struct pp_span sp = {p->nids, 0};
    wr_pp_push_id(p, wr_pp_leaf(p, s->func));
    for (size_t i = 0; i < n && !p->oom;) {
        size_t j = i; /* fr[i..j]: one return address, inlined frames first */
        while (j + 1 < n && fr[j].inlined && fr[j + 1].addr == fr[i].addr)
            j++;
        uint64_t map = frame_mapping(c, &fr[i]), addr = fr[i].addr ? fr[i].addr - 1 : 0;
        uint64_t id = wr_pp_find(&p->loch, map, addr);
        if (!id && (id = wr_pp_location(p, map, addr, fr + i, j - i + 1)))
            wr_pp_note(p, &p->loch, map, addr, id);
        wr_pp_push_id(p, id);
        i = j + 1;
    }
    sp.n = p->nids - sp.first;
    return sp;
}


static int64_t clamp(uint64_t v) { return v > INT64_MAX ? INT64_MAX : (int64_t)v; }

/* sample: the sample of one site of one thread (a), at locations ids. */
static void sample(struct pp_proc *c, const struct pp_acc *a, struct pp_span ids)
{
    struct pprof *p = c->p;
    struct wr_model *m = c->m;
    if (!GROW(p, p->samples, p->capsamples, p->nsamples) || !GROW(p, p->sids, p->capsids, p->nsamples) ||
        !GROW(p, p->slabels, p->capslabels, p->nsamples) ||
        !GROW(p, p->vals, p->capvals, p->nsamples * NVALUES + NVALUES - 1))
        return;
    int64_t *v = p->vals + p->nsamples * NVALUES;
    uint64_t total = wr_model_ns(m, a->ticks);
    memset(v, 0, NVALUES * sizeof *v);
    v[V_CALLS] = clamp(a->calls);
    if (m->have_switches) { /* else unmeasured: 0, as a profile has no null */
        v[V_WAIT] = clamp(a->blocked + a->runnable);
        v[V_CPU] = clamp(wr_model_cpu_ns(total, a->blocked, a->runnable));
        v[V_BLOCKED] = clamp(a->blocked);
        v[V_RUNNABLE] = clamp(a->runnable);
    }
    v[V_BYTES] = clamp(a->bytes);
    const struct wr_thread *th = &m->threads[a->th];
    size_t l0 = p->nlabels;
    if (th->name[0])
        wr_pp_label(p, "thread", th->name, 0);
    wr_pp_label(p, "tid", NULL, th->tid);
    wr_pp_label(p, "family", wr_model_family(a->site->func), 0);
    wr_pp_label(p, "pid", NULL, m->trace->hdr.pid);
    pp_sample *smp = &p->samples[p->nsamples];
    *smp = (pp_sample)PERFTOOLS__PROFILES__SAMPLE__INIT;
    p->sids[p->nsamples] = ids;
    p->slabels[p->nsamples++] = (struct pp_span){l0, p->nlabels - l0};
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
    for (size_t i = 0; i < m->nmods; i++) /* the program first: pprof takes mapping[0] as the main binary */
        if (!strcmp(m->mods[i].path, t->hdr.exe)) {
            c.mapid[i] = wr_pp_mapping(p, &m->mods[i]);
            break;
        }
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
                ids = stack_ids(&c, v[i]->site);
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

/* write_gz: buf[0..len) gzip-compressed to out (zlib's own streaming
 * pattern: input in pieces that fit its counters, output drained while it
 * fills the buffer). 0, or -1. */
static int write_gz(const uint8_t *buf, size_t len, FILE *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uint8_t o[16384];
    size_t done = 0;
    int flush, zr = Z_OK;
    do {
        size_t left = len - done;
        uInt in = left > (1u << 30) ? (1u << 30) : (uInt)left;
        z.next_in = (Bytef *)(uintptr_t)(buf + done);
        z.avail_in = in;
        flush = in == left ? Z_FINISH : Z_NO_FLUSH;
        do {
            z.next_out = o;
            z.avail_out = sizeof o;
            zr = deflate(&z, flush);
            fwrite(o, 1, sizeof o - z.avail_out, out);
        } while (z.avail_out == 0);
        done += in;
    } while (flush != Z_FINISH);
    deflateEnd(&z);
    return zr == Z_STREAM_END && !ferror(out) ? 0 : -1;
}


/* ptrs: an array of pointers to the n elements of size elem at base, as
 * protobuf-c's repeated message fields are; NULL on out of memory. */
static void **ptrs(void *base, size_t n, size_t elem)
{
    void **v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        v[i] = (char *)base + i * elem;
    return v;
}

/* at most this many processes are named in the comments, which pprof
 * prints at the top of every view */
#define NAMED_PROCS 3

/* comments: the first processes ("pid N: command"), how many more there
 * are, and which have no wait/CPU split (their time values are 0). Up to
 * NAMED_PROCS + 2 string indices into out; returns how many. */
static size_t comments(struct pprof *p, struct wr_set *s, int64_t *out)
{
    size_t n = 0, nosplit = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct lw_file_header *h = &s->t[i].hdr;
        nosplit += !s->m[i].have_switches;
        if (i >= NAMED_PROCS)
            continue;
        char cmd[LW_CMD_MAX], line[LW_CMD_MAX + 160];
        wr_clean(cmd, sizeof cmd, h->command[0] ? h->command : h->exe); /* pprof prints it on a terminal */
        snprintf(line, sizeof line, "pid %u: %s%s", h->pid, cmd,
                 s->m[i].have_switches ? "" : " (no wait/CPU split: its wait, cpu, blocked and runnable are 0)");
        out[n++] = wr_pp_str(p, line);
    }
    char line[160];
    if (s->n > NAMED_PROCS) {
        snprintf(line, sizeof line, "and %zu more processes (label pid)", s->n - NAMED_PROCS);
        out[n++] = wr_pp_str(p, line);
        if (nosplit) {
            snprintf(line, sizeof line,
                     "%zu of the %zu processes have no wait/CPU split: their wait, cpu, blocked and runnable are 0",
                     nosplit, s->n);
            out[n++] = wr_pp_str(p, line);
        }
    }
    return n;
}

int wr_export_pprof(struct wr_set *s, FILE *out)
{
    struct pprof p;
    memset(&p, 0, sizeof p);
    if (GROW(&p, p.strs, p.capstrs, 0) && (p.strs[0] = calloc(1, 1))) /* string 0 is "" */
        p.nstrs = 1;
    else
        p.oom = 1;
    pp_vtype vt[NVALUES], *vtp[NVALUES];
    for (size_t i = 0; i < NVALUES; i++) {
        vt[i] = (pp_vtype)PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
        vt[i].type = wr_pp_str(&p, sample_types[i][0]);
        vt[i].unit = wr_pp_str(&p, sample_types[i][1]);
        vtp[i] = &vt[i];
    }
    int split = 0;
    uint64_t t0 = UINT64_MAX, t1 = 0, real0 = UINT64_MAX;
    for (size_t i = 0; i < s->n && !p.oom; i++) {
        if (add_process(&p, &s->m[i], &s->t[i]) != 0)
            p.oom = 1;
        const struct lw_file_header *h = &s->t[i].hdr;
        t0 = h->start_mono_ns < t0 ? h->start_mono_ns : t0;
        t1 = h->start_mono_ns + s->m[i].wall_ns > t1 ? h->start_mono_ns + s->m[i].wall_ns : t1;
        real0 = h->start_real_ns < real0 ? h->start_real_ns : real0;
        if (s->m[i].have_switches)
            split = 1;
        else
            fprintf(stderr,
                    "waitreport: %s: no wait/CPU split in this trace; its wait, cpu, blocked and runnable "
                    "values in the profile are 0\n",
                    s->t[i].path);
    }
    pp_profile pr = PERFTOOLS__PROFILES__PROFILE__INIT;
    pr.n_sample_type = NVALUES;
    pr.sample_type = vtp;
    /* with no split anywhere, the calls: a default view of zeros says nothing */
    pr.default_sample_type = wr_pp_str(&p, split ? "wait" : "calls");
    pr.time_nanos = clamp(real0 == UINT64_MAX ? 0 : real0);
    pr.duration_nanos = clamp(t1 > t0 ? t1 - t0 : 0);
    int64_t cm[NAMED_PROCS + 2];
    pr.comment = cm;
    pr.n_comment = comments(&p, s, cm);
    /* the pools are complete: point the messages into them */
    pp_label **labp = (pp_label **)ptrs(p.labels, p.nlabels, sizeof *p.labels);
    pp_line **linep = (pp_line **)ptrs(p.lines, p.nlines, sizeof *p.lines);
    pr.sample = (pp_sample **)ptrs(p.samples, p.nsamples, sizeof *p.samples);
    pr.location = (pp_location **)ptrs(p.locs, p.nlocs, sizeof *p.locs);
    pr.mapping = (pp_mapping **)ptrs(p.maps, p.nmaps, sizeof *p.maps);
    pr.function = (pp_function **)ptrs(p.fns, p.nfns, sizeof *p.fns);
    int r = -1;
    uint8_t *buf = NULL;
    if (!p.oom && labp && linep && pr.sample && pr.location && pr.mapping && pr.function) {
        for (size_t i = 0; i < p.nsamples; i++) {
            pp_sample *x = &p.samples[i];
            x->n_location_id = p.sids[i].n;
            x->location_id = p.ids + p.sids[i].first;
            x->n_value = NVALUES;
            x->value = p.vals + i * NVALUES;
            x->n_label = p.slabels[i].n;
            x->label = labp + p.slabels[i].first;
        }
        for (size_t i = 0; i < p.nlocs; i++) {
            p.locs[i].n_line = p.loclines[i].n;
            p.locs[i].line = linep + p.loclines[i].first;
        }
        pr.n_sample = p.nsamples;
        pr.n_location = p.nlocs;
        pr.n_mapping = p.nmaps;
        pr.n_function = p.nfns;
        pr.n_string_table = p.nstrs;
        pr.string_table = p.strs;
        size_t len = perftools__profiles__profile__get_packed_size(&pr);
        if ((buf = malloc(len ? len : 1))) {
            perftools__profiles__profile__pack(&pr, buf);
            r = write_gz(buf, len, out);
        }
    }
    if (r && !ferror(out))
        fprintf(stderr, "waitreport: --pprof: out of memory\n");
    free(buf);
    free(labp);
    free(linep);
    free(pr.sample);
    free(pr.location);
    free(pr.mapping);
    free(pr.function);
    wr_pp_free(&p);
    return r;
}
