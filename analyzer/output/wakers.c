/* wakers.c: the wakers and causes of the sites (analyses/wakers.c) in the
 * JSON and text reports, and the text report's "why threads waited". */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "analyses/analyses.h"
#include "output/fmt.h"
#include "output/report.h"

/* wake_name: what a waker or cause is: its call, or its label. */
static const char *wake_name(const struct wr_wake *w)
{
    const struct lw_func_info *fi = w->func ? lw_func_info_of(w->func) : NULL;
    return fi ? fi->name : w->label ? w->label : "?";
}

static void json_list(FILE *f, struct wr_model *m, const char *name, const struct wr_wake *l, size_t n, int wakers)
{
    fprintf(f, ",\"%s\":[", name);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",{\"function\":" : "{\"function\":", f);
        wr_json_str(f, wake_name(&l[i]));
        fputs(",\"stack\":", f);
        if (l[i].stack)
            wr_json_frames(f, m, l[i].stack);
        else
            fputs("[]", f);
        fprintf(f, ",\"tid\":%" PRIu32, l[i].tid);
        if (wakers)
            fprintf(f, ",\"calls\":%" PRIu64 ",\"wait_ns\":%" PRIu64 "}", l[i].calls, l[i].ns);
        else
            fprintf(f, ",\"ns\":%" PRIu64 "}", l[i].ns);
    }
    fputc(']', f);
}

void wr_wakers_json(FILE *f, struct wr_model *m, const struct wr_site *s)
{
    json_list(f, m, "wakers", s->wakers, s->nwakers, 1);
    json_list(f, m, "causes", s->causes, s->ncauses, 0);
}

/* thread_name: " (name)" of the thread tid when it has a name of its own,
 * else "". A thread that never set one has the main thread's (the
 * program's): that name would tell no thread from another. */
static const char *thread_name(char *buf, size_t cap, const struct wr_model *m, uint32_t tid)
{
    const char *own = NULL, *main_name = "";
    for (size_t i = 0; i < m->nthreads; i++) {
        if (m->threads[i].tid == tid)
            own = m->threads[i].name;
        if (m->threads[i].tid == m->trace->hdr.pid)
            main_name = m->threads[i].name;
    }
    buf[0] = 0;
    if (own && own[0] && (tid == m->trace->hdr.pid || strcmp(own, main_name)))
        snprintf(buf, cap, " (%s)", own);
    return buf;
}

/* wake_line: "pthread_cond_signal in producer (file.c:12), tid 12 (name)"
 * into buf; with threads > 1, ", 4 threads" in place of the thread, and
 * with threads 0 nothing of it. */
static const char *wake_line(char *buf, size_t cap, struct wr_model *m, const struct wr_wake *w, size_t threads)
{
    struct wr_frame fr[1];
    char at[160], name[24], who[64] = "";
    /* "runnable" alone would read as a call: say what the time was */
    const char *what =
        !w->func && w->label && !strcmp(w->label, "runnable") ? "CPU contention (runnable)" : wake_name(w);
    if (threads > 1)
        snprintf(who, sizeof who, ", %zu threads", threads);
    else if (threads && w->tid)
        snprintf(who, sizeof who, ", tid %" PRIu32 "%s", w->tid, thread_name(name, sizeof name, m, w->tid));
    if (w->stack && wr_model_frames(m, w->stack, fr, 1)) {
        wr_frame_line(at, sizeof at, &fr[0]);
        snprintf(buf, cap, "%s in %s%s", what, at, who);
    } else
        snprintf(buf, cap, "%s%s", what, who);
    return buf;
}

/* wake_group: the entries of wakers or causes that print the same line
 * but for their thread (one call site, or one label, in several threads
 * alike: four workers sleeping at one line while they hold a lock), summed:
 * the text report reads them as one cause of N threads. Entries of the
 * "other" label (what sites had no room for) are left out. */
#define WR_GROUP_TIDS 64
struct wake_group {
    UT_hash_handle hh;
    char key[256]; /* the line without its thread */
    struct wr_wake w;
    uint32_t tid[WR_GROUP_TIDS];
    size_t ntid; /* distinct threads, counted up to WR_GROUP_TIDS */
};

/* group_add: entry w into the groups *g; -1 on out of memory. */
static int group_add(struct wake_group **g, struct wr_model *m, const struct wr_wake *w)
{
    struct wake_group *r;
    char key[256];
    if (!w->func && w->label && !strcmp(w->label, "other"))
        return 0;
    wake_line(key, sizeof key, m, w, 0);
    HASH_FIND_STR(*g, key, r);
    if (!r) {
        if (!(r = calloc(1, sizeof *r)))
            return -1;
        memcpy(r->key, key, sizeof r->key);
        r->w = *w;
        r->w.ns = r->w.calls = 0;
        HASH_ADD_STR(*g, key, r);
    }
    size_t i = 0;
    while (i < r->ntid && r->tid[i] != w->tid)
        i++;
    if (i == r->ntid && r->ntid < WR_GROUP_TIDS)
        r->tid[r->ntid++] = w->tid;
    r->w.ns += w->ns;
    r->w.calls += w->calls;
    return 0;
}

static int cmp_group(const void *a, const void *b)
{
    const struct wake_group *x = *(struct wake_group *const *)a, *y = *(struct wake_group *const *)b;
    return (x->w.ns < y->w.ns) - (x->w.ns > y->w.ns);
}

/* group_sorted: the groups of *g, largest first, into a new array (*n of
 * them), and the hash emptied (its entries stay, owned by the array): NULL
 * when there are none or on out of memory (*n 0). */
static struct wake_group **group_sorted(struct wake_group **g, size_t *n)
{
    struct wake_group *r, *tmp, **a = NULL;
    *n = HASH_COUNT(*g);
    if (*n && !(a = malloc(*n * sizeof *a)))
        *n = 0;
    size_t i = 0;
    HASH_ITER(hh, *g, r, tmp)
    {
        HASH_DEL(*g, r);
        if (a)
            a[i++] = r;
        else
            free(r);
    }
    if (a)
        qsort(a, *n, sizeof *a, cmp_group);
    return a;
}

static void group_free(struct wake_group **a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(a[i]);
    free(a);
}

/* group_line: a group's line: its thread, or how many threads. */
static const char *group_line(char *buf, size_t cap, struct wr_model *m, const struct wake_group *r)
{
    return wake_line(buf, cap, m, &r->w, r->ntid > 1 ? r->ntid : 1);
}

/* top: the largest entry of l that names something (not "other", the sum
 * of the entries a site had no room for), or NULL. */
static const struct wr_wake *top(const struct wr_wake *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (l[i].func || !l[i].label || strcmp(l[i].label, "other"))
            return &l[i];
    return NULL;
}

static uint64_t sum(const struct wr_wake *l, size_t n)
{
    uint64_t t = 0;
    for (size_t i = 0; i < n; i++)
        t += l[i].ns;
    return t;
}

/* site_line: "woken by" or "because of" line of list l: its largest group. */
static void site_line(FILE *f, struct wr_model *m, const struct wr_wake *l, size_t n, const char *what,
                      const char *tail, const char *dim, const char *off)
{
    struct wake_group *g = NULL, **a;
    size_t ng = 0;
    char line[256], fit[256];
    for (size_t i = 0; i < n; i++)
        if (group_add(&g, m, &l[i]) != 0)
            break;
    if (!(a = group_sorted(&g, &ng)))
        return;
    uint64_t t = sum(l, n);
    wr_fit(fit, sizeof fit, group_line(line, sizeof line, m, a[0]), 90);
    fprintf(f, "    %s%s %s: %.0f%%%s%s\n", dim, what, fit, t ? 100.0 * (double)a[0]->w.ns / (double)t : 0.0, tail,
            off);
    group_free(a, ng);
}

void wr_wakers_text(FILE *f, struct wr_model *m, const struct wr_site *s, const char *dim, const char *off)
{
    const struct wr_wake *w = top(s->wakers, s->nwakers), *c = top(s->causes, s->ncauses);
    if (w && !w->func && !strcmp(w->label, "sleep") && s->nwakers == 1)
        return; /* a sleep ended by itself: the lines would only repeat the site */
    /* No thread ended the waits (the disk, a timeout, a peer outside) and
     * the cause is the site's own call: both lines would repeat the row. */
    if (w && !w->func && s->nwakers == 1 && c && s->ncauses == 1 && c->func == s->func && c->stack == s->stack)
        return;
    site_line(f, m, s->wakers, s->nwakers, "woken by", " of the wait", dim, off);
    site_line(f, m, s->causes, s->ncauses, "because of", "", dim, off);
}

int wr_wakers_why(FILE *f, struct wr_model *m, size_t rows, const char *bold, const char *off)
{
    struct wake_group *g = NULL, **a = NULL;
    size_t n = 0;
    uint64_t total = 0;
    int rc = 0;
    for (size_t i = 0; !rc && i < m->nsites; i++) {
        const struct wr_site *s = m->sorted[i];
        for (size_t k = 0; !rc && k < s->ncauses; k++) {
            total += s->causes[k].ns;
            rc = group_add(&g, m, &s->causes[k]);
        }
    }
    a = group_sorted(&g, &n);
    if (rc || (n && !a)) {
        group_free(a, n);
        return -1;
    }
    if (n) {
        fprintf(f, "\n%swhy threads waited%s (the waits' time handed on through their wakers)\n", bold, off);
        for (size_t j = 0; j < n && (!rows || j < rows); j++) {
            char line[256], fit[256], t[32];
            wr_fit(fit, sizeof fit, group_line(line, sizeof line, m, a[j]), 90);
            fprintf(f, "  %5.1f%% %9s  %s\n", total ? 100.0 * (double)a[j]->w.ns / (double)total : 0.0,
                    wr_fmt_ns(t, sizeof t, a[j]->w.ns), fit);
        }
        for (size_t j = 0; j < m->nwake_loops && (!rows || j < rows); j++) {
            char t[32];
            fprintf(f, "  loop: tid %" PRIu32 " and tid %" PRIu32 " woke each other %" PRIu64 " times, %s of waits\n",
                    m->wake_loops[j].tid[0], m->wake_loops[j].tid[1], m->wake_loops[j].waits,
                    wr_fmt_ns(t, sizeof t, m->wake_loops[j].ns));
        }
        if (m->wake_cycles)
            fprintf(f, "  %" PRIu64 " cause chain%s stopped at a cycle between threads\n", m->wake_cycles,
                    m->wake_cycles == 1 ? "" : "s");
    }
    group_free(a, n);
    return 0;
}

void wr_wakers_json_top(FILE *f, const struct wr_model *m)
{
    fputs(",\"wait_loops\":[", f);
    for (size_t j = 0; j < m->nwake_loops; j++)
        fprintf(f, "%s{\"tids\":[%" PRIu32 ",%" PRIu32 "],\"waits\":%" PRIu64 ",\"ns\":%" PRIu64 "}", j ? "," : "",
                m->wake_loops[j].tid[0], m->wake_loops[j].tid[1], m->wake_loops[j].waits, m->wake_loops[j].ns);
    fprintf(f, "],\"wake_cycles\":%" PRIu64 ",\"wake_cut\":%" PRIu64, m->wake_cycles, m->wake_cut);
}

int wr_crit_json(FILE *f, struct wr_model *m)
{
    const struct wr_crit *c = &m->crit;
    if (wr_crit_path(m, 1) != 0)
        return -1;
    json_list(f, m, "critical_path", c->path, c->n, 0);
    fprintf(f, ",\"critical_path_of\":{\"tid\":%" PRIu32 ",\"mark\":", c->tid);
    wr_json_str(f, c->mark);
    fprintf(f, ",\"intervals\":%zu,\"ns\":%" PRIu64 ",\"threads\":%zu,\"by_thread\":[", c->intervals, c->ns,
            c->threads);
    for (size_t i = 0; i < c->nby; i++)
        fprintf(f, "%s{\"tid\":%" PRIu32 ",\"ns\":%" PRIu64 "}", i ? "," : "", c->by_thread[i].tid, c->by_thread[i].ns);
    fputs("]}", f);
    return 0;
}

#define WR_CRIT_ROWS 6

int wr_crit_text(FILE *f, struct wr_model *m, const char *bold, const char *off)
{
    const struct wr_crit *c = &m->crit;
    char t[32], line[256], fit[256];
    if (wr_crit_path(m, 0) != 0)
        return -1;
    if (c->mark && !c->intervals) {
        fprintf(f, "\n%scritical path%s: no mark named '%s' in this process\n", bold, off, c->mark);
        return 0;
    }
    if (!c->n || (c->threads < 2 && !c->mark && !m->filter))
        return 0; /* one thread's own time: the site table says it already */
    const char *name = "";
    for (size_t i = 0; i < m->nthreads; i++)
        if (m->threads[i].tid == c->tid && m->threads[i].name[0])
            name = m->threads[i].name;
    if (c->mark)
        fprintf(f, "\n%scritical path of mark '%s'%s (%zu interval%s to tid %" PRIu32 "'s next mark or end, %s)", bold,
                c->mark, off, c->intervals, c->intervals == 1 ? "" : "s", c->tid, wr_fmt_ns(t, sizeof t, c->ns));
    else
        fprintf(f, "\n%scritical path of tid %" PRIu32 "%s (%s, its life of %s)", bold, c->tid, off, name,
                wr_fmt_ns(t, sizeof t, c->ns));
    fprintf(f, " through %zu thread%s: what it waited for, followed through its wakers\n", c->threads,
            c->threads == 1 ? "" : "s");
    fputs("  by thread:", f);
    for (size_t j = 0; j < c->nby; j++) {
        double share = c->ns ? 100.0 * (double)c->by_thread[j].ns / (double)c->ns : 0.0;
        if (c->by_thread[j].tid)
            fprintf(f, "%s tid %" PRIu32 " %.0f%%", j ? "," : "", c->by_thread[j].tid, share);
        else
            fprintf(f, "%s no thread (unknown) %.0f%%", j ? "," : "", share);
    }
    fputc('\n', f);
    for (size_t j = 0; j < c->n && j < WR_CRIT_ROWS; j++) {
        wr_fit(fit, sizeof fit, wake_line(line, sizeof line, m, &c->path[j], 1), 90);
        fprintf(f, "  %5.1f%% %9s  %s\n", c->ns ? 100.0 * (double)c->path[j].ns / (double)c->ns : 0.0,
                wr_fmt_ns(t, sizeof t, c->path[j].ns), fit);
    }
    return 0;
}
