/* pprof_top.c: the profile of one interval of `waitreport top` (its
 * --pprof-every): a sample per site and thread with the calls that
 * settled in the interval (top_model.h), the same sample types, locations,
 * mappings and labels as `waitreport --pprof` (pprof.c). */
#include <stdlib.h>
#include <string.h>

#include "output/export.h"
#include "output/fmt.h"
#include "output/pprof.h"

/* by site (stack, then function), then thread id: one order for a run */
static int cmp_part(const void *x, const void *y)
{
    const struct wr_top_part *a = *(struct wr_top_part *const *)x, *b = *(struct wr_top_part *const *)y;
    if (a->site != b->site)
        return a->site->key < b->site->key ? -1 : 1;
    return a->th->tid < b->th->tid ? -1 : a->th->tid > b->th->tid ? 1 : a->th->stream < b->th->stream ? -1 : 1;
}

int wr_export_pprof_top(struct wr_top *t, FILE *out)
{
    const struct lw_file_header *h = &t->live.hdr;
    struct pprof p;
    wr_pp_init(&p);
    size_t n = HASH_COUNT(t->last_parts), k = 0;
    struct wr_top_part **v = malloc((n ? n : 1) * sizeof *v);
    uint64_t *mapid = calloc(t->sym.nmods ? t->sym.nmods : 1, sizeof *mapid);
    if (!v || !mapid)
        p.oom = 1;
    for (struct wr_top_part *a = t->last_parts; a && v; a = a->hh.next)
        v[k++] = a;
    if (v)
        qsort(v, n, sizeof *v, cmp_part);
    wr_top_sync_modules(t);
    if (mapid)
        wr_pp_main_mapping(&p, &t->sym, mapid, h->exe);
    struct pp_span ids = {0, 0};
    for (size_t i = 0; i < n && !p.oom; i++) {
        const struct wr_top_part *a = v[i];
        if (!i || a->site != v[i - 1]->site)
            ids = wr_pp_stack(&p, &t->sym, mapid, a->site->func, a->site->stack);
        int64_t val[WR_PP_NVALUES] = {0};
        val[WR_PP_CALLS] = wr_pp_clamp(a->calls);
        if (t->have_switches) { /* else unmeasured: 0, as a profile has no null */
            val[WR_PP_WAIT] = wr_pp_clamp(a->blocked_ns + a->runnable_ns);
            val[WR_PP_CPU] = wr_pp_clamp(wr_model_cpu_ns(a->total_ns, a->blocked_ns, a->runnable_ns));
            val[WR_PP_BLOCKED] = wr_pp_clamp(a->blocked_ns);
            val[WR_PP_RUNNABLE] = wr_pp_clamp(a->runnable_ns);
        }
        val[WR_PP_BYTES] = wr_pp_clamp(a->bytes);
        wr_pp_sample(&p, ids, val, a->th->name, a->th->tid, wr_model_family(a->site->func), h->pid);
    }
    wr_top_sync_modules(t);
    struct wr_pp_head hd = {.split = t->have_switches};
    uint64_t from = t->t_prev - t->t_start, to = t->t_now - t->t_start;
    hd.time_ns = h->start_real_ns + from;
    hd.duration_ns = to - from;
    char cmd[LW_CMD_MAX], line[2][LW_CMD_MAX + 160];
    wr_clean(cmd, sizeof cmd, h->command[0] ? h->command : h->exe); /* pprof prints it on a terminal */
    snprintf(line[0], sizeof line[0], "pid %u: %s%s", h->pid, cmd,
             t->have_switches ? "" : " (no wait/CPU split: its wait, cpu, blocked and runnable are 0)");
    snprintf(line[1], sizeof line[1], "waitreport top: the calls settled from %.3f s to %.3f s of the run",
             (double)from / 1e9, (double)to / 1e9);
    hd.comments[0] = line[0];
    hd.comments[1] = line[1];
    hd.ncomments = 2;
    int r = wr_pp_write(&p, &hd, out);
    wr_pp_free(&p);
    free(v);
    free(mapid);
    return r;
}
