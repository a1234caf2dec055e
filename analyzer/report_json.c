/* report_json.c: the machine-readable report. Other issues extend this
 * contract with new fields; existing fields never change meaning. */
#include <inttypes.h>
#include <string.h>

#include "report.h"

/* json_str: s as a JSON string literal (NULL as null). */
static void json_str(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

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

static void json_frames(FILE *f, struct wr_model *m, uint32_t stack)
{
    struct wr_frame fr[LW_MAX_DEPTH];
    size_t n = wr_model_frames(m, stack, fr, LW_MAX_DEPTH);
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",{\"function\":" : "{\"function\":", f);
        json_str(f, fr[i].function);
        fputs(",\"file\":", f);
        json_str(f, fr[i].file);
        fprintf(f, ",\"line\":%d,\"module\":", fr[i].line);
        json_str(f, fr[i].module);
        fprintf(f, ",\"addr\":\"0x%" PRIx64 "\",\"inlined\":%s}", fr[i].addr, fr[i].inlined ? "true" : "false");
    }
    fputc(']', f);
}

int wr_report_json(struct wr_model *m, const struct wr_opts *o, FILE *f)
{
    (void)o;
    const struct lw_file_header *h = &m->trace->hdr;
    fputs("{\"version\":1,\"process\":{", f);
    fprintf(f, "\"pid\":%u,\"ppid\":%u,\"command\":", h->pid, h->ppid);
    json_str(f, h->command);
    fputs(",\"exe\":", f);
    json_str(f, h->exe);
    fprintf(f, ",\"wall_ns\":%" PRIu64 ",\"threads\":%zu,\"complete\":%s,\"clock\":\"%s\",\"split\":\"%s\"",
            m->wall_ns, m->nthreads, m->trace->incomplete ? "false" : "true",
            m->rate_estimated == 0 ? "measured" : m->rate_estimated == 1 ? "estimated" : "ticks",
            m->have_switches ? "measured" : "unavailable");
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
    fprintf(f,
            ",\"libwait\":{\"records\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"trace_bytes\":%zu,\"stacks\":%" PRIu64
            ",\"unwinds\":%" PRIu64 ",\"stack_cache_hits\":%" PRIu64 ",\"nested\":%" PRIu64
            ",\"dropped\":%" PRIu64 ",\"chunks\":%" PRIu64 ",\"calls_read\":%" PRIu64 ",\"warnings\":%u}",
            st->records, st->bytes, m->trace->size, st->stacks, st->unwinds, st->stack_hits, st->nested,
            st->dropped, st->chunks, m->calls, m->trace->warnings);
    fputs(",\"threads\":[", f);
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct wr_thread *t = &m->threads[i];
        fprintf(f, "%s{\"tid\":%u,\"name\":", i ? "," : "", t->tid);
        json_str(f, t->name);
        fprintf(f, ",\"calls\":%" PRIu64, t->calls);
        if (m->have_switches)
            fprintf(f, ",\"life_ns\":%" PRIu64, t->life_ns);
        json_split(f, m, t->life_ns, t->blocked_ns, t->runnable_ns);
        fputc('}', f);
    }
    fputs("],\"sites\":[", f);
    for (size_t i = 0; i < m->nsites; i++) {
        const struct wr_site *s = m->sorted[i];
        const struct lw_func_info *fi = lw_func_info_of(s->func);
        fprintf(f, "%s{\"function\":", i ? "," : "");
        json_str(f, fi ? fi->name : "?");
        fputs(",\"family\":", f);
        json_str(f, wr_model_family(s->func));
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
        fprintf(f, ",\"stack_id\":%u,\"stack\":", s->stack);
        json_frames(f, m, s->stack);
        fputc('}', f);
    }
    fputs("]", f);
    wr_marks_json(m, f);
    fputs("}\n", f);
    return ferror(f) ? -1 : 0;
}

void wr_json_str(FILE *f, const char *s) { json_str(f, s); }
