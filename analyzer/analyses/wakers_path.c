/* wakers_path.c: the critical path (doc/wakers.md, "The critical path"):
 * from the end of a thread's life, or of a mark's interval, back to its
 * start, through the wakers of its waits. The walk back needs only the
 * waits another thread ended (each thread's jumps, which the waker
 * analysis leaves in the model); what each thread did on its stretches of
 * the path is then read again from its own records, so memory is bounded
 * by the jumps and the stretches, not by the calls. The path is computed
 * when an output asks for it, and a path that stayed in a thread that
 * made every call is taken from the sites, without reading again.
 *
 * Every step covers a stretch that ends where the one before began, so
 * the stretches tile the interval: the path's entries sum to its length. */
#include <stdlib.h>
#include <string.h>

#include "analyses/wakers.h"
#include "trace/walk.h"

/* codes of the entries that name no call (a call's code is its function id) */
enum { P_CPU = 0x100, P_EXIT, P_UNKNOWN };

struct p_key {
    uint32_t tid, stack, code;
};

struct p_entry {
    UT_hash_handle hh;
    struct p_key k;
    uint64_t ticks;
};

/* p_piece: a stretch [lo, hi] of a thread on the path; what the thread did
 * in it is charged by reading its records (charge_thread). */
struct p_piece {
    uint64_t lo, hi;
};

struct p_thread {
    struct p_piece *p;
    size_t n, cap;
};

/* entries found lately, by a cheap hash of their key: a thread's calls
 * come from few stacks, so most charges skip the hash table's look-up */
#define P_CACHE 256

struct p_state {
    struct wr_model *m;
    struct p_entry *cache[P_CACHE];
    const struct wr_crit_in *in;
    struct p_entry *entries;
    struct p_thread *th;    /* by thread index */
    struct wr_site **owned; /* sites called by one thread, by thread and first call (owned) */
    size_t nowned;
    size_t steps;  /* bound on the steps of one walk */
    int left, oom; /* left: the path left its thread */
};

/* charge_slot: where the entry of (tid, stack, code) is cached. */
static inline struct p_entry **charge_slot(struct p_state *ps, uint32_t tid, uint32_t stack, unsigned code)
{
    uint64_t h = ((uint64_t)tid << 40 ^ (uint64_t)stack << 9 ^ code) * 0x9e3779b97f4a7c15ull;
    return &ps->cache[h >> 56 & (P_CACHE - 1)];
}

/* charge_new: charge for an entry not in its cache slot: found in the
 * table or made there, and cached. */
static void charge_new(struct p_state *ps, uint32_t tid, uint32_t stack, unsigned code, uint64_t ticks)
{
    struct p_key k = {tid, stack, code};
    struct p_entry *e;
    HASH_FIND(hh, ps->entries, &k, sizeof k, e);
    if (!e) {
        if (!(e = calloc(1, sizeof *e))) {
            ps->oom = 1;
            return;
        }
        e->k = k;
        HASH_ADD(hh, ps->entries, k, sizeof e->k, e);
    }
    *charge_slot(ps, tid, stack, code) = e;
    e->ticks += ticks;
}

/* charge: ticks to the entry (tid, stack, code). Inline: the reading of a
 * thread's records charges each call twice. */
static inline void charge(struct p_state *ps, uint32_t tid, uint32_t stack, unsigned code, uint64_t ticks)
{
    if (!ticks)
        return;
    struct p_entry *e = *charge_slot(ps, tid, stack, code);
    if (e && e->k.tid == tid && e->k.stack == stack && e->k.code == code)
        e->ticks += ticks;
    else
        charge_new(ps, tid, stack, code, ticks);
}

static void piece(struct p_state *ps, size_t th, uint64_t lo, uint64_t hi)
{
    struct p_thread *t = &ps->th[th];
    if (hi <= lo)
        return;
    if (t->n && t->p[t->n - 1].lo == hi) { /* the stretch before the last one: join them */
        t->p[t->n - 1].lo = lo;
        return;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 8;
        struct p_piece *a = realloc(t->p, cap * sizeof *a);
        if (!a) {
            ps->oom = 1;
            return;
        }
        t->p = a, t->cap = cap;
    }
    t->p[t->n++] = (struct p_piece){lo, hi};
}

/* last_before: the latest jump of t that started before stamp c, or NULL
 * (t's jumps sorted by start). */
static const struct wr_wk_jump *last_before(const struct wr_crit_th *t, uint64_t c)
{
    size_t lo = 0, hi = t ? t->njumps : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->jumps[mid].s < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &t->jumps[lo - 1] : NULL;
}

/* creator: the thread index of the creator of thread index th, alive at
 * its birth, or SIZE_MAX. */
static size_t creator(const struct p_state *ps, size_t th)
{
    const struct wr_crit_th *t = th < ps->in->n ? &ps->in->th[th] : NULL;
    const struct wr_model *m = ps->m;
    if (!t || !t->born || !t->creator)
        return SIZE_MAX;
    for (size_t i = 0; i < m->nthreads; i++)
        if (i != th && m->threads[i].tid == t->creator && m->threads[i].first_tsc <= t->birth &&
            m->threads[i].last_tsc >= t->birth)
            return i;
    return SIZE_MAX;
}

/* walk: the path of [s, e] from thread index th at e back to s (steps 1
 * to 5 of doc/wakers.md). The cursor t never rises, and it falls at every
 * step but a hand-over to a creator; the step bound ends a hostile trace's
 * loop of those, the rest charged to "unknown". */
static void walk(struct p_state *ps, size_t th, uint64_t e, uint64_t s)
{
    struct wr_model *m = ps->m;
    uint64_t t = e;
    for (size_t steps = 0; t > s && !ps->oom; steps++) {
        if (th >= m->nthreads || steps > ps->steps) {
            charge(ps, 0, 0, P_UNKNOWN, t - s);
            return;
        }
        const struct wr_crit_th *wt = th < ps->in->n ? &ps->in->th[th] : NULL;
        const struct wr_wk_jump *w = last_before(wt, t);
        if (w && w->e > s) {
            if (w->e < t) { /* what th did after the wait */
                piece(ps, th, w->e, t);
                t = w->e;
            }
            if (w->k < t) { /* woken at k: the wake-up is the waker's, then the waker's own path */
                uint64_t k = w->k > s ? w->k : s;
                uint32_t tid = w->wth < m->nthreads ? m->threads[w->wth].tid : 0;
                charge(ps, tid, w->wstack, w->wfunc ? P_CPU : P_EXIT, t - k);
                t = k, th = w->wth, ps->left = 1;
            } else { /* reached before its waker released it: th was waiting in it */
                uint64_t a = w->s > s ? w->s : s;
                piece(ps, th, a, t);
                t = a;
            }
            continue;
        }
        uint64_t born = m->threads[th].first_tsc, a = born > s ? born : s;
        if (a < t) {
            piece(ps, th, a, t);
            t = a;
        }
        if (t <= s)
            return;
        size_t c = creator(ps, th); /* before th's birth: its creator, from its pthread_create on */
        if (c == SIZE_MAX) {
            charge(ps, 0, 0, P_UNKNOWN, t - s);
            return;
        }
        th = c, ps->left = 1;
    }
}

/* p_read: one thread's reading: its stretches on the path sorted by start,
 * the next one that can overlap, and the end of what was charged so far. */
struct p_read {
    struct p_state *ps;
    const struct p_piece *p;
    size_t n, i;
    uint64_t prev;
    uint32_t tid, last_stack;
};

/* span: [x, y] of the thread, spent at stack on code, charged where it
 * lies on the path. */
static inline __attribute__((always_inline)) void span(struct p_read *r, uint64_t x, uint64_t y, unsigned code,
                                                       uint32_t stack)
{
    while (r->i < r->n && r->p[r->i].hi <= x)
        r->i++;
    if (r->i < r->n && r->p[r->i].lo <= x && y <= r->p[r->i].hi) { /* the likely case: inside one stretch */
        charge(r->ps, r->tid, stack, code, y - x);
        return;
    }
    for (size_t j = r->i; j < r->n && r->p[j].lo < y; j++) {
        uint64_t lo = x > r->p[j].lo ? x : r->p[j].lo, hi = y < r->p[j].hi ? y : r->p[j].hi;
        if (hi > lo)
            charge(r->ps, r->tid, stack, code, hi - lo);
    }
}

/* on_call: a call of the thread read again: the time since its previous
 * call is CPU at this call's stack (the code that ran up to it), the call
 * its own. Calls are taken in the stream's order; a part already charged
 * (overlapping calls of a damaged trace) is not charged twice. */
static inline __attribute__((always_inline)) void on_call(struct p_read *r, const struct wr_event *ev)
{
    if (!ev->tsc || ev->tsc + ev->dur < ev->tsc)
        return;
    uint64_t cs = ev->tsc, ce = ev->tsc + ev->dur;
    const struct p_piece *p = r->i < r->n ? &r->p[r->i] : NULL;
    if (p && p->lo <= r->prev && r->prev <= cs && cs < p->hi && ce <= p->hi) {
        /* the likely case: the call and the time before it inside the
         * stretch at hand, which span would neither leave nor clip */
        if (cs > r->prev)
            charge(r->ps, r->tid, ev->stack, P_CPU, cs - r->prev);
        if (ce > r->prev) {
            charge(r->ps, r->tid, ev->stack, ev->kind, ce - cs);
            r->prev = ce;
        }
        r->last_stack = ev->stack;
        return;
    }
    if (cs > r->prev)
        span(r, r->prev, cs, P_CPU, ev->stack);
    if (ce > r->prev) {
        span(r, cs > r->prev ? cs : r->prev, ce, ev->kind, ev->stack);
        r->prev = ce;
    }
    r->last_stack = ev->stack;
}

/* on_record: on_call as the walk's fn (wr_walk_chunk with calls 1 hands
 * it call records only). */
static inline __attribute__((always_inline)) int on_record(void *ctx, const struct wr_event *ev)
{
    on_call(ctx, ev);
    return 0;
}

/* read_chunk: the calls of chunk k of stream si through on_call, decoded
 * only as far as on_call needs (it stops at the same damage as the model's
 * walk). */
static void read_chunk(struct wr_trace *t, size_t si, size_t k, struct p_read *r)
{
    wr_walk_chunk(t, si, k, 1, on_record, r);
}

static int cmp_piece(const void *a, const void *b)
{
    const struct p_piece *x = a, *y = b;
    return (x->lo > y->lo) - (x->lo < y->lo);
}

/* sort_pieces: a thread's n stretches by start. The walk goes back in
 * time, so they most often come latest first: then they are reversed,
 * which is what sorting them gives (no two start alike), in linear time. */
static void sort_pieces(struct p_piece *p, size_t n)
{
    size_t i = 1;
    while (i < n && p[i].lo < p[i - 1].lo)
        i++;
    if (i == n) {
        for (size_t a = 0, b = n - 1; a < b; a++, b--) {
            struct p_piece x = p[a];
            p[a] = p[b], p[b] = x;
        }
        return;
    }
    qsort(p, n, sizeof *p, cmp_piece);
}

/* owned: the sites of thread index th (each called by it alone), in the
 * order it first called them; *n of them. NULL when none or out of memory
 * (ps->owned: every thread's, sorted once). */
static struct wr_site **owned(struct p_state *ps, size_t th, size_t *n)
{
    *n = 0;
    if (!ps->owned && !(ps->owned = wr_path_sites(ps->m, &ps->nowned)))
        return NULL;
    size_t lo = 0, hi = ps->nowned;
    while (lo < hi) { /* the first site of a later owner than th + 1 */
        size_t mid = lo + (hi - lo) / 2;
        if (ps->owned[mid]->path_owner <= th + 1)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (lo > 0 && ps->owned[lo - 1]->path_owner == th + 1)
        lo--;
    *n = end - lo;
    return ps->owned + lo;
}

/* charge_sums: thread index th's one stretch p charged from its sites'
 * sums (wr_path_sums), when its calls lie inside it: the charges its
 * reading would make (on_call, then the time after its last call), in the
 * order it would first make them. Each site's first call made its two
 * entries, the time before the call and the call, in that order; the
 * thread's first call's time before it starts at p. 0 when the sums cannot
 * say (wr_path_sums.bad, calls outside p, sites at one stack, merged
 * stacks): the thread is read. */
static int charge_sums(struct p_state *ps, size_t th, const struct p_piece *p)
{
    const struct wr_model *m = ps->m;
    const struct wr_thread *t = &m->threads[th];
    size_t n;
    if (m->stackmap || t->path.bad || !t->path.seq || p->lo >= t->path.first_cs || t->call_end > p->hi)
        return 0;
    struct wr_site **a = owned(ps, th, &n);
    /* two sites at one stack share its cpu entry: read */
    if (!a || n != t->path.seq || a[0]->path_seq != 0 || wr_path_sites_share_stack(a, n))
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t cpu = a[i]->gap_ticks;
        if (i == 0)
            cpu = cpu - t->path.first_gap + (t->path.first_cs - p->lo);
        charge(ps, t->tid, a[i]->stack, P_CPU, cpu);
        charge(ps, t->tid, a[i]->stack, a[i]->func, a[i]->total_ticks);
    }
    charge(ps, t->tid, t->last_stack, P_CPU, p->hi - t->call_end); /* after its last call */
    return 1;
}

/* charge_thread: the stretches of thread index th, from its records (or
 * their sums, charge_sums); the time after its last call is CPU at that
 * call's stack. */
static void charge_thread(struct p_state *ps, size_t th)
{
    struct p_thread *pt = &ps->th[th];
    struct wr_trace *tr = ps->m->trace;
    if (!pt->n)
        return;
    sort_pieces(pt->p, pt->n);
    if (pt->n == 1 && charge_sums(ps, th, pt->p))
        return;
    struct p_read r = {ps, pt->p, pt->n, 0, 0, ps->m->threads[th].tid, 0};
    if (th < tr->nstreams) {
        int q = tr->quiet;
        unsigned w = tr->warnings;
        tr->quiet = 1; /* the model's reading warned about any damage */
        for (size_t k = 0; k < tr->streams[th].count; k++)
            read_chunk(tr, th, k, &r);
        tr->quiet = q, tr->warnings = w;
    }
    span(&r, r.prev, UINT64_MAX, P_CPU, r.last_stack);
}

static int cmp_wake(const void *a, const void *b)
{
    const struct wr_wake *x = a, *y = b;
    return x->ns != y->ns ? (x->ns > y->ns ? -1 : 1) : (x->tid > y->tid) - (x->tid < y->tid);
}

/* by_thread: the path's ns by thread (a, n entries) into c. */
static void by_thread(struct wr_crit *c, const struct wr_wake *a, size_t n)
{
    struct wr_wake t[64]; /* each thread's ns; past 64 threads, the rest stay out of by_thread */
    size_t nt = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < nt && t[j].tid != a[i].tid)
            j++;
        if (j == nt && nt < 64)
            t[nt++] = (struct wr_wake){.tid = a[i].tid};
        if (j < nt)
            t[j].ns += a[i].ns;
    }
    if (nt)
        qsort(t, nt, sizeof *t, cmp_wake);
    c->threads = c->nby = 0;
    for (size_t j = 0; j < nt; j++) {
        c->threads += t[j].tid != 0;
        if (j < WR_CRIT_THREADS)
            c->by_thread[j].tid = t[j].tid, c->by_thread[j].ns = t[j].ns, c->nby = j + 1;
    }
}

/* results: the entries into m->crit, largest first, WR_WAKE_MAX at most. */
static void results(struct p_state *ps)
{
    struct wr_crit *c = &ps->m->crit;
    size_t n = HASH_COUNT(ps->entries), i = 0;
    struct wr_wake *a = n ? calloc(n, sizeof *a) : NULL;
    static const char *const labels[] = {"cpu", "exit", "unknown"};
    struct p_entry *e, *et;
    HASH_ITER(hh, ps->entries, e, et)
    {
        unsigned code = e->k.code;
        if (a)
            a[i++] = (struct wr_wake){.tid = e->k.tid,
                                      .stack = e->k.stack,
                                      .func = code < P_CPU ? code : 0,
                                      .label = code < P_CPU ? NULL : labels[code - P_CPU],
                                      .ns = wr_model_ns(ps->m, e->ticks)};
        HASH_DEL(ps->entries, e);
        free(e);
    }
    if (n && !a) {
        ps->oom = 1;
        return;
    }
    if (n)
        qsort(a, n, sizeof *a, cmp_wake);
    by_thread(c, a, n);
    for (size_t j = WR_WAKE_MAX; j < n; j++) /* the rest, summed in the last entry */
        a[WR_WAKE_MAX - 1].ns += a[j].ns;
    if (n > WR_WAKE_MAX) {
        a[WR_WAKE_MAX - 1] = (struct wr_wake){.label = "other", .ns = a[WR_WAKE_MAX - 1].ns};
        n = WR_WAKE_MAX;
    }
    c->path = a, c->n = n;
}

/* target: the thread whose life the path is of: the first one a filter
 * keeps, else the main thread (its tid is the process's), else the first. */
static size_t target(const struct wr_model *m)
{
    for (size_t i = 0; m->filter && i < m->nthreads; i++)
        if (m->threads[i].kept)
            return i;
    for (size_t i = 0; i < m->nthreads; i++)
        if (m->threads[i].tid == m->trace->hdr.pid)
            return i;
    return 0;
}

static size_t thread_at(const struct wr_model *m, uint32_t tid, uint64_t tsc)
{
    for (size_t i = 0; i < m->nthreads; i++)
        if (m->threads[i].tid == tid && m->threads[i].first_tsc <= tsc && tsc <= m->threads[i].last_tsc)
            return i;
    return SIZE_MAX;
}

/* intervals: walk each interval the path is of; their summed length. */
static uint64_t intervals(struct p_state *ps)
{
    struct wr_model *m = ps->m;
    struct wr_crit *c = &m->crit;
    uint64_t total = 0;
    if (!c->mark) {
        size_t th = target(m);
        struct wr_thread *t = &m->threads[th];
        c->tid = t->tid;
        if (t->last_tsc > t->first_tsc) {
            walk(ps, th, t->last_tsc, t->first_tsc);
            total = t->last_tsc - t->first_tsc, c->intervals = 1;
        }
        return total;
    }
    for (size_t i = 0; i < m->nmarks && !ps->oom; i++) {
        const struct wr_mark *k = &m->marks[i];
        if (k->kind != LW_REC_MARK || strcmp(k->name, c->mark))
            continue;
        size_t th = thread_at(m, k->tid, k->tsc);
        if (th == SIZE_MAX)
            continue;
        uint64_t e = m->threads[th].last_tsc;
        for (size_t j = i + 1; j < m->nmarks; j++) /* marks are sorted by stamp */
            if (m->marks[j].kind == LW_REC_MARK && m->marks[j].tid == k->tid && m->marks[j].tsc > k->tsc) {
                e = m->marks[j].tsc < e ? m->marks[j].tsc : e;
                break;
            }
        if (e <= k->tsc)
            continue;
        c->tid = k->tid;
        walk(ps, th, e, k->tsc);
        total += e - k->tsc, c->intervals++;
    }
    return total;
}

/* alone: whether the thread of tid made every call of the model. */
static int alone(const struct wr_model *m, uint32_t tid)
{
    for (size_t i = 0; i < m->nthreads; i++)
        if (m->threads[i].calls && m->threads[i].tid != tid)
            return 0;
    return 1;
}

/* own_time: the path of a thread's life that never left it, when it made
 * every call: its sites' calls and the time before them, and the time
 * after its last call, as charge_thread would read them (without reading
 * the trace again). */
static void own_time(struct p_state *ps)
{
    const struct wr_model *m = ps->m;
    const struct wr_thread *t = NULL;
    for (size_t i = 0; i < m->nthreads && !t; i++)
        if (m->threads[i].tid == m->crit.tid)
            t = &m->threads[i];
    if (!t)
        return;
    for (const struct wr_site *s = m->sites; s; s = s->hh.next) {
        charge(ps, t->tid, s->stack, s->func, s->total_ticks);
        charge(ps, t->tid, s->stack, P_CPU, s->gap_ticks);
    }
    uint64_t from = t->call_end ? t->call_end : t->first_tsc;
    if (t->last_tsc > from)
        charge(ps, t->tid, t->last_stack, P_CPU, t->last_tsc - from);
}

static void free_state(struct p_state *ps)
{
    free(ps->owned);
    for (size_t i = 0; ps->th && i < ps->m->nthreads; i++)
        free(ps->th[i].p);
    free(ps->th);
    struct p_entry *e, *et;
    HASH_ITER(hh, ps->entries, e, et)
    {
        HASH_DEL(ps->entries, e);
        free(e);
    }
}

int wr_crit_path(struct wr_model *m, int all)
{
    struct wr_crit *c = &m->crit;
    if (c->done == 2 || !c->in || !m->nthreads)
        return 0;
    struct p_state ps = {.m = m, .in = c->in, .steps = 64 + 2 * m->nthreads + 2 * c->in->jumps};
    if (!(ps.th = calloc(m->nthreads, sizeof *ps.th)))
        return -1;
    c->intervals = 0;
    uint64_t total = intervals(&ps);
    c->ns = wr_model_ns(m, total);
    if (!all && !ps.left && !c->mark && !m->filter && !ps.oom) { /* its own time: not shown */
        c->threads = 1;
        free_state(&ps);
        return 0;
    }
    if (!ps.left && !c->mark && alone(m, c->tid))
        own_time(&ps);
    else
        for (size_t i = 0; i < m->nthreads && !ps.oom; i++)
            charge_thread(&ps, i);
    if (!ps.oom)
        results(&ps);
    free_state(&ps);
    c->done = ps.oom ? 0 : 2;
    if (c->done == 2) { /* the path is made once: its input is of no more use */
        wr_crit_in_free(c->in);
        c->in = NULL;
    }
    return ps.oom ? -1 : 0;
}
