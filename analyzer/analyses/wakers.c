/* wakers.c: who ended each wait, and what the time was spent on
 * (doc/wakers.md). Each releasing call (unlock, condvar signal, sem_post,
 * a write on a pipe, socketpair, eventfd or socket end, a thread's end) is
 * remembered on its object; each wait takes the latest release of its
 * object by another thread inside it as its waker. The wait's time is then
 * handed on to what the waker's thread did meanwhile, through the waker's
 * own waits, down to CPU work or a wait nothing in the process ended.
 *
 * Memory is bounded per thread and per object, not per record: a thread
 * keeps its last WK_RING calls (more while all threads keep few: wakers.h),
 * an object its last WK_RELS releases. A
 * chain that reaches past what a thread kept is charged to "unknown". */
#include <stdlib.h>
#include <string.h>

#include "analyses/wakers.h"
#include "model/merge.h"

static struct wr_wk_thread *thread_of(struct wr_wk_state *st, size_t th)
{
    if (th >= st->nth) {
        size_t n = th + 16;
        struct wr_wk_thread **a = realloc(st->th, n * sizeof *a);
        if (!a)
            return NULL;
        memset(a + st->nth, 0, (n - st->nth) * sizeof *a);
        st->th = a, st->nth = n;
    }
    if (!st->th[th] && (st->th[th] = calloc(1, sizeof *st->th[th])) != NULL) {
        struct wr_wk_thread *t = st->th[th];
        if (!(t->ring = calloc(WK_RING, sizeof *t->ring))) {
            free(t);
            return st->th[th] = NULL;
        }
        t->cap = WK_RING;
        st->segs += WK_RING;
    }
    return st->th[th];
}

static struct wr_wk_obj *obj(struct wr_wk_state *st, uint64_t k)
{
    struct wr_wk_obj *o = wr_wk_obj_find(st, k);
    if (!o) {
        if (!(o = calloc(1, sizeof *o))) {
            st->oom = 1;
            return NULL;
        }
        o->key = k;
        HASH_ADD(hh, st->objs, key, sizeof o->key, o);
    }
    return o;
}

/* offer: release r to wait g. A wait that takes no signal or post for
 * itself keeps the latest release offered (doc/wakers.md: the latest k
 * wins), whatever order the walk offers them in: a poll's releases come
 * from several objects, and writes reach the walk at their return. */
static void offer(struct wr_wk_seg *g, const struct wr_wk_rel *r)
{
    if (!g->consume && g->wth >= 0 && r->k < g->wk)
        return;
    g->wth = (int32_t)r->th, g->wk = r->k, g->wstack = r->stack, g->wfunc = r->func;
}

/* release: remember call ev of thread th as a release of object k, and
 * offer it to the pending waits on k that it lies in: the latest release
 * wins; a signal or post goes to one wait, the one that started first
 * among those without a waker yet (glibc wakes the oldest waiter). */
static void release(struct wr_wk_state *st, uint64_t k, size_t th, const struct wr_event *ev)
{
    struct wr_wk_obj *o = obj(st, k);
    if (!o)
        return;
    struct wr_wk_rel *r = &o->rel[o->next++ % WK_RELS];
    *r = (struct wr_wk_rel){ev->tsc, (uint32_t)th, ev->stack, (uint16_t)ev->kind, 0};
    int one = ev->kind == LW_F_pthread_cond_signal || ev->kind == LW_F_sem_post;
    struct wr_wk_seg *first = NULL;
    for (size_t i = 0; i < WK_RELS && i < o->wnext; i++) {
        size_t wt = o->waiter[i].th;
        struct wr_wk_seg *g = wt < st->nth && st->th[wt] && o->waiter[i].slot < st->th[wt]->cap
                                  ? &st->th[wt]->ring[o->waiter[i].slot]
                                  : NULL;
        if (!g || !g->pend || g->s != o->waiter[i].s || wt == th || r->k < g->s || r->k > g->e)
            continue;
        if (!one || !g->consume)
            offer(g, r);
        else if (g->wth < 0 && (!first || g->s < first->s))
            first = g;
    }
    if (first)
        offer(first, r), r->used = 1;
}

/* find: the latest release of k by another thread than th in [a, b]; a
 * signal or post already given to a wait is not given again when consume. */
static struct wr_wk_rel *find(struct wr_wk_state *st, uint64_t k, size_t th, uint64_t a, uint64_t b, int consume)
{
    struct wr_wk_obj *o = wr_wk_obj_find(st, k);
    struct wr_wk_rel *best = NULL;
    for (size_t i = 0; o && i < WK_RELS && i < o->next; i++) {
        struct wr_wk_rel *r = &o->rel[i];
        if (r->th != th && r->k >= a && r->k <= b && !(consume && r->used) && (!best || r->k > best->k))
            best = r;
    }
    if (best && consume && best->func != LW_F_pthread_cond_broadcast)
        best->used = 1;
    return best;
}

static size_t joined(struct wr_wk_state *st, uint64_t self, uint64_t a, size_t th);

/* edge: a wait of thread u that a release by thread v ended. */
static void edge(struct wr_wk_state *st, size_t u, size_t v, uint64_t ticks)
{
    uint64_t k = (uint64_t)u << 32 | (v & 0xffffffffu);
    struct wr_wk_edge *e;
    HASH_FIND(hh, st->edges, &k, sizeof k, e);
    if (!e) {
        if (!(e = calloc(1, sizeof *e))) {
            st->oom = 1;
            return;
        }
        e->key = k;
        HASH_ADD(hh, st->edges, key, sizeof e->key, e);
    }
    e->ns += wr_model_ns(st->m, ticks), e->waits++;
}

static int cmp_loop(const void *a, const void *b)
{
    const struct wr_wake_loop *x = a, *y = b;
    return (x->ns < y->ns) - (x->ns > y->ns);
}

/* loops: the pairs of threads each woken by the other into m, then the
 * edges freed. */
static void loops(struct wr_wk_state *st)
{
    struct wr_model *m = st->m;
    struct wr_wk_edge *e, *et, *r;
    HASH_ITER(hh, st->edges, e, et)
    {
        uint64_t u = e->key >> 32, v = e->key & 0xffffffffu, rk = v << 32 | u;
        HASH_FIND(hh, st->edges, &rk, sizeof rk, r);
        if (u < v && r && u < m->nthreads && v < m->nthreads) {
            struct wr_wake_loop *a = realloc(m->wake_loops, (m->nwake_loops + 1) * sizeof *a);
            if (!a) {
                st->oom = 1;
                break;
            }
            m->wake_loops = a;
            a[m->nwake_loops++] =
                (struct wr_wake_loop){{m->threads[u].tid, m->threads[v].tid}, e->ns + r->ns, e->waits + r->waits};
        }
    }
    HASH_ITER(hh, st->edges, e, et)
    {
        HASH_DEL(st->edges, e);
        free(e);
    }
    if (m->nwake_loops)
        qsort(m->wake_loops, m->nwake_loops, sizeof *m->wake_loops, cmp_loop);
}

/* resolve: match pending wait w against what the walk has seen. */
static void resolve(struct wr_wk_state *st, const struct wr_wk_wait *w)
{
    struct wr_wk_thread *t = st->th[w->th];
    struct wr_wk_seg *g = &t->ring[w->slot];
    if (w->lag && g->wth < 0 && w->b < g->e + w->lag) {
        /* no waker yet: wait for a writer still in its write (most return
         * within WK_LAG_NS / 100), then for one preempted before its return */
        struct wr_wk_wait later = *w;
        later.b = g->e + (w->b == g->e ? w->lag / 100 : w->lag);
        if (wr_wk_push(st, &later) == 0)
            return;
    }
    uint64_t pe;
    if (!w->barrier && w->k && !w->deferred && g->wth >= 0 &&
        (pe = wr_wk_waker_pending(st, (size_t)g->wth, g->s, g->wk)) != 0) {
        /* its waker has a wait of its own still undecided: explain this one
         * once that is final, at most lag past its end */
        struct wr_wk_wait later = *w;
        later.deferred = 1;
        later.b = pe + st->lag >= pe && pe + st->lag + 1 > w->b ? pe + st->lag + 1 : w->b + 1;
        if (wr_wk_push(st, &later) == 0)
            return;
    }
    g->pend = 0;
    if (w->barrier) {
        wr_wk_barrier(st, w, g);
        return;
    }
    if (!w->k) { /* a join: the joined thread's end */
        size_t j = joined(st, w->self, g->e, w->th);
        struct wr_wk_thread *u = j == SIZE_MAX ? NULL : st->th[j];
        if (u && u->ended && u->end >= g->s && u->end <= g->e)
            wr_wk_woken(st, w->th, g, w->site, j, u->end, u->n ? wr_wk_newest(u, 0)->stack : 0, 0);
        return;
    }
    if (g->wth >= 0) {
        wr_wk_woken(st, w->th, g, w->site, (size_t)g->wth, g->wk, g->wstack, g->wfunc);
        edge(st, w->th, (size_t)g->wth, g->e - g->s);
    } else if (w->label && wr_model_ns(st->m, g->e - g->s) >= WR_CONTENDED_NS)
        wr_wk_alone(st, w->th, g, w->site, w->label);
}

/* pop: resolve the pending wait that ends first. */
static void pop(struct wr_wk_state *st)
{
    struct wr_wk_hent *h = st->heap;
    uint32_t top = h[0].slot;
    __builtin_prefetch(&st->pool[top]); /* read once the heap is sifted */
    size_t n = --st->nheap, i = 0;
    if (n) {
        struct wr_wk_hent last = h[n];
        for (;;) {
            size_t c = 2 * i + 1;
            if (c >= n)
                break;
            c += c + 1 < n && h[c + 1].b < h[c].b; /* the smaller child, without a branch to mispredict */
            if (h[c].b >= last.b)
                break;
            h[i] = h[c], i = c;
        }
        h[i] = last;
    }
    struct wr_wk_wait w = st->pool[top];
    st->pool[top].slot = st->freeslot, st->freeslot = top;
    resolve(st, &w);
}

/* later_any: match wait g of thread th at site against the releases of
 * any of the nk objects keys (a poll: one per fd it found ready; nk 0: a
 * join of pthread_t self) once the walk is lag ticks past its end. */
static void later_any(struct wr_wk_state *st, size_t th, struct wr_wk_thread *t, struct wr_wk_seg *g,
                      struct wr_site *site, const uint64_t *keys, size_t nk, int consume, const char *label,
                      uint64_t self, uint64_t lag)
{
    struct wr_wk_wait w = {g->e, nk ? keys[0] : 0, self, th, (uint32_t)(g - t->ring), consume, 0, label, site, lag, 0};
    g->consume = (uint8_t)consume;
    for (size_t i = 0; i < nk; i++) { /* the releases seen already, then those still to come */
        struct wr_wk_rel *r = find(st, keys[i], th, g->s, g->e, consume);
        if (r)
            offer(g, r);
        struct wr_wk_obj *o = obj(st, keys[i]);
        if (!o)
            return;
        uint32_t n = o->wnext++ % WK_RELS;
        o->waiter[n].th = (uint32_t)th, o->waiter[n].slot = w.slot, o->waiter[n].s = g->s;
    }
    if (wr_wk_push(st, &w) == 0)
        g->pend = 1;
}

/* later: later_any of the one object k (0: a join of pthread_t self). */
static void later(struct wr_wk_state *st, size_t th, struct wr_wk_thread *t, struct wr_wk_seg *g, struct wr_site *site,
                  uint64_t k, int consume, const char *label, uint64_t self, uint64_t lag)
{
    later_any(st, th, t, g, site, &k, k != 0, consume, label, self, lag);
}

int wr_wk_push(struct wr_wk_state *st, const struct wr_wk_wait *w)
{
    if (st->nheap == st->capheap) { /* the pool grows with the heap: a slot is free or unused */
        size_t cap = st->capheap ? 2 * st->capheap : 64;
        struct wr_wk_hent *a = cap <= UINT32_MAX ? realloc(st->heap, cap * sizeof *a) : NULL;
        if (a)
            st->heap = a;
        struct wr_wk_wait *p = a ? realloc(st->pool, cap * sizeof *p) : NULL;
        if (!p) {
            st->oom = 1;
            return -1;
        }
        st->pool = p, st->capheap = cap;
    }
    uint32_t slot = st->freeslot;
    if (slot != UINT32_MAX)
        st->freeslot = st->pool[slot].slot;
    else
        slot = st->npool++;
    st->pool[slot] = *w;
    size_t i = st->nheap++;
    while (i && st->heap[(i - 1) / 2].b > w->b)
        st->heap[i] = st->heap[(i - 1) / 2], i = (i - 1) / 2;
    st->heap[i] = (struct wr_wk_hent){w->b, slot};
    return 0;
}

/* poll_wait: a poll, select or epoll wait (call ev, g) of thread th at
 * site: when it returned fds ready for reading whose identities are known,
 * it waits, like a read, for a write or send on the other end of any of
 * them or that end's close, or for a listening socket a connect to its
 * address (doc/wakers.md); without such a release in the process it is
 * labelled `peer` when one of them is a socket. Without any known fd it
 * is labelled at once. */
static void poll_wait(struct wr_wk_state *st, size_t th, struct wr_wk_thread *t, struct wr_wk_seg *g,
                      struct wr_site *site, const struct wr_event *ev)
{
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    uint64_t last = 0, t0, dur, nfds, tmo, keys[2 * LW_READY_MAX];
    uint32_t stack;
    int64_t ret;
    struct lw_ready r;
    size_t nk = 0;
    int peer = 0;
    if (ev->ret > 0 && lw_dec_call(&p, e, &last, &stack, &t0, &dur) && lw_dec_select(&p, e, &nfds, &ret, &tmo) &&
        lw_dec_ready(&p, e, &r))
        for (uint64_t i = 0; i < r.n; i++) {
            int64_t fd = wr_wk_ready_fd(st, r.epfd, r.v[i]);
            struct wr_wk_fd *d = fd >= 0 ? wr_wk_fd_of(st, (uint64_t)fd) : NULL;
            if (!d)
                continue;
            peer |= d->type == LW_FD_SOCKET || d->type == LW_FD_LISTEN;
            keys[nk++] = d->rkey;
            if (d->type != LW_FD_EVENTFD && d->type != LW_FD_LISTEN)
                keys[nk++] = wr_wk_key(K_HUP, d->rkey);
        }
    if (nk)
        later_any(st, th, t, g, site, keys, nk, 0, peer ? "peer" : "outside", 0, st->lag);
    else if (wr_model_ns(st->m, ev->dur) >= WR_CONTENDED_NS)
        wr_wk_alone(st, th, g, site, ev->ret == 0 ? "timeout" : "outside");
}

/* thread_rec: a THREAD record of thread th: a birth's pthread_t and
 * creator, or the thread's end and its page faults (into the model's
 * thread table). */
static void thread_rec(struct wr_wk_state *st, size_t th, struct wr_wk_thread *t, const struct wr_event *ev)
{
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    uint64_t tid, fl, nlen, a, b;
    int64_t d;
    if (!(lw_get_uv(&p, e, &tid) && lw_get_uv(&p, e, &fl) && lw_get_sv(&p, e, &d) && lw_get_uv(&p, e, &nlen) &&
          nlen <= (uint64_t)(e - p)))
        return;
    p += nlen;
    if (ev->aux & LW_THR_END) {
        t->end = ev->tsc, t->ended = 1;
        if ((ev->aux & LW_THR_FAULTS) && th < st->m->nthreads && lw_get_uv(&p, e, &a) && lw_get_uv(&p, e, &b)) {
            struct wr_thread *mt = &st->m->threads[th];
            mt->minflt = a, mt->majflt = b, mt->faults = 1;
        }
    } else if ((ev->aux & LW_THR_BORN) && lw_get_uv(&p, e, &a)) {
        t->self = a, t->birth = ev->tsc, t->born = 1;
        t->creator = lw_get_uv(&p, e, &b) && b <= UINT32_MAX ? (uint32_t)b : 0;
    }
}

/* joined: the thread a join of pthread_t self returning at b waited for:
 * the latest birth of that pthread_t before b (values are reused once a
 * thread is joined; a thread may be born after its join started). */
static size_t joined(struct wr_wk_state *st, uint64_t self, uint64_t b, size_t th)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < st->nth; i++) {
        struct wr_wk_thread *t = st->th[i];
        if (t && i != th && t->born && t->self == self && t->birth <= b &&
            (best == SIZE_MAX || t->birth > st->th[best]->birth))
            best = i;
    }
    return best;
}

static int is_write(unsigned f)
{
    switch (f) {
    case LW_F_write:
    case LW_F_pwrite:
    case LW_F_writev:
    case LW_F_pwritev:
    case LW_F_pwritev2:
    case LW_F_send:
    case LW_F_sendto:
    case LW_F_sendmsg:
    case LW_F_eventfd_write:
        return 1;
    }
    return 0;
}

static int is_read(unsigned f)
{
    switch (f) {
    case LW_F_read:
    case LW_F_pread:
    case LW_F_readv:
    case LW_F_preadv:
    case LW_F_preadv2:
    case LW_F_recv:
    case LW_F_recvfrom:
    case LW_F_recvmsg:
    case LW_F_eventfd_read:
        return 1;
    }
    return 0;
}

/* call: one call of thread th: kept for the causes, remembered as a
 * release, or matched as a wait. */
static void call(struct wr_wk_state *st, size_t th, struct wr_wk_thread *t, struct wr_site *site,
                 const struct wr_event *ev, const struct lw_func_info *fi)
{
    unsigned f = ev->kind;
    if (t->n == t->cap && t->head == 0 && t->cap < WK_RING_MAX && st->segs + t->cap <= WK_SEGS) {
        struct wr_wk_seg *r = realloc(t->ring, 2 * (size_t)t->cap * sizeof *r);
        if (r) { /* the oldest call stays in slot 0: every slot keeps its index */
            memset(r + t->cap, 0, t->cap * sizeof *r);
            st->segs += t->cap;
            t->ring = r, t->head = t->cap, t->cap *= 2;
        }
    }
    struct wr_wk_seg *g = &t->ring[t->head];
    while (g->pend && st->nheap) /* about to be forgotten: match it (and what ends before it) now */
        pop(st);
    if (t->n && ev->tsc < wr_wk_newest(t, 0)->s)
        t->unordered = 1;
    *g = (struct wr_wk_seg){.s = ev->tsc, .e = ev->tsc + ev->dur, .stack = ev->stack, .wth = -1, .func = (uint16_t)f};
    t->head = (t->head + 1) & (t->cap - 1);
    t->n += t->n < t->cap;
    int contended = ev->fd == 1 ? (ev->aux & LW_LOCK_CONTENDED) != 0 : wr_model_ns(st->m, ev->dur) > WR_CONTENDED_NS;
    struct wr_wk_fd *d;
    switch (f) {
    case LW_F_pthread_mutex_unlock:
    case LW_F_pthread_rwlock_unlock:
    case LW_F_pthread_spin_unlock:
        release(st, wr_wk_key(K_MUTEX, ev->ptr), th, ev);
        return;
    case LW_F_pthread_cond_signal:
    case LW_F_pthread_cond_broadcast:
        release(st, wr_wk_key(K_COND, ev->ptr), th, ev);
        return;
    case LW_F_sem_post:
        release(st, wr_wk_key(K_SEM, ev->ptr), th, ev);
        return;
    case LW_F_pthread_cond_wait:
    case LW_F_pthread_cond_timedwait:
    case LW_F_pthread_cond_clockwait:
        if (site)
            later(st, th, t, g, site, wr_wk_key(K_COND, ev->ptr), 1, ev->err ? "timeout" : "spurious", 0, st->lag);
        return;
    }
    if (!site)
        return;
    if (fi->family == LW_FAM_LOCK && f != LW_F_pthread_mutex_trylock && f != LW_F_pthread_rwlock_tryrdlock &&
        f != LW_F_pthread_rwlock_trywrlock && f != LW_F_pthread_spin_trylock) {
        if (contended && !ev->err)
            later(st, th, t, g, site, wr_wk_key(K_MUTEX, ev->ptr), 0, "outside", 0, st->lag);
    } else if (f == LW_F_sem_wait || f == LW_F_sem_timedwait || f == LW_F_sem_clockwait) {
        later(st, th, t, g, site, wr_wk_key(K_SEM, ev->ptr), 1, ev->err ? "timeout" : "outside", 0, st->lag);
    } else if (f == LW_F_pthread_barrier_wait) {
        struct wr_wk_obj *o = obj(st, wr_wk_key(K_BAR, ev->ptr));
        if (o)
            wr_wk_arrive(st, o, th, t, g, site, ev);
    } else if (f == LW_F_pthread_join) {
        later(st, th, t, g, site, 0, 0, NULL, ev->ptr, 0);
    } else if (fi->family == LW_FAM_SLEEP) {
        wr_wk_alone(st, th, g, site, "sleep");
    } else if (fi->schema == LW_S_SELECT) {
        poll_wait(st, th, t, g, site, ev);
    } else if (f == LW_F_fsync || f == LW_F_fdatasync || f == LW_F_sync_file_range) {
        wr_wk_alone(st, th, g, site, "file");
    } else if (is_write(f) && ev->ret >= (f == LW_F_eventfd_write ? 0 : 1) && (d = wr_wk_fd_of(st, ev->fd)) &&
               d->wkey) {
        release(st, d->wkey, th, ev);
    } else if (f == LW_F_connect && ev->ret == 0 && (d = wr_wk_fd_of(st, ev->fd)) && d->ckey) {
        release(st, d->ckey, th, ev);
    } else if (is_read(f) && ev->ret >= (f == LW_F_eventfd_read ? 0 : 1)) {
        d = wr_wk_fd_of(st, ev->fd);
        later(st, th, t, g, site, d ? d->rkey : wr_wk_key(K_PIPE, 0), 0,
              !d                        ? "file"
              : d->type == LW_FD_SOCKET ? "peer"
                                        : "outside",
              0, st->lag);
    } else if (f == LW_F_close && ev->ret == 0 && (d = wr_wk_fd_of(st, ev->fd))) {
        if (d->type != LW_FD_EVENTFD && d->type != LW_FD_LISTEN) /* the other end's polls return ready (hang-up) */
            release(st, wr_wk_key(K_HUP, d->wkey), th, ev);
        wr_wk_fd_close(st, d);
    }
}

static int wakers_wants(unsigned kind)
{
    const struct lw_func_info *fi = lw_func_info_of(kind);
    return kind == LW_REC_THREAD || kind == LW_REC_FDID || kind == LW_REC_EPCTL || (fi && fi->family != LW_FAM_MALLOC);
}

static void *wakers_begin(struct wr_model *m)
{
    struct wr_wk_state *st = calloc(1, sizeof *st);
    if (st) {
        st->m = m;
        st->freeslot = UINT32_MAX;
        /* a damaged trace's rate can make the lag too large for 64 bits:
         * then it is the largest, not an undefined conversion */
        double lag = m->ns_per_tick > 0 ? WK_LAG_NS / m->ns_per_tick : 100000000;
        st->lag = lag < 1.8e19 ? (uint64_t)lag : UINT64_MAX;
    }
    return st;
}

static int wakers_event(void *state, size_t th, struct wr_site *site, const struct wr_event *ev)
{
    struct wr_wk_state *st = state;
    if (ev->kind == LW_REC_FDID || ev->kind == LW_REC_EPCTL) {
        if (ev->kind == LW_REC_FDID)
            wr_wk_fdid(st, ev);
        else
            wr_wk_epctl(st, ev);
        return st->oom ? -1 : 0;
    }
    struct wr_wk_thread *t = thread_of(st, th);
    if (!t)
        return -1;
    if (ev->kind != LW_REC_FDID) {
        uint64_t now = wr_timeline_key(ev);
        while (st->nheap && st->heap[0].b <= now)
            pop(st);
    }
    const struct lw_func_info *fi = lw_func_info_of(ev->kind);
    if (ev->kind == LW_REC_THREAD)
        thread_rec(st, th, t, ev);
    else if (fi)
        call(st, th, t, site, ev, fi);
    return st->oom ? -1 : 0;
}

static int cmp_wake(const void *a, const void *b)
{
    const struct wr_wake *x = a, *y = b;
    return x->ns != y->ns ? (x->ns > y->ns ? -1 : 1) : (x->tid > y->tid) - (x->tid < y->tid);
}

static int wakers_finish(void *state)
{
    struct wr_wk_state *st = state;
    int oom = st->oom;
    while (st->nheap)
        pop(st);
    free(st->heap);
    free(st->pool);
    loops(st);
    if (wr_wk_keep_path(st) != 0)
        oom = 1;
    for (struct wr_site *s = st->m->sites; s; s = s->hh.next) {
        if (s->nwakers)
            qsort(s->wakers, s->nwakers, sizeof *s->wakers, cmp_wake);
        if (s->ncauses)
            qsort(s->causes, s->ncauses, sizeof *s->causes, cmp_wake);
    }
    for (size_t i = 0; i < st->nth; i++)
        if (st->th[i])
            free(st->th[i]->jumps), free(st->th[i]->ring), free(st->th[i]);
    free(st->th);
    struct wr_wk_obj *o, *ot;
    HASH_ITER(hh, st->objs, o, ot)
    {
        HASH_DEL(st->objs, o);
        free(o->arr);
        free(o);
    }
    struct wr_wk_fd *d, *dt;
    HASH_ITER(hh, st->fds, d, dt)
    {
        HASH_DEL(st->fds, d);
        free(d);
    }
    struct wr_wk_ep *x, *xt;
    HASH_CLEAR(hd, st->eps);
    HASH_ITER(hf, st->epfds, x, xt)
    {
        HASH_DELETE(hf, st->epfds, x);
        free(x);
    }
    oom |= st->oom;
    free(st);
    return oom ? -1 : 0;
}

static void wakers_release(struct wr_model *m)
{
    free(m->wake_loops);
    wr_wk_links_release(m);
    m->wake_loops = NULL;
    m->nwake_loops = 0;
    wr_crit_free(m);
    for (struct wr_site *s = m->sites; s; s = s->hh.next) {
        free(s->wakers), free(s->causes);
        s->wakers = s->causes = NULL;
        s->nwakers = s->ncauses = 0;
    }
}

const struct wr_analysis wr_wakers_analysis = {"wakers",     wakers_wants,  wakers_begin,
                                               wakers_event, wakers_finish, wakers_release};
