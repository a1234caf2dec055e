/* locks.c: lock holds, contention and holder blame, fed by the timeline
 * (calls of all threads in time order, see analyses.h).
 *
 * The lock family: mutexes, rwlocks (a read hold is per thread, like a
 * mutex's) and spinlocks; condvar waits end and reopen holds (on_cond).
 *
 * Holds: a successful lock, trylock or timedlock opens a hold at its return;
 * the same thread's successful unlock of the same mutex closes it at the
 * unlock's start. Each thread keeps a small table of its open holds (mutex,
 * site, start, depth); relocking a mutex the thread holds (recursive
 * mutexes) deepens the hold instead of opening another, and only the unlock
 * that brings it back to zero closes it. Unlocks with no open hold (locked
 * before tracing began, or by another thread) are counted and ignored, as
 * are holds still open at the end of the trace and holds beyond the table's
 * WR_OPEN_MAX per thread.
 *
 * Contention: with the recorder's LW_LOCK_CONTENDED flag, a lock or
 * timedlock call is contended when the flag says so; records without the
 * flag field fall back to: the call left the CPU, or it lasted longer than
 * WR_CONTENDED_NS. A trylock that found the mutex busy (EBUSY) is contended.
 *
 * Blame: every mutex keeps its last closed holds in a ring (4 entries,
 * doubling up to WR_RING_MAX when a wait reaches past the oldest) plus its
 * open hold. A contended lock/timedlock call [start, return) is charged, hold
 * by hold, the overlap with holds of other threads; the holder's site gets it
 * in the waiter's `holders` (never more than the wait in all: read holds
 * overlap each other). Wait the ring no longer covers is counted as
 * unattributed. Memory: per mutex and per (mutex, site) pair, never per call.
 *
 * Holds whose lock was not recorded: a lock taken before recording began,
 * or under the recorder's lone-thread rule (runtime.h: while the process
 * had one thread) and still held when another thread came to wait for it,
 * opens no hold, and a wait for it finds no holder. Its unlock, unmatched,
 * is kept (the last WR_LOOSE of them); a wait whose time the holds do not
 * explain, and that such an unlock of its mutex by another thread ended (the
 * unlock comes first in the timeline's order: a release by its start, a
 * lock by its return), is charged to the unlock's site up to the unlock, as
 * one hold of the mutex from the wait's start: a lower bound, as where it
 * was locked is not known. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyses/analyses.h"
#include "trace/grow.h"

#define WR_OPEN_MAX 32
#define WR_RING_MIN 4
#define WR_RING_MAX 4096

struct open_hold {
    struct wr_mutex *mu;
    struct wr_site *site;
    uint64_t start;
    uint32_t depth;
};

/* A (mutex list, site) pair's index in the list, as msite found it last:
 * a lock site mostly takes the same few mutexes, and a mutex such as an
 * allocator's may be held from hundreds of sites, too many to scan per
 * call. Lists only grow during the walk, so an index stays right; a hint is
 * checked against the entry before it is used. */
#define WR_MSITE_HINTS 4096 /* a power of two */
struct msite_hint {
    const void *list; /* &mu->held_by or &mu->waited_by */
    const struct wr_site *site;
    size_t i;
};

/* An unlock that matched no hold of its thread (its lock was not recorded). */
#define WR_LOOSE 64
struct loose_unlock {
    uint64_t addr, at;
    struct wr_site *site;
    size_t th;
    int held; /* its hold is counted (once, from the first wait it explained) */
};

struct wr_locks {
    struct wr_model *m;
    struct loose_unlock loose[WR_LOOSE]; /* a ring */
    unsigned nloose, loose_next;
    struct open_hold (*open)[WR_OPEN_MAX]; /* per thread */
    uint8_t *nopen;
    struct wr_mutex *last;
    int oom;
    struct msite_hint hint[WR_MSITE_HINTS];
};

static void *locks_begin(struct wr_model *m)
{
    struct wr_locks *l = calloc(1, sizeof *l);
    size_t n = m->nthreads ? m->nthreads : 1;
    if (!l)
        return NULL;
    l->m = m;
    l->open = calloc(n, sizeof *l->open);
    l->nopen = calloc(n, 1);
    if (!l->open || !l->nopen) {
        free(l->open);
        free(l->nopen);
        free(l);
        return NULL;
    }
    return l;
}

/* lock_kind: the kind of lock function f takes. */
static uint8_t lock_kind(unsigned f)
{
    if (f >= LW_F_pthread_rwlock_rdlock && f <= LW_F_pthread_rwlock_unlock)
        return WR_LK_RWLOCK;
    if (f >= LW_F_pthread_spin_lock && f <= LW_F_pthread_spin_unlock)
        return WR_LK_SPIN;
    return WR_LK_MUTEX;
}

/* mutex_of: the mutex at addr, created on first sight; NULL on OOM. */
static struct wr_mutex *mutex_of(struct wr_locks *l, uint64_t addr)
{
    struct wr_mutex *mu = l->last;
    if (mu && mu->addr == addr)
        return mu;
    HASH_FIND(hh, l->m->mutexes, &addr, sizeof addr, mu);
    if (!mu) {
        mu = calloc(1, sizeof *mu);
        if (!mu)
            return NULL;
        mu->addr = addr;
        HASH_ADD(hh, l->m->mutexes, addr, sizeof mu->addr, mu);
        l->m->nmutexes++;
    }
    return l->last = mu;
}

/* msite: the entry of site in a mutex's list, added when new; NULL on OOM. */
static struct wr_mutex_site *msite(struct wr_locks *l, struct wr_mutex_site **arr, size_t *n, size_t *cap,
                                   struct wr_site *site)
{
    uintptr_t k = (uintptr_t)arr ^ (uintptr_t)site * 0x9e3779b97f4a7c15ull;
    struct msite_hint *h = &l->hint[(k * 0x9e3779b97f4a7c15ull) >> 40 & (WR_MSITE_HINTS - 1)];
    if (h->list == arr && h->site == site && h->i < *n && (*arr)[h->i].site == site)
        return &(*arr)[h->i];
    size_t i = *n;
    while (i-- > 0 && (*arr)[i].site != site)
        ;
    if (i == SIZE_MAX) { /* a site's first time in the list */
        if (wr_grow((void **)arr, cap, *n, sizeof **arr, 4))
            return NULL;
        i = (*n)++;
        memset(&(*arr)[i], 0, sizeof **arr);
        (*arr)[i].site = site;
    }
    *h = (struct msite_hint){arr, site, i};
    return &(*arr)[i];
}

/* msite_add: count one event of ns at site in a mutex's list (count, total,
 * max). 0, or -1 on OOM. */
static int msite_add(struct wr_locks *l, struct wr_mutex_site **arr, size_t *n, size_t *cap, struct wr_site *site,
                     uint64_t ns)
{
    struct wr_mutex_site *e = msite(l, arr, n, cap, site);
    if (!e)
        return -1;
    e->count++;
    e->ns += ns;
    if (ns > e->max_ns)
        e->max_ns = ns;
    return 0;
}

/* charge: ns of the waiter's wait go to holder site h. -1 on OOM. */
static int charge(struct wr_locks *l, struct wr_mutex *mu, struct wr_site *w, struct wr_site *h, uint64_t ns)
{
    struct wr_blame *b = NULL;
    for (size_t i = 0; i < w->nholders; i++)
        if (w->holders[i].site == h)
            b = &w->holders[i];
    if (!b) {
        if (wr_grow((void **)&w->holders, &w->capholders, w->nholders, sizeof *w->holders, 4))
            return -1;
        b = &w->holders[w->nholders++];
        memset(b, 0, sizeof *b);
        b->site = h;
    }
    b->ns += ns;
    b->count++;
    w->blamed_ns += ns;
    mu->blamed_ns += ns;
    struct wr_mutex_site *e = msite(l, &mu->held_by, &mu->nheld, &mu->capheld, h);
    if (!e)
        return -1;
    e->blame_ns += ns;
    return 0;
}

/* overlap: ns of [a0, a1) within [b0, b1) (TSC in, ns out). */
static uint64_t overlap(const struct wr_model *m, uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
    uint64_t s = a0 > b0 ? a0 : b0, e = a1 < b1 ? a1 : b1;
    return e > s ? wr_model_ns(m, e - s) : 0;
}

/* loose_charge: charge the part left (ns) of thread th's wait [ws, we) at
 * site w on mu to the kept unmatched unlocks of other threads that ended it
 * (see the file comment); returns what was charged, or UINT64_MAX on OOM. */
static uint64_t loose_charge(struct wr_locks *l, struct wr_mutex *mu, size_t th, struct wr_site *w, uint64_t ws,
                             uint64_t we, uint64_t left)
{
    struct wr_model *m = l->m;
    uint64_t got = 0;
    for (unsigned i = 0; i < l->nloose && got < left; i++) {
        struct loose_unlock *u = &l->loose[i];
        if (u->addr != mu->addr || u->th == th || u->at < ws || u->at > we)
            continue;
        uint64_t held = wr_model_ns(m, u->at - ws), ns = held < left - got ? held : left - got;
        if (ns && charge(l, mu, w, u->site, ns))
            return UINT64_MAX;
        got += ns;
        if (!u->held) {
            u->held = 1;
            mu->holds++;
            mu->hold_ns += held;
            if (held > mu->hold_max_ns)
                mu->hold_max_ns = held;
            if (msite_add(l, &mu->held_by, &mu->nheld, &mu->capheld, u->site, held))
                return UINT64_MAX;
        }
    }
    return got;
}

/* blame: charge the wait [ws, we) of thread th at site w on mu to the holds
 * of other threads overlapping it. -1 on OOM. */
static int blame(struct wr_locks *l, struct wr_mutex *mu, size_t th, struct wr_site *w, uint64_t ws, uint64_t we)
{
    struct wr_model *m = l->m;
    uint64_t wait = wr_model_ns(m, we - ws), got = 0;
    if (mu->is_open && mu->open.stream != th) {
        uint64_t o = overlap(m, ws, we, mu->open.start, we);
        if (o > wait - got) /* shared (read) holds overlap each other */
            o = wait - got;
        if (o && charge(l, mu, w, mu->open.site, o))
            return -1;
        got += o;
    }
    uint32_t i;
    for (i = 0; i < mu->rn; i++) {
        const struct wr_hold *h = &mu->ring[(mu->rhead + mu->rcap - 1 - i) & (mu->rcap - 1)];
        if (h->end <= ws)
            break;
        uint64_t o = h->stream == th ? 0 : overlap(m, ws, we, h->start, h->end);
        if (o > wait - got)
            o = wait - got;
        if (o && charge(l, mu, w, h->site, o))
            return -1;
        got += o;
    }
    if (mu->rcap && i == mu->rn && mu->rn == mu->rcap && mu->rcap < WR_RING_MAX) {
        /* the wait reaches past the oldest hold kept: keep more from now on */
        struct wr_hold *n = malloc(2 * mu->rcap * sizeof *n);
        if (!n)
            return -1;
        for (uint32_t k = 0; k < mu->rn; k++)
            n[k] = mu->ring[(mu->rhead + k) & (mu->rcap - 1)];
        free(mu->ring);
        mu->ring = n;
        mu->rhead = mu->rn;
        mu->rcap *= 2;
    }
    if (wait > got && l->nloose) {
        uint64_t more = loose_charge(l, mu, th, w, ws, we, wait - got);
        if (more == UINT64_MAX)
            return -1;
        got += more;
    }
    if (wait > got)
        m->unattributed_wait_ns += wait - got;
    return 0;
}

/* ring_push: remember a closed hold. -1 on OOM. */
static int ring_push(struct wr_mutex *mu, const struct wr_hold *h)
{
    if (!mu->ring) {
        mu->ring = malloc(WR_RING_MIN * sizeof *mu->ring);
        if (!mu->ring)
            return -1;
        mu->rcap = WR_RING_MIN;
    }
    mu->ring[mu->rhead] = *h;
    mu->rhead = (mu->rhead + 1) & (mu->rcap - 1); /* rcap: a power of two */
    if (mu->rn < mu->rcap)
        mu->rn++;
    return 0;
}

/* is_try: a lock family call that only tries (EBUSY: the lock was busy). */
static int is_try(unsigned k)
{
    return k == LW_F_pthread_mutex_trylock || k == LW_F_pthread_rwlock_tryrdlock ||
           k == LW_F_pthread_rwlock_trywrlock || k == LW_F_pthread_spin_trylock;
}

/* is_contended: see the file comment. */
static int is_contended(const struct wr_model *m, const struct wr_event *ev)
{
    if (is_try(ev->kind))
        return ev->err == EBUSY || (ev->fd && (ev->aux & LW_LOCK_CONTENDED));
    if (ev->fd)
        return (ev->aux & LW_LOCK_CONTENDED) != 0;
    return m->last_switches > 0 || wr_model_ns(m, ev->dur) > WR_CONTENDED_NS;
}

/* on_lock: lock, trylock or timedlock of thread th at site s. */
static int on_lock(struct wr_locks *l, size_t th, struct wr_site *s, const struct wr_event *ev)
{
    struct wr_model *m = l->m;
    struct wr_mutex *mu = mutex_of(l, ev->ptr);
    if (!mu)
        return -1;
    mu->kind = lock_kind(ev->kind);
    mu->locks++;
    if (is_contended(m, ev)) {
        uint64_t ns = wr_model_ns(m, ev->dur);
        s->contended++;
        mu->contended++;
        mu->wait_ns += ns;
        if (msite_add(l, &mu->waited_by, &mu->nwaited, &mu->capwaited, s, ns))
            return -1;
        if (!is_try(ev->kind) && blame(l, mu, th, s, ev->tsc, ev->tsc + ev->dur))
            return -1;
    }
    if (ev->err)
        return 0;
    struct open_hold *o = l->open[th];
    for (unsigned i = l->nopen[th]; i-- > 0;)
        if (o[i].mu == mu) {
            o[i].depth++; /* recursive: the hold goes on */
            return 0;
        }
    if (l->nopen[th] == WR_OPEN_MAX) {
        m->untracked_holds++;
        return 0;
    }
    o[l->nopen[th]++] = (struct open_hold){mu, s, ev->tsc + ev->dur, 1};
    mu->open = (struct wr_hold){ev->tsc + ev->dur, 0, s, (uint32_t)th};
    mu->is_open = 1;
    return 0;
}

/* close_hold: end thread th's open hold i at stamp at: charge it to the
 * site that opened it and keep it in the mutex's ring. -1 on OOM. */
static int close_hold(struct wr_locks *l, size_t th, unsigned i, uint64_t at)
{
    struct wr_model *m = l->m;
    struct open_hold *o = l->open[th];
    struct open_hold h = o[i];
    memmove(&o[i], &o[i + 1], (l->nopen[th] - i - 1) * sizeof *o);
    l->nopen[th]--;
    uint64_t end = at > h.start ? at : h.start;
    uint64_t ns = wr_model_ns(m, end - h.start);
    struct wr_site *s = h.site;
    struct wr_mutex *mu = h.mu;
    s->holds++;
    s->hold_ns += ns;
    if (ns > s->hold_max_ns)
        s->hold_max_ns = ns;
    mu->holds++;
    mu->hold_ns += ns;
    if (ns > mu->hold_max_ns)
        mu->hold_max_ns = ns;
    if (msite_add(l, &mu->held_by, &mu->nheld, &mu->capheld, s, ns))
        return -1;
    if (mu->is_open && mu->open.stream == th)
        mu->is_open = 0;
    return ring_push(mu, &(struct wr_hold){h.start, end, s, (uint32_t)th});
}

/* find_open: index of thread th's open hold on the mutex at addr, or -1. */
static int find_open(const struct wr_locks *l, size_t th, uint64_t addr)
{
    for (unsigned i = l->nopen[th]; i-- > 0;)
        if (l->open[th][i].mu->addr == addr)
            return (int)i;
    return -1;
}

/* on_unlock: close the hold of thread th (unlocking at site s) on the
 * unlocked mutex. */
static int on_unlock(struct wr_locks *l, size_t th, struct wr_site *s, const struct wr_event *ev)
{
    int i = find_open(l, th, ev->ptr);
    if (i < 0) {
        l->m->unmatched_unlocks++;
        l->loose[l->loose_next] = (struct loose_unlock){ev->ptr, ev->tsc, s, th, 0};
        l->loose_next = (l->loose_next + 1) % WR_LOOSE;
        if (l->nloose < WR_LOOSE)
            l->nloose++;
        return 0;
    }
    if (--l->open[th][i].depth)
        return 0;
    return close_hold(l, th, (unsigned)i, ev->tsc);
}

/* on_cond: a condvar wait of thread th at site s. The wait releases the
 * mutex at its start (the hold open on it ends there) and holds it again
 * when it returns (also on ETIMEDOUT, and when cancelled: ECANCELED; not
 * on EINVAL/EPERM): that new hold is charged to the wait's site, and the
 * next unlock ends it. The timeline hands the wait over at its start. */
static int on_cond(struct wr_locks *l, size_t th, struct wr_site *s, const struct wr_event *ev)
{
    struct wr_mutex *mu = mutex_of(l, ev->old);
    if (!mu)
        return -1;
    uint32_t depth = 1;
    int i = find_open(l, th, ev->old);
    if (i >= 0) {
        depth = l->open[th][i].depth;
        if (close_hold(l, th, (unsigned)i, ev->tsc))
            return -1;
    }
    if (ev->err && ev->err != ETIMEDOUT && ev->err != ECANCELED && ev->err != EOWNERDEAD)
        return 0;
    if (l->nopen[th] == WR_OPEN_MAX) {
        l->m->untracked_holds++;
        return 0;
    }
    l->open[th][l->nopen[th]++] = (struct open_hold){mu, s, ev->tsc + ev->dur, depth};
    mu->open = (struct wr_hold){ev->tsc + ev->dur, 0, s, (uint32_t)th};
    mu->is_open = 1;
    return 0;
}

/* is_unlock: a lock family call that releases a lock. */
static int is_unlock(unsigned k)
{
    return k == LW_F_pthread_mutex_unlock || k == LW_F_pthread_rwlock_unlock || k == LW_F_pthread_spin_unlock;
}

static int locks_event(void *state, size_t th, struct wr_site *site, const struct wr_event *ev)
{
    struct wr_locks *l = state;
    if (lw_func_info_of(ev->kind)->schema == LW_S_COND)
        return on_cond(l, th, site, ev);
    if (is_unlock(ev->kind))
        return ev->err ? 0 : on_unlock(l, th, site, ev);
    return on_lock(l, th, site, ev);
}

static int cmp_ms(const void *a, const void *b)
{
    const struct wr_mutex_site *x = a, *y = b;
    uint64_t kx = x->ns + x->blame_ns, ky = y->ns + y->blame_ns;
    return kx != ky ? (kx > ky ? -1 : 1) : (x->site->key < y->site->key ? -1 : x->site->key > y->site->key);
}

static int cmp_blame(const void *a, const void *b)
{
    const struct wr_blame *x = a, *y = b;
    return x->ns != y->ns ? (x->ns > y->ns ? -1 : 1) : (x->site->key < y->site->key ? -1 : x->site->key > y->site->key);
}

static int cmp_mutex(const void *a, const void *b)
{
    const struct wr_mutex *x = *(struct wr_mutex *const *)a, *y = *(struct wr_mutex *const *)b;
    if (x->blamed_ns != y->blamed_ns)
        return x->blamed_ns > y->blamed_ns ? -1 : 1;
    if (x->wait_ns != y->wait_ns)
        return x->wait_ns > y->wait_ns ? -1 : 1;
    if (x->hold_ns != y->hold_ns)
        return x->hold_ns > y->hold_ns ? -1 : 1;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int locks_finish(void *state)
{
    struct wr_locks *l = state;
    struct wr_model *m = l->m;
    free(l->open);
    free(l->nopen);
    free(l);
    for (struct wr_site *s = m->sites; s; s = s->hh.next)
        if (s->nholders > 1)
            qsort(s->holders, s->nholders, sizeof *s->holders, cmp_blame);
    m->mutex_sorted = malloc((m->nmutexes ? m->nmutexes : 1) * sizeof *m->mutex_sorted);
    if (!m->mutex_sorted)
        return -1;
    size_t i = 0;
    for (struct wr_mutex *mu = m->mutexes; mu; mu = mu->hh.next) {
        m->mutex_sorted[i++] = mu;
        if (mu->nheld > 1)
            qsort(mu->held_by, mu->nheld, sizeof *mu->held_by, cmp_ms);
        if (mu->nwaited > 1)
            qsort(mu->waited_by, mu->nwaited, sizeof *mu->waited_by, cmp_ms);
        free(mu->ring); /* analysis state, not needed any more */
        mu->ring = NULL;
        mu->rn = mu->rcap = mu->rhead = 0;
    }
    if (m->nmutexes > 1)
        qsort(m->mutex_sorted, m->nmutexes, sizeof *m->mutex_sorted, cmp_mutex);
    return 0;
}

static void locks_release(struct wr_model *m)
{
    struct wr_mutex *mu, *tmp;
    HASH_ITER(hh, m->mutexes, mu, tmp)
    {
        HASH_DEL(m->mutexes, mu);
        free(mu->held_by);
        free(mu->waited_by);
        free(mu->ring);
        free(mu);
    }
    free(m->mutex_sorted);
    m->mutex_sorted = NULL;
    m->nmutexes = 0;
}

/* locks_wants: the lock family's calls and the condvar waits (which
 * release and retake their mutex) */
static int locks_wants(unsigned kind)
{
    const struct lw_func_info *fi = lw_func_info_of(kind);
    return fi && (fi->family == LW_FAM_LOCK || fi->schema == LW_S_COND);
}

const struct wr_analysis wr_locks_analysis = {"locks",     locks_wants,  locks_begin,
                                              locks_event, locks_finish, locks_release};
