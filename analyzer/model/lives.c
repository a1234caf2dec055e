/* lives.c: the threads' lives as the reports count them: each thread's
 * life and its time outside any call, and libwait's share of them. */
#include "model/model.h"

/* The denominator is the sum of each thread's traced life (first to last
 * stamp, or from its first switch out when that came earlier): its CPU time
 * plus its blocked and runnable time. libwait's work runs on the program's
 * threads and stretches their lives, and the report's figures (waits, holds,
 * wall) are all drawn from those lives, so this share says how much of what
 * the report measures was libwait's. CPU time alone would be the wrong base:
 * a program that sleeps through most of its run has little CPU time, and
 * libwait's start-up (the first unwinds and the load map, about a
 * millisecond) would be "most of it" although no wait it reports moved. The
 * self estimate is TSC time, so it includes libwait's own preemptions, as
 * the lives do. A sampled estimate can overshoot a life spent almost all in
 * libwait, hence the cap at 1.
 * The counters reach the header when threads flush, the last ones at exit:
 * in an incomplete trace self_ns is a lower bound, so a share over the
 * threshold is still a distortion, but one under it proves nothing
 * (distorted -1). */
void wr_model_distortion(const struct wr_model *m, struct wr_distortion *d)
{
    memset(d, 0, sizeof *d);
    d->self_ns = wr_model_ns(m, m->trace->hdr.stats.self_ticks);
    const struct lw_stats *st = &m->trace->hdr.stats;
    if (m->trace->flight && st->records > m->calls_read) /* the run's self time; the threads' lives are the window's */
        d->self_ns = (uint64_t)((double)d->self_ns * (double)m->calls_read / (double)st->records);
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct wr_thread *th = &m->threads[i];
        uint64_t life = wr_thread_life_ns(m, th);
        d->thread_ns = life > UINT64_MAX - d->thread_ns ? UINT64_MAX : d->thread_ns + life;
    }
    if (d->thread_ns)
        d->share = (double)d->self_ns / (double)d->thread_ns;
    if (d->share > 1.0)
        d->share = 1.0;
    d->distorted = d->share > WR_DISTORT_SHARE ? 1 : m->trace->incomplete ? -1 : 0;
}

uint64_t wr_thread_life_ns(const struct wr_model *m, const struct wr_thread *t)
{
    return m->have_switches ? t->life_ns : t->last_tsc > t->first_tsc ? wr_model_ns(m, t->last_tsc - t->first_tsc) : 0;
}

void wr_thread_outside(const struct wr_model *m, const struct wr_thread *t, struct wr_outside *o)
{
    uint64_t life = wr_thread_life_ns(m, t), in = wr_model_ns(m, t->call_ticks);
    memset(o, 0, sizeof *o);
    o->ns = life > in ? life - in : 0;
    if (!(o->split = m->have_switches))
        return;
    o->blocked_ns = t->blocked_ns > t->in_blocked_ns ? t->blocked_ns - t->in_blocked_ns : 0;
    o->runnable_ns = t->runnable_ns > t->in_runnable_ns ? t->runnable_ns - t->in_runnable_ns : 0;
    o->cpu_ns = wr_model_cpu_ns(o->ns, o->blocked_ns, o->runnable_ns);
}
