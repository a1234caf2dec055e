/* chrome.c: Chrome Trace Event JSON (opens in Perfetto UI and
 * chrome://tracing). Per process: a process_name and thread_name "M"
 * events; an "X" event per call at least min_ns long (cat = the family);
 * an "X" event per off-CPU interval at least min_ns long (cat "offcpu",
 * name "blocked" or "runnable"), clipped to the call it falls in so slices
 * nest. Marks (libwait_mark, pauses, resumes) are "i" instant events of
 * their thread (cat "mark"). Timestamps are us from the earliest trace start (CLOCK_MONOTONIC,
 * shared by every process of one machine).
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
    if (!admit(c, b - a))
        return 0;
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
        fprintf(c->f, "\"cond\":\"0x%" PRIx64 "\",\"mutex\":\"0x%" PRIx64 "\",\"err\":%" PRIu64 ",", ev->ptr,
                ev->old, ev->err);
        break;
    case LW_S_SYNC:
        fprintf(c->f, "\"object\":\"0x%" PRIx64 "\",\"err\":%" PRIu64 ",", ev->ptr, ev->err);
        break;
    default:
        break;
    }
    fprintf(c->f, "\"stack\":%s}}", at_json(c, ev->stack));
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
    for (size_t i = 0; i < s->n; i++) {
        c->m = &s->m[i];
        c->th = NULL;
        c->offi = 0;
        int r = wr_trace_walk(&s->t[i], on_event, c);
        flush_off(c, UINT64_MAX, UINT64_MAX);
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
    uint64_t asked = c.min_ns, n = 0;
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
            "\"min_us_asked\":\"%s\",\"events\":\"%" PRIu64 "\",\"truncated\":\"%s\"}}\n",
            us(a, sizeof a, c.min_ns), us(b, sizeof b, asked), c.events, c.truncated ? "yes" : "no");
    if (c.min_ns > asked)
        fprintf(stderr,
                "waitreport: --chrome: more than %" PRIu64 " events of %s us or more; kept the %" PRIu64
                " of %s us or more\n",
                c.max_events, us(b, sizeof b, asked), c.events, us(a, sizeof a, c.min_ns));
    return ferror(f) ? -1 : 0;
}
