/* stack.c: call stacks as small ids. A stack is captured with libunwind,
 * stripped of libwait's own frames, and deduplicated twice: a thread-local
 * direct-mapped cache (no lock), then a process-wide uthash table under a
 * spinlock taken only on a local miss. Each distinct stack is written once,
 * as a LW_REC_STACK record in the stream of the thread that found it. */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <string.h>
#include <sys/mman.h>

#include "lw_internal.h"

/* Nothing done under lw_stack_spin may call the program's allocator: it can
 * take locks of its own (jemalloc does), and the thread holding one of them
 * may be the one waiting for lw_stack_spin (redis deadlocked so). uthash's
 * tables come from mmap directly and the stack nodes from mmap'd slabs. */
static void *lw_map(size_t n)
{
    void *m = real_mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}
#define uthash_malloc(sz) lw_map(sz)
#define uthash_free(p, sz) real_munmap((p), (sz))
#define HASH_NONFATAL_OOM 1
#include <uthash.h>

struct lw_gstack {
    UT_hash_handle hh;
    uint32_t id, depth;
    uintptr_t frames[]; /* the key: depth frames */
};

#define LW_L1_SIZE 1024
struct lw_l1_ent {
    uint64_t hash;
    const struct lw_gstack *g;
};
struct lw_l1 {
    struct lw_l1_ent ent[LW_L1_SIZE];
};

static struct lw_gstack *lw_gtab;

#define LW_SLAB_SIZE (256 * 1024)
static uint8_t *lw_slab;    /* current slab of stack nodes */
static size_t lw_slab_used; /* bytes of it handed out */

/* lw_node_alloc: n bytes for a stack node, from the current slab or a new
 * one (under lw_stack_spin; never freed, only dropped after a fork). NULL
 * when no memory can be mapped. */
static void *lw_node_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n > LW_SLAB_SIZE)
        return NULL;
    if (!lw_slab || lw_slab_used + n > LW_SLAB_SIZE) {
        uint8_t *m = lw_map(LW_SLAB_SIZE);
        if (!m)
            return NULL;
        lw_slab = m;
        lw_slab_used = 0;
    }
    void *p = lw_slab + lw_slab_used;
    lw_slab_used += n;
    return p;
}
static uint32_t lw_next_id = 1;
static int lw_stack_spin;

void lw_stack_lock(void)
{
    while (__atomic_exchange_n(&lw_stack_spin, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&lw_stack_spin, __ATOMIC_RELAXED))
            __builtin_ia32_pause();
}

void lw_stack_unlock(void) { __atomic_store_n(&lw_stack_spin, 0, __ATOMIC_RELEASE); }

/* The fork gate. libunwind and the loader (dl_iterate_phdr) keep locks of
 * their own; a fork child inherits them held if another thread was inside
 * at the fork, and its first unwind then waits forever. So the unwind path
 * runs inside the gate, and the fork prepare handler closes the gate and
 * waits until nobody is inside. Never nest lw_gate_enter. */
static int lw_gate_closed, lw_gate_inside;
static LW_TLS int lw_gate_mine; /* this thread closed the gate, or is inside */

void lw_gate_enter(void)
{
    if (lw_gate_mine) /* a signal handler of the closer, or of an insider */
        return;
    for (;;) {
        while (__atomic_load_n(&lw_gate_closed, __ATOMIC_SEQ_CST))
            __builtin_ia32_pause();
        __atomic_fetch_add(&lw_gate_inside, 1, __ATOMIC_SEQ_CST);
        if (!__atomic_load_n(&lw_gate_closed, __ATOMIC_SEQ_CST))
            break;
        __atomic_fetch_sub(&lw_gate_inside, 1, __ATOMIC_SEQ_CST);
    }
    lw_gate_mine = 1;
    lw_own_window = 1;
}

void lw_gate_leave(void)
{
    if (lw_gate_mine != 1)
        return;
    lw_gate_mine = 0;
    lw_own_window = 0;
    __atomic_fetch_sub(&lw_gate_inside, 1, __ATOMIC_SEQ_CST);
}

/* lw_gate_close: (fork prepare) wait until no other thread is inside. */
void lw_gate_close(void)
{
    int mine = lw_gate_mine == 1;
    lw_gate_mine = 2;
    __atomic_store_n(&lw_gate_closed, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&lw_gate_inside, __ATOMIC_SEQ_CST) > mine)
        __builtin_ia32_pause();
    lw_gate_mine = mine ? 1 : 2;
}

/* lw_gate_open: (fork parent and child) let threads in again. In the child
 * only the forking thread exists. */
void lw_gate_open(int child)
{
    int mine = lw_gate_mine == 1;
    if (child)
        __atomic_store_n(&lw_gate_inside, mine, __ATOMIC_SEQ_CST);
    lw_gate_mine = mine;
    __atomic_store_n(&lw_gate_closed, 0, __ATOMIC_SEQ_CST);
}

/* lw_stack_init: ask libunwind for its per-thread cache. */
void lw_stack_init(void)
{
    lw_own_window = 1; /* libunwind may make its pipe now */
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    lw_own_window = 0;
}

static uint64_t lw_hash(const uintptr_t *f, uint32_t n)
{
    uint64_t h = 0x84222325cbf29ce4ull ^ n;
    for (uint32_t i = 0; i < n; i++) {
        h = (h ^ f[i]) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    return h;
}

/* lw_stack_write: emit the STACK record for g into t's stream. */
static void lw_stack_write(struct lw_thread *t, const struct lw_gstack *g)
{
    uint8_t body[(2 + LW_MAX_DEPTH) * LW_VARINT_MAX], *p = body;
    p = lw_put_uv(p, g->id);
    p = lw_put_uv(p, g->depth);
    uintptr_t prev = 0;
    for (uint32_t i = 0; i < g->depth; i++) {
        p = lw_put_sv(p, (int64_t)(g->frames[i] - prev));
        prev = g->frames[i];
    }
    lw_writer_meta(t, LW_REC_STACK, body, (size_t)(p - body));
}

/* lw_stack_global: find or add frames in the process table (slow path).
 * NULL when memory runs out. */
static const struct lw_gstack *lw_stack_global(struct lw_thread *t, const uintptr_t *f, uint32_t n)
{
    struct lw_gstack *g;
    size_t klen = n * sizeof *f;
    lw_stack_lock();
    HASH_FIND(hh, lw_gtab, f, klen, g);
    if (!g) {
        g = lw_node_alloc(sizeof *g + klen);
        if (g) {
            g->id = lw_next_id++;
            g->depth = n;
            memcpy(g->frames, f, klen);
            HASH_ADD_KEYPTR(hh, lw_gtab, g->frames, klen, g);
            lw_stack_write(t, g);
            t->st.stacks++;
        }
    }
    lw_stack_unlock();
    return g;
}

/* The fast cache. Keyed by the program's return address out of the wrapper
 * and the stack pointer it returns to (cfa). On a hit, every frame of the
 * cached stack is verified by reloading its saved return address from its
 * slot on the live stack, at the offset from cfa found by the full unwind.
 * Same key and all slots equal means the same chain of frames. The slots lie
 * between cfa and the thread's stack base, which is always mapped.
 * Set-associative: one key (one call site at one depth) is often reached
 * along several chains (an allocator wrapper called from everywhere), so a
 * set holds LW_FAST_WAYS of them, most recently added first. */
#define LW_FAST_SETS  512
#define LW_FAST_WAYS  8
#define LW_FAST_DEPTH 64
struct lw_fast_set {
    uintptr_t ra[LW_FAST_WAYS], cfa[LW_FAST_WAYS];
    const struct lw_gstack *g[LW_FAST_WAYS];
};
struct lw_cache {
    struct lw_l1 l1;
    struct lw_fast_set set[LW_FAST_SETS];
    int32_t off[LW_FAST_SETS][LW_FAST_WAYS][LW_FAST_DEPTH]; /* slot of frame i at cfa + off[i] */
};

/* lw_caller: the return address and cfa of the outermost libwait frame,
 * found by walking our own frame pointers (libwait keeps them). 0 if not
 * found within a few frames. */
static inline int lw_caller(uintptr_t *ra, uintptr_t *cfa)
{
    uintptr_t *fp = __builtin_frame_address(0);
    for (int i = 0; i < 6 && fp; i++) {
        uintptr_t ret = fp[1];
        if (ret < lw_g.self_lo || ret >= lw_g.self_hi) {
            *ra = ret;
            *cfa = (uintptr_t)(fp + 2);
            return 1;
        }
        fp = (uintptr_t *)fp[0];
    }
    return 0;
}

/* lw_unwind: full unwind from the program's frame outwards into f (at most
 * max frames), with each frame's return-address slot relative to cfa in
 * off when they could all be verified (*offok = 1). Returns the depth. */
static uint32_t lw_unwind(uintptr_t cfa, uintptr_t *f, int32_t *off, uint32_t max, int *offok)
{
    unw_context_t uc;
    unw_cursor_t c;
    uint32_t n = 0;
    *offok = cfa != 0 && max <= LW_FAST_DEPTH;
    if (unw_getcontext(&uc) != 0 || unw_init_local(&c, &uc) != 0)
        return 0;
    int started = 0;
    do {
        unw_word_t ip, sp;
        if (unw_get_reg(&c, UNW_REG_IP, &ip) != 0 || unw_get_reg(&c, UNW_REG_SP, &sp) != 0)
            break;
        if (!started && ip >= lw_g.self_lo && ip < lw_g.self_hi)
            continue; /* libwait's own frames */
        if (!started && sp != cfa)
            *offok = 0;
        started = 1;
        f[n] = ip;
        if (*offok) {
            uintptr_t slot = sp - sizeof(uintptr_t);
            int64_t o = (int64_t)slot - (int64_t)cfa;
            if (*(const uintptr_t *)slot != ip || o < -8 || o > (1 << 30))
                *offok = 0;
            else
                off[n] = (int32_t)o;
        }
        n++;
    } while (n < max && unw_step(&c) > 0);
    return n;
}

static inline uint64_t lw_fast_hash(uintptr_t ra, uintptr_t cfa)
{
    uint64_t h = (ra ^ (cfa << 17) ^ (cfa >> 4)) * 0x9e3779b97f4a7c15ull;
    return h >> 55;
}

/* lw_stack_id: id of the calling thread's current stack, from the caller of
 * the wrapped function outwards, at most lw_g.depth frames. 0 if unknown. */
uint32_t lw_stack_id(struct lw_thread *t)
{
    uintptr_t ra = 0, cfa = 0;
    int have = lw_caller(&ra, &cfa);
    if (LW_UNLIKELY(!t->cache)) {
        void *m = real_mmap(NULL, sizeof(struct lw_cache), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        t->cache = m == MAP_FAILED ? NULL : m;
    }
    struct lw_cache *cache = t->cache;
    unsigned si = 0;
    if (LW_LIKELY(have && cache)) {
        si = (unsigned)lw_fast_hash(ra, cfa) & (LW_FAST_SETS - 1);
        const struct lw_fast_set *fs = &cache->set[si];
        for (unsigned w = 0; w < LW_FAST_WAYS; w++) {
            const struct lw_gstack *g = fs->g[w];
            if (fs->ra[w] != ra || fs->cfa[w] != cfa || !g)
                continue;
            const int32_t *off = cache->off[si][w];
            uint32_t i = 0;
            while (i < g->depth && *(const uintptr_t *)(cfa + off[i]) == g->frames[i])
                i++;
            if (i == g->depth) {
                t->st.stack_hits++;
                return g->id;
            }
        }
    }
    uintptr_t f[LW_MAX_DEPTH];
    int32_t off[LW_FAST_DEPTH];
    int offok;
    int saved = errno;
    lw_slow_begin(t);
    lw_gate_enter();
    uint32_t depth = lw_unwind(have ? cfa : 0, f, off, lw_g.depth, &offok);
    t->st.unwinds++;
    uint64_t h = lw_hash(f, depth);
    struct lw_l1_ent *e = cache ? &cache->l1.ent[h & (LW_L1_SIZE - 1)] : NULL;
    const struct lw_gstack *g = NULL;
    if (e && e->g && e->hash == h && e->g->depth == depth && !memcmp(e->g->frames, f, depth * sizeof *f)) {
        g = e->g;
    } else {
        /* the load map must precede the stack; never under our lock (the
         * loader's lock is taken inside, and may be held by our caller) */
        lw_modules_emit(t, 0);
        g = lw_stack_global(t, f, depth);
        if (g && e) {
            e->hash = h;
            e->g = g;
        }
    }
    lw_gate_leave();
    if (g && have && cache && offok) {
        /* newest first: shift the set down one way, dropping the oldest */
        struct lw_fast_set *fs = &cache->set[si];
        memmove(&fs->ra[1], &fs->ra[0], (LW_FAST_WAYS - 1) * sizeof fs->ra[0]);
        memmove(&fs->cfa[1], &fs->cfa[0], (LW_FAST_WAYS - 1) * sizeof fs->cfa[0]);
        memmove(&fs->g[1], &fs->g[0], (LW_FAST_WAYS - 1) * sizeof fs->g[0]);
        memmove(cache->off[si][1], cache->off[si][0], (LW_FAST_WAYS - 1) * sizeof cache->off[si][0]);
        fs->ra[0] = ra;
        fs->cfa[0] = cfa;
        fs->g[0] = g;
        memcpy(cache->off[si][0], off, depth * sizeof *off);
    }
    lw_slow_end(t);
    errno = saved;
    return g ? g->id : 0;
}

/* lw_stack_thread_free: release t's cache. */
void lw_stack_thread_free(struct lw_thread *t)
{
    if (t->cache)
        real_munmap(t->cache, sizeof(struct lw_cache));
    t->cache = NULL;
}

/* lw_stack_reset_after_fork: the child's new file has no stacks yet. */
void lw_stack_reset_after_fork(void)
{
    HASH_CLEAR(hh, lw_gtab); /* the nodes stay in their slabs, unused */
    lw_next_id = 1;
}
