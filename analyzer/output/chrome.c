/* chrome.c: Chrome Trace Event JSON (opens in Perfetto UI and
 * chrome://tracing). Per process: a process_name and thread_name "M"
 * events; an "X" event per call at least min_ns long (cat = the family);
 * an "X" event per off-CPU interval at least min_ns long (cat "offcpu",
 * name "blocked" or "runnable"), clipped to the call it falls in so slices
 * nest. Marks (libwait_mark, pauses, resumes) are "i" instant events of
 * their thread (cat "mark"). Each wait another thread's call ended gets a
 * flow arrow (cat "wake"): an "s" event inside the releasing call's slice
 * (written even when shorter than min_ns) and an "f" event bound to the
 * wait's slice (bp "e", 1 ns past its start); a join's arrow starts in a 1 us
 * "thread end" slice at the end of the joined thread. Timestamps are us
 * from the earliest trace start (CLOCK_MONOTONIC, shared by every process
 * of one machine).
 * Size bound: a first pass counts the events by duration; when more than
 * max_events would pass min_ns, the threshold rises to the smallest one
 * that fits, the longest events are kept, and otherData says so. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "output/export.h"
#include "output/fmt.h"

#define NBUCKETS 256 /* 4 per power of two of ns */

struct at_str {
    UT_hash_handle hh;
    uint32_t stack;
    char *json; /* a JSON string literal */
};

struct chrome {
    FILE *f; /* NULL in the counting pass */
    struct wr_model *m;
    uint64_t t0, min_ns, max_events, events;
    uint64_t hist[NBUCKETS];
    int truncated;
    struct wr_thread *th; /* thread of the stream being walked */
    size_t offi;          /* its next off-CPU interval */
    struct at_str *at;    /* per stack id, for the current model */
    int oom;
    /* the wake links of the current model drawn as arrows, by (wth, k)
     * and by (th, a); their flow ids start at id0 */
    const struct wr_wake_link **src, **dst;
    size_t nflow;
    uint64_t id0, flows;
};

/* bucket: the histogram bucket of a duration; bucket_lo its lower bound. */
static unsigned bucket(uint64_t ns)
{
    if (ns < 2)
        return 0;
    double b = floor(log2((double)ns) * 4.0);
    return b >= NBUCKETS - 1 ? NBUCKETS - 1 : (unsigned)b;
}
static uint64_t bucket_lo(unsigned b) { return b ? (uint64_t)ceil(exp2((double)b / 4.0)) : 0; }

/* at_json: the stack of a call as a JSON string, up to 8 frames, cached. */
static const char *at_json(struct chrome *c, uint32_t stack)
{
    struct at_str *a;
    HASH_FIND(hh, c->at, &stack, sizeof stack, a);
    if (a)
        return a->json;
    char *buf = NULL, line[512];
    size_t len = 0;
    FILE *mf = open_memstream(&buf, &len);
    a = calloc(1, sizeof *a);
    if (!mf || !a) {
        if (mf)
            fclose(mf);
        free(buf);
        free(a);
        c->oom = 1;
        return "null";
    }
    struct wr_frame fr[8];
    size_t n = wr_model_frames(c->m, stack, fr, 8);
    char all[8 * 520];
    size_t o = 0;
    all[0] = 0;
    for (size_t i = 0; i < n; i++) {
        wr_frame_line(line, sizeof line, &fr[i]);
        o += (size_t)snprintf(all + o, sizeof all - o, "%s%s", i ? " <- " : "", line);
    }
    wr_json_str(mf, all);
    fclose(mf);
    a->stack = stack;
    a->json = buf;
    HASH_ADD(hh, c->at, stack, sizeof a->stack, a);
    return a->json;
}

static void free_at(struct chrome *c)
{
    struct at_str *a, *t;
    HASH_ITER(hh, c->at, a, t)
    {
        HASH_DEL(c->at, a);
        free(a->json);
        free(a);
    }
}

/* admit: whether an event of dur ns is written; counts it. */
static int admit(struct chrome *c, uint64_t dur)
{
    if (dur < c->min_ns)
        return 0;
    if (!c->f) {
        c->hist[bucket(dur)]++;
        return 0;
    }
    if (c->events >= c->max_events) {
        c->truncated = 1;
        return 0;
    }
    c->events++;
    return 1;
}

/* us: ns since t0 as "us.nnn" into buf. */
static const char *us(char *buf, size_t cap, uint64_t ns)
{
    snprintf(buf, cap, "%" PRIu64 ".%03u", ns / 1000, (unsigned)(ns % 1000));
    return buf;
}

static uint64_t rel(const struct chrome *c, uint64_t mono) { return mono > c->t0 ? mono - c->t0 : 0; }

/* offcpu: one off-CPU interval [a, b) of the current thread. */
static void offcpu(struct chrome *c, uint64_t a, uint64_t b, int preempt)
{
    if (c->m->window) /* --since, --until: the part inside */
        wr_window_clip(c->m, &a, &b);
    if (b <= a || !admit(c, b - a))
        return;
    char ts[32], d[32];
    fprintf(c->f,
            ",\n{\"name\":\"%s\",\"cat\":\"offcpu\",\"ph\":\"X\",\"ts\":%s,\"dur\":%s,\"pid\":%u,\"tid\":%u,"
            "\"cname\":\"%s\"}",
            preempt ? "runnable" : "blocked", us(ts, sizeof ts, rel(c, a)), us(d, sizeof d, b - a),
            c->m->trace->hdr.pid, c->th->tid, preempt ? "thread_state_runnable" : "thread_state_sleeping");
}

/* flush_off: the current thread's off-CPU intervals that start before
 * 'until' (all when until is UINT64_MAX), ends clipped to 'clip'. */
static void flush_off(struct chrome *c, uint64_t until, uint64_t clip)
{
    struct wr_thread *th = c->th;
    if (!th || !th->kept || !c->m->have_switches)
        return;
    for (; c->offi < th->noff && th->off[c->offi].start < until; c->offi++) {
        const struct wr_offcpu *o = &th->off[c->offi];
        offcpu(c, o->start, o->end < clip ? o->end : clip, o->preempt);
    }
}

/* drawn: whether wake link l gets an arrow: both threads kept, the wait
 * long enough to be a slice of its own. */
static int drawn(const struct chrome *c, const struct wr_wake_link *l)
{
    const struct wr_model *m = c->m;
    if (l->th >= m->nthreads || l->wth >= m->nthreads || !m->threads[l->th].kept || !m->threads[l->wth].kept)
        return 0;
    uint64_t a = wr_cpu_mono(c->m, l->a), b = wr_cpu_mono(c->m, l->b);
    return b >= a && b - a >= c->min_ns;
}

static int cmp_src(const void *x, const void *y)
{
    const struct wr_wake_link *a = *(const struct wr_wake_link *const *)x, *b = *(const struct wr_wake_link *const *)y;
    return a->wth != b->wth ? (a->wth > b->wth) - (a->wth < b->wth) : (a->k > b->k) - (a->k < b->k);
}

static int cmp_dst(const void *x, const void *y)
{
    const struct wr_wake_link *a = *(const struct wr_wake_link *const *)x, *b = *(const struct wr_wake_link *const *)y;
    return a->th != b->th ? (a->th > b->th) - (a->th < b->th) : (a->a > b->a) - (a->a < b->a);
}

/* flows_begin: the arrows of the current model, sorted for the walk's
 * look-ups; counted (3 events each: the "s", the "f" and the releasing
 * call's slice) in the first pass. 0, or -1 on out of memory. */
static int flows_begin(struct chrome *c)
{
    struct wr_model *m = c->m;
    c->nflow = 0;
    if (!m->nwake_links)
        return 0;
    c->src = malloc(m->nwake_links * sizeof *c->src);
    c->dst = malloc(m->nwake_links * sizeof *c->dst);
    if (!c->src || !c->dst)
        return -1;
    for (size_t i = 0; i < m->nwake_links; i++)
        if (drawn(c, &m->wake_links[i])) {
            c->src[c->nflow] = c->dst[c->nflow] = &m->wake_links[i];
            c->nflow++;
            if (!c->f)
                c->hist[bucket(wr_cpu_mono(m, m->wake_links[i].b) - wr_cpu_mono(m, m->wake_links[i].a))] += 3;
        }
    qsort(c->src, c->nflow, sizeof *c->src, cmp_src);
    qsort(c->dst, c->nflow, sizeof *c->dst, cmp_dst);
    return 0;
}

static void flows_end(struct chrome *c)
{
    free(c->src), free(c->dst);
    c->src = c->dst = NULL;
    c->id0 += c->m->nwake_links;
}

/* first: the index in v (sorted by cmp) of the first link matching the
 * thread index th and the stamp tsc (wth/k, or th/a), or nflow. */
static size_t first(const struct chrome *c, const struct wr_wake_link **v, int by_src, uint32_t th, uint64_t tsc)
{
    size_t lo = 0, hi = c->nflow;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t t = by_src ? v[mid]->wth : v[mid]->th;
        uint64_t k = by_src ? v[mid]->k : v[mid]->a;
        if (t < th || (t == th && k < tsc))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nflow && (by_src ? v[lo]->wth : v[lo]->th) == th && (by_src ? v[lo]->k : v[lo]->a) == tsc ? lo
                                                                                                             : c->nflow;
}

/* flow: the "s" (at ts, on the waker's thread) or "f" (bound to the
 * enclosing slice, the wait, at ts: 1 ns past its start, before any
 * off-CPU slice nested in it begins) event of link l. */
static void flow(struct chrome *c, const struct wr_wake_link *l, int start, uint64_t ts)
{
    char t[32];
    const struct wr_model *m = c->m;
    fprintf(c->f,
            ",\n{\"name\":\"wake\",\"cat\":\"wake\",\"ph\":\"%s\",\"id\":%" PRIu64
            ",\"ts\":%s,\"pid\":%u,\"tid\":%u%s}",
            start ? "s" : "f", c->id0 + (uint64_t)(l - m->wake_links), us(t, sizeof t, rel(c, ts)), m->trace->hdr.pid,
            m->threads[start ? l->wth : l->th].tid, start ? "" : ",\"bp\":\"e\"");
    c->flows += !start;
}

/* flows_at: after the slice [a, b] of call ev (thread index th): the
 * arrows that start in it, at its middle, and those that end in it. */
static void flows_at(struct chrome *c, uint32_t th, const struct wr_event *ev, uint64_t a, uint64_t b)
{
    for (size_t i = first(c, c->src, 1, th, ev->tsc); i < c->nflow && c->src[i]->wth == th && c->src[i]->k == ev->tsc;
         i++)
        flow(c, c->src[i], 1, a + (b - a) / 2);
    for (size_t i = first(c, c->dst, 0, th, ev->tsc); i < c->nflow && c->dst[i]->th == th && c->dst[i]->a == ev->tsc;
         i++)
        flow(c, c->dst[i], 0, b - a > 1 ? a + 1 : a); /* 1 ns in: no tie with the slice's start */
}

/* thread_ends: the arrows of joins, from a 1 us "thread end" slice at the
 * joined thread's end. */
static void thread_ends(struct chrome *c)
{
    for (size_t i = 0; c->f && i < c->nflow; i++) {
        const struct wr_wake_link *l = c->src[i];
        if (l->func)
            continue;
        char ts[32];
        uint64_t k = wr_cpu_mono(c->m, l->k);
        fprintf(c->f,
                ",\n{\"name\":\"thread end\",\"cat\":\"thread\",\"ph\":\"X\",\"ts\":%s,\"dur\":1,\"pid\":%u,"
                "\"tid\":%u}",
                us(ts, sizeof ts, rel(c, k)), c->m->trace->hdr.pid, c->m->threads[l->wth].tid);
        c->events++;
        flow(c, l, 1, k + 500);
    }
}

static int on_event(void *ctx, const struct wr_event *ev)
{
    struct chrome *c = ctx;
    const struct lw_func_info *fi = lw_func_info_of(ev->kind);
    if (!c->th || c->th->stream != ev->stream) {
        flush_off(c, UINT64_MAX, UINT64_MAX);
        c->th = wr_model_thread(c->m, ev->stream);
        c->offi = 0;
    }
    if (!fi || !c->th || !c->th->kept || !wr_model_in_window(c->m, ev)) /* left out by --tid, --since ... */
        return 0;
    uint64_t a = wr_cpu_mono(c->m, ev->tsc), b = wr_cpu_mono(c->m, ev->tsc + ev->dur);
    if (b < a)
        b = a;
    uint32_t th = (uint32_t)(c->th - c->m->threads);
    int src = c->f && first(c, c->src, 1, th, ev->tsc) < c->nflow; /* an arrow's start: written whatever its length */
    if (!admit(c, b - a)) {
        if (!src)
            return 0;
        c->events++;
    }
    flush_off(c, a, a); /* before the call, ends clipped to its start */
    char ts[32], d[32];
    fprintf(c->f,
            ",\n{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"X\",\"ts\":%s,\"dur\":%s,\"pid\":%u,\"tid\":%u,\"args\":{",
            fi->name, wr_model_family(ev->kind), us(ts, sizeof ts, rel(c, a)), us(d, sizeof d, b - a),
            c->m->trace->hdr.pid, c->th->tid);
    switch (fi->schema) {
    case LW_S_ALLOC:
    case LW_S_REALLOC:
    case LW_S_MEMALIGN:
        fprintf(c->f, "\"size\":%" PRIu64 ",", ev->size);
        break;
    case LW_S_LOCK:
        fprintf(c->f, "\"mutex\":\"0x%" PRIx64 "\",", ev->ptr);
        break;
    case LW_S_IO:
        fprintf(c->f, "\"fd\":%" PRIu64 ",\"ret\":%" PRId64 ",", ev->fd, ev->ret);
        break;
    case LW_S_FDOP:
        fprintf(c->f, "\"fd\":%" PRId64 ",\"ret\":%" PRId64 ",", (int64_t)ev->fd, ev->ret);
        break;
    case LW_S_SLEEP:
        fprintf(c->f, "\"asked_ns\":%" PRIu64 ",\"ret\":%" PRId64 ",", ev->size, ev->ret);
        break;
    case LW_S_MMAP:
    case LW_S_MREMAP:
        fprintf(c->f, "\"size\":%" PRIu64 ",\"addr\":\"0x%" PRIx64 "\",", ev->size, ev->ptr);
        break;
    case LW_S_COND:
        fprintf(c->f, "\"cond\":\"0x%" PRIx64 "\",\"mutex\":\"0x%" PRIx64 "\",\"err\":%" PRIu64 ",", ev->ptr, ev->old,
                ev->err);
        break;
    case LW_S_SYNC:
        fprintf(c->f, "\"object\":\"0x%" PRIx64 "\",\"err\":%" PRIu64 ",", ev->ptr, ev->err);
        break;
    default:
        break;
    }
    fprintf(c->f, "\"stack\":%s}}", at_json(c, ev->stack));
    flows_at(c, th, ev, a, b);
    flush_off(c, b, b); /* inside the call, clipped to its end */
    return 0;
}

/* meta: the process and thread name events of model m. */
static void meta(struct chrome *c, struct wr_model *m, int first)
{
    const struct lw_file_header *h = &m->trace->hdr;
    fprintf(c->f,
            "%s{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":", first ? "" : ",\n",
            h->pid, h->pid);
    char name[LW_CMD_MAX + 32];
    snprintf(name, sizeof name, "%s (pid %u)", h->command[0] ? h->command : h->exe, h->pid);
    wr_json_str(c->f, name);
    fputs("}}", c->f);
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct wr_thread *t = &m->threads[i];
        if (!t->kept)
            continue;
        fprintf(c->f, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,\"tid\":%u,\"args\":{\"name\":", h->pid,
                t->tid);
        snprintf(name, sizeof name, "%s (%u)", t->name[0] ? t->name : "thread", t->tid);
        wr_json_str(c->f, name);
        fputs("}}", c->f);
    }
}

/* mark_kept: whether the thread tid of m is one the filter keeps. */
static int mark_kept(const struct wr_model *m, uint32_t tid)
{
    for (size_t i = 0; i < m->nthreads; i++)
        if (m->threads[i].tid == tid)
            return m->threads[i].kept;
    return 0;
}

/* marks: an instant event ("i", thread scope) per mark, pause and resume
 * of model m, named as in the text report. */
static void marks(struct chrome *c, struct wr_model *m)
{
    uint64_t t0 = m->trace->hdr.start_mono_ns;
    for (size_t i = 0; i < m->nmarks; i++) {
        const struct wr_mark *k = &m->marks[i];
        char ts[32], b[96];
        if (m->filter && !mark_kept(m, k->tid))
            continue;
        fprintf(c->f, ",\n{\"name\":");
        wr_json_str(c->f, wr_mark_label(k, b, sizeof b));
        fprintf(c->f, ",\"cat\":\"mark\",\"ph\":\"i\",\"s\":\"t\",\"ts\":%s,\"pid\":%u,\"tid\":%u}",
                us(ts, sizeof ts, rel(c, t0 + k->t_ns)), m->trace->hdr.pid, k->tid);
    }
}

/* pass: walk every model once, counting (c->f NULL) or writing. 0 or -1. */
static int pass(struct chrome *c, struct wr_set *s)
{
    c->id0 = 0;
    for (size_t i = 0; i < s->n; i++) {
        c->m = &s->m[i];
        c->th = NULL;
        c->offi = 0;
        int r = flows_begin(c);
        if (!r)
            r = wr_trace_walk(&s->t[i], on_event, c);
        flush_off(c, UINT64_MAX, UINT64_MAX);
        thread_ends(c);
        flows_end(c);
        free_at(c);
        if (r != 0 || c->oom)
            return -1;
    }
    return 0;
}

int wr_export_chrome(struct wr_set *s, uint64_t min_ns, size_t max_events, FILE *f)
{
    struct chrome c = {0};
    c.min_ns = min_ns;
    c.max_events = max_events;
    for (size_t i = 0; i < s->n; i++) {
        uint64_t st = s->t[i].hdr.start_mono_ns;
        if (st && (!c.t0 || st < c.t0))
            c.t0 = st;
    }
    for (size_t i = 0; i < s->n; i++) /* quiet: the model build warned already */
        s->t[i].quiet = 1;
    if (pass(&c, s) != 0)
        return -1;
    uint64_t asked = c.min_ns, n = 0, lost = 0;
    for (size_t i = 0; i < s->n; i++)
        lost += s->m[i].wake_links_lost;
    for (unsigned b = NBUCKETS; b-- > 0;) { /* raise the threshold until it fits */
        if (n + c.hist[b] > c.max_events) {
            c.min_ns = bucket_lo(b + 1) > c.min_ns ? bucket_lo(b + 1) : c.min_ns;
            break;
        }
        n += c.hist[b];
    }
    c.f = f;
    fputs("{\"traceEvents\":[\n", f);
    for (size_t i = 0; i < s->n; i++)
        meta(&c, &s->m[i], i == 0);
    for (size_t i = 0; i < s->n; i++)
        marks(&c, &s->m[i]);
    if (pass(&c, s) != 0)
        return -1;
    char a[32], b[32];
    fprintf(f,
            "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"generator\":\"waitreport\",\"min_us\":\"%s\","
            "\"min_us_asked\":\"%s\",\"events\":\"%" PRIu64 "\",\"truncated\":\"%s\",\"wake_arrows\":\"%" PRIu64
            "\",\"wake_arrows_lost\":\"%" PRIu64 "\"}}\n",
            us(a, sizeof a, c.min_ns), us(b, sizeof b, asked), c.events, c.truncated ? "yes" : "no", c.flows, lost);
    if (c.min_ns > asked)
        fprintf(stderr,
                "waitreport: --chrome: more than %" PRIu64 " events of %s us or more; kept the %" PRIu64
                " of %s us or more\n",
                c.max_events, us(b, sizeof b, asked), c.events, us(a, sizeof a, c.min_ns));
    return ferror(f) ? -1 : 0;
}
