/* json.c: the machine-readable report. Other issues extend this
 * contract with new fields; existing fields never change meaning. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analyses/analyses.h"
#include "model/sitekey.h"
#include "output/fmt.h"
#include "output/report.h"

/* at most this many mutexes (the most waited on) in "mutexes" */
#define WR_JSON_MUTEXES 1000

/* json_split: the wait/CPU fields; null when the trace has no switches,
 * so a missing measurement is never shown as a number. */
static void json_split(FILE *f, const struct wr_model *m, uint64_t total, uint64_t blocked, uint64_t runnable)
{
    if (!m->have_switches) {
        fputs(",\"wait_ns\":null,\"blocked_ns\":null,\"runnable_ns\":null,\"cpu_ns\":null", f);
        return;
    }
    fprintf(f, ",\"wait_ns\":%" PRIu64 ",\"blocked_ns\":%" PRIu64 ",\"runnable_ns\":%" PRIu64 ",\"cpu_ns\":%" PRIu64,
            blocked + runnable, blocked, runnable, wr_model_cpu_ns(total, blocked, runnable));
}

/* json_outside: a thread's time outside any recorded call (the split null
 * without switches) and its page faults (null without its end record). */
static void json_outside(FILE *f, const struct wr_model *m, const struct wr_thread *t)
{
    struct wr_outside o;
    wr_thread_outside(m, t, &o);
    fprintf(f, ",\"outside_ns\":%" PRIu64, o.ns);
    if (o.split)
        fprintf(f,
                ",\"outside_cpu_ns\":%" PRIu64 ",\"outside_blocked_ns\":%" PRIu64 ",\"outside_runnable_ns\":%" PRIu64,
                o.cpu_ns, o.blocked_ns, o.runnable_ns);
    else
        fputs(",\"outside_cpu_ns\":null,\"outside_blocked_ns\":null,\"outside_runnable_ns\":null", f);
    if (t->faults)
        fprintf(f, ",\"minor_faults\":%" PRIu64 ",\"major_faults\":%" PRIu64, t->minflt, t->majflt);
    else
        fputs(",\"minor_faults\":null,\"major_faults\":null", f);
}

/* json_key: the site's key by symbolized stack (sitekey.h), or null. */
static void json_key(FILE *f, struct wr_model *m, const struct wr_site *s)
{
    size_t nf;
    char *k = wr_site_key(m, s, &nf);
    wr_json_str(f, k);
    free(k);
}

/* json_site_ref: "stack_id", "function" and "at" (innermost frame's function)
 * naming site s inside another object. */
static void json_site_ref(FILE *f, struct wr_model *m, const struct wr_site *s)
{
    struct wr_frame fr[1];
    const struct lw_func_info *fi = lw_func_info_of(s->func);
    fprintf(f, "\"stack_id\":%u,\"function\":", s->stack);
    wr_json_str(f, fi ? fi->name : "?");
    fputs(",\"at\":", f);
    wr_json_str(f, wr_model_frames(m, s->stack, fr, 1) ? fr[0].function : NULL);
}

/* json_site_analyses: a site's quantiles, histogram, lock and heap fields. */
static void json_site_analyses(FILE *f, struct wr_model *m, const struct wr_site *s)
{
    const struct wr_hist *h = &s->hist;
    fprintf(f,
            ",\"p50_ns\":%" PRIu64 ",\"p95_ns\":%" PRIu64 ",\"p99_ns\":%" PRIu64 ",\"p999_ns\":%" PRIu64 ",\"hist\":[",
            wr_hist_quantile(h, 0.5), wr_hist_quantile(h, 0.95), wr_hist_quantile(h, 0.99), wr_hist_quantile(h, 0.999));
    int first = 1;
    for (size_t i = 0; i < wr_hist_nbuckets(); i++) {
        uint64_t lo, hi, n;
        wr_hist_bucket(h, i, &lo, &hi, &n);
        if (!n)
            continue;
        fprintf(f, "%s{\"lo\":%" PRIu64 ",\"hi\":%" PRIu64 ",\"count\":%" PRIu64 "}", first ? "" : ",", lo, hi, n);
        first = 0;
    }
    fputc(']', f);
    const struct lw_func_info *fi = lw_func_info_of(s->func);
    if (fi && fi->family == LW_FAM_LOCK) {
        fprintf(f,
                ",\"contended\":%" PRIu64 ",\"holds\":%" PRIu64 ",\"hold_ns\":%" PRIu64 ",\"hold_max_ns\":%" PRIu64
                ",\"blamed_ns\":%" PRIu64 ",\"holders\":[",
                s->contended, s->holds, s->hold_ns, s->hold_max_ns, s->blamed_ns);
        for (size_t i = 0; i < s->nholders && i < 10; i++) {
            fputs(i ? ",{" : "{", f);
            json_site_ref(f, m, s->holders[i].site);
            fprintf(f, ",\"wait_ns\":%" PRIu64 ",\"waits\":%" PRIu64 ",\"stack\":", s->holders[i].ns,
                    s->holders[i].count);
            wr_json_frames(f, m, s->holders[i].site->stack);
            fputc('}', f);
        }
        fputs("],\"holder_stack\":", f);
        if (s->nholders)
            wr_json_frames(f, m, s->holders[0].site->stack);
        else
            fputs("null", f);
    } else if (fi && fi->schema == LW_S_COND) { /* the mutex held again after the waits */
        fprintf(f, ",\"holds\":%" PRIu64 ",\"hold_ns\":%" PRIu64 ",\"hold_max_ns\":%" PRIu64, s->holds, s->hold_ns,
                s->hold_max_ns);
    } else if (fi && fi->family == LW_FAM_MALLOC) {
        fprintf(f,
                ",\"allocs\":%" PRIu64 ",\"alloc_bytes\":%" PRIu64 ",\"peak_bytes\":%" PRIu64 ",\"leaked\":%" PRIu64
                ",\"leaked_bytes\":%" PRIu64,
                s->allocs, s->alloc_bytes, s->peak_bytes, s->leaked, s->leaked_bytes);
    } else if (fi && fi->family == LW_FAM_SLEEP) {
        fprintf(f, ",\"asked_ns\":%" PRIu64, s->asked_ns);
    }
}

/* json_mutex_sites: one of a mutex's site lists. */
static void json_mutex_sites(FILE *f, struct wr_model *m, const struct wr_mutex_site *e, size_t n, int held)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",{" : "{", f);
        json_site_ref(f, m, e[i].site);
        if (held)
            fprintf(f,
                    ",\"holds\":%" PRIu64 ",\"hold_ns\":%" PRIu64 ",\"hold_max_ns\":%" PRIu64
                    ",\"caused_wait_ns\":%" PRIu64 "}",
                    e[i].count, e[i].ns, e[i].max_ns, e[i].blame_ns);
        else
            fprintf(f, ",\"waits\":%" PRIu64 ",\"wait_ns\":%" PRIu64 ",\"wait_max_ns\":%" PRIu64 "}", e[i].count,
                    e[i].ns, e[i].max_ns);
    }
    fputc(']', f);
}

/* json_heap_locks: the top-level "heap", "locks" and "mutexes" members. */
static void json_heap_locks(FILE *f, struct wr_model *m)
{
    const struct wr_heap *hp = &m->heap;
    fprintf(f,
            ",\"heap\":{\"peak_bytes\":%" PRIu64 ",\"peak_ns\":%" PRIu64 ",\"peak_blocks\":%" PRIu64
            ",\"leaked\":%" PRIu64 ",\"leaked_bytes\":%" PRIu64 ",\"foreign_frees\":%" PRIu64 "}",
            hp->peak_bytes, hp->peak_ns, hp->peak_count, hp->leaked, hp->leaked_bytes, hp->foreign_frees);
    size_t waited = 0;
    for (size_t i = 0; i < m->nmutexes; i++)
        waited += wr_mutex_waited(m->mutex_sorted[i]);
    fprintf(f,
            ",\"locks\":{\"mutexes\":%zu,\"waited_on\":%zu,\"unmatched_unlocks\":%" PRIu64
            ",\"untracked_holds\":%" PRIu64 ",\"unattributed_wait_ns\":%" PRIu64 "}",
            m->nmutexes, waited, m->unmatched_unlocks, m->untracked_holds, m->unattributed_wait_ns);
    fputs(",\"mutexes\":[", f);
    for (size_t i = 0; i < m->nmutexes && i < WR_JSON_MUTEXES; i++) {
        const struct wr_mutex *mu = m->mutex_sorted[i];
        fprintf(f,
                "%s{\"addr\":\"0x%" PRIx64 "\",\"kind\":\"%s\",\"locks\":%" PRIu64 ",\"holds\":%" PRIu64
                ",\"hold_ns\":%" PRIu64 ",\"hold_max_ns\":%" PRIu64 ",\"contended\":%" PRIu64 ",\"wait_ns\":%" PRIu64
                ",\"blamed_ns\":%" PRIu64 ",\"waited_on\":%s,\"held_by\":",
                i ? "," : "", mu->addr, wr_lock_kind_name(mu), mu->locks, mu->holds, mu->hold_ns, mu->hold_max_ns,
                mu->contended, mu->wait_ns, mu->blamed_ns, wr_mutex_waited(mu) ? "true" : "false");
        json_mutex_sites(f, m, mu->held_by, mu->nheld, 1);
        fputs(",\"waited_on_by\":", f);
        json_mutex_sites(f, m, mu->waited_by, mu->nwaited, 0);
        fputc('}', f);
    }
    fputc(']', f);
}

/* json_filter: "filter" (the threads counted; null without --tid or
 * --thread) and "merge" ("stack", or "line" with stacks_merged). */
static void json_filter(FILE *f, const struct wr_model *m)
{
    const struct wr_filter *fl = m->filter;
    if (fl) {
        fputs(",\"filter\":{\"tids\":[", f);
        for (size_t i = 0; i < fl->ntids; i++)
            fprintf(f, "%s%u", i ? "," : "", fl->tids[i]);
        fputs("],\"threads\":[", f);
        for (size_t i = 0; i < fl->nnames; i++) {
            if (i)
                fputc(',', f);
            wr_json_str(f, fl->names[i]);
        }
        fprintf(f, "],\"threads_kept\":%zu,\"calls_kept\":%" PRIu64 "}", m->kept_threads, m->calls);
    } else
        fputs(",\"filter\":null", f);
    if (m->merge_line)
        fprintf(f, ",\"merge\":\"line\",\"stacks_merged\":%zu", m->stacks_merged);
    else
        fputs(",\"merge\":\"stack\"", f);
}

int wr_report_json(struct wr_model *m, const struct wr_opts *o, FILE *f)
{
    (void)o;
    const struct lw_file_header *h = &m->trace->hdr;
    /* The critical path (written last) is computed first: it reads the
     * trace again and holds the threads' stretches and jumps, which it
     * frees, before the sites' frames load the modules' debug information,
     * so the two never add up in memory. A failure is met again where the
     * path is written. */
    (void)wr_crit_path(m, 1);
    fputs("{\"version\":1,\"process\":{", f);
    fprintf(f, "\"pid\":%u,\"ppid\":%u,\"command\":", h->pid, h->ppid);
    wr_json_str(f, h->command);
    fputs(",\"exe\":", f);
    wr_json_str(f, h->exe);
    fprintf(f, ",\"wall_ns\":%" PRIu64 ",\"threads\":%zu,\"complete\":%s,\"clock\":\"%s\",\"split\":\"%s\"", m->wall_ns,
            m->nthreads, m->trace->incomplete ? "false" : "true",
            m->rate_estimated == 0   ? "measured"
            : m->rate_estimated == 1 ? "estimated"
                                     : "ticks",
            m->have_switches ? "measured" : "unavailable");
    fprintf(f, ",\"stopped\":%s", h->flags & LW_HF_STOPPED ? "true" : "false");
    if (h->flags & LW_HF_EXEC) /* only then, as for a capped trace below */
        fputs(",\"ended_in_exec\":true", f);
    if (m->trace->flight) { /* only then: other traces' reports stay as they were */
        uint64_t from, win = wr_trace_window(m->trace, m->wall_ns, &from);
        fprintf(f,
                ",\"max_size\":%" PRIu64 ",\"window_ns\":%" PRIu64 ",\"window_start_ns\":%" PRIu64
                ",\"dropped_events\":%" PRIu64 ",\"dropped_chunks\":%" PRIu64 ",\"torn_chunks\":%" PRIu64,
                h->flight.max_size, win, from, h->flight.dropped_calls, h->flight.dropped_chunks, m->trace->torn);
    }
    if (m->window) /* the calls that ended in [start_ns, end_ns), ns since the start */
        fprintf(f,
                ",\"window_shown\":{\"start_ns\":%" PRIu64 ",\"end_ns\":%" PRIu64 ",\"trace_ns\":%" PRIu64
                ",\"calls\":%" PRIu64 ",\"calls_read\":%" PRIu64 "}",
                m->win_start_ns, m->win_end_ns, m->span_ns, m->calls, m->calls_read);
    else
        fputs(",\"window_shown\":null", f);
    fprintf(f, ",\"switches\":%" PRIu64 ",\"switches_lost\":%" PRIu64, m->switches, m->switches_lost);
    uint64_t ob = 0, orn = 0;
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct wr_thread *t = &m->threads[i];
        ob += t->blocked_ns > t->in_blocked_ns ? t->blocked_ns - t->in_blocked_ns : 0;
        orn += t->runnable_ns > t->in_runnable_ns ? t->runnable_ns - t->in_runnable_ns : 0;
    }
    fputs(",\"outside_wrapped_calls\":{", f);
    if (m->have_switches)
        fprintf(f, "\"blocked_ns\":%" PRIu64 ",\"runnable_ns\":%" PRIu64, ob, orn);
    else
        fputs("\"blocked_ns\":null,\"runnable_ns\":null", f);
    fputs("}}", f);
    const struct lw_stats *st = &h->stats;
    struct wr_distortion d;
    wr_model_distortion(m, &d);
    fprintf(f,
            ",\"libwait\":{\"records\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"trace_bytes\":%zu,\"stacks\":%" PRIu64
            ",\"unwinds\":%" PRIu64 ",\"stack_cache_hits\":%" PRIu64 ",\"nested\":%" PRIu64 ",\"dropped\":%" PRIu64
            ",\"lone_locks\":%" PRIu64 ",\"chunks\":%" PRIu64 ",\"calls_read\":%" PRIu64 ",\"warnings\":%u"
            ",\"self_ns\":%" PRIu64,
            st->records, st->bytes, m->trace->size, st->stacks, st->unwinds, st->stack_hits, st->nested, st->dropped,
            h->lone_locks, st->chunks, m->calls_read, m->trace->warnings, d.self_ns);
    fprintf(f, ",\"call_record_bytes\":%" PRIu64 ",\"stack_record_bytes\":%" PRIu64 ",\"other_record_bytes\":%" PRIu64,
            m->call_bytes, m->stack_bytes, m->other_bytes);
    /* distorted: self_share over WR_DISTORT_SHARE; null when the trace is
     * incomplete and the share, a lower bound then, is under it */
    fprintf(f, ",\"thread_ns\":%" PRIu64 ",\"self_share\":%.4f,\"distort_threshold\":%.2f,\"distorted\":%s}",
            d.thread_ns, d.share, WR_DISTORT_SHARE,
            d.distorted == 1   ? "true"
            : d.distorted == 0 ? "false"
                               : "null");
    json_filter(f, m);
    fputs(",\"threads\":[", f);
    for (size_t i = 0, n = 0; i < m->nthreads; i++) {
        const struct wr_thread *t = &m->threads[i];
        if (!t->kept)
            continue;
        fprintf(f, "%s{\"tid\":%u,\"name\":", n++ ? "," : "", t->tid);
        wr_json_str(f, t->name);
        fprintf(f, ",\"calls\":%" PRIu64, t->calls);
        if (m->have_switches)
            fprintf(f, ",\"life_ns\":%" PRIu64, t->life_ns);
        json_split(f, m, t->life_ns, t->blocked_ns, t->runnable_ns);
        json_outside(f, m, t);
        fputc('}', f);
    }
    fputs("],\"sites\":[", f);
    for (size_t i = 0; i < m->nsites; i++) {
        const struct wr_site *s = m->sorted[i];
        const struct lw_func_info *fi = lw_func_info_of(s->func);
        fprintf(f, "%s{\"function\":", i ? "," : "");
        wr_json_str(f, fi ? fi->name : "?");
        fputs(",\"family\":", f);
        wr_json_str(f, wr_model_family(s->func));
        uint64_t total = wr_model_ns(m, s->total_ticks);
        fprintf(f,
                ",\"calls\":%" PRIu64 ",\"total_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64 ",\"bytes\":%" PRIu64
                ",\"errors\":%" PRIu64,
                s->calls, total, wr_model_ns(m, s->max_ticks), s->bytes, s->errors);
        json_split(f, m, total, s->blocked_ns, s->runnable_ns);
        if (m->have_switches)
            fprintf(f,
                    ",\"switches\":%" PRIu64 ",\"fast_calls\":%" PRIu64 ",\"fast_ns\":%" PRIu64
                    ",\"slow_calls\":%" PRIu64 ",\"slow_ns\":%" PRIu64,
                    s->switches, s->fast_calls, wr_model_ns(m, s->fast_ticks), s->slow_calls,
                    wr_model_ns(m, s->slow_ticks));
        else
            fputs(",\"switches\":null,\"fast_calls\":null,\"fast_ns\":null,\"slow_calls\":null,\"slow_ns\":null", f);
        json_site_analyses(f, m, s);
        wr_wakers_json(f, m, s);
        fprintf(f, ",\"stack_id\":%u,\"key\":", s->stack);
        json_key(f, m, s); /* the symbolized path: matches sites across runs */
        fputs(",\"stack\":", f);
        wr_json_frames(f, m, s->stack);
        fputc('}', f);
    }
    fputc(']', f);
    json_heap_locks(f, m);
    wr_wakers_json_top(f, m);
    if (wr_crit_json(f, m) != 0)
        return -1;
    wr_marks_json(m, f);
    fputs("}\n", f);
    return ferror(f) ? -1 : 0;
}
