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

#define uthash_malloc(sz) real_malloc(sz)
#define uthash_free(p, sz) real_free(p)
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
static uint32_t lw_next_id = 1;
static int lw_stack_spin;

void lw_stack_lock(void)
{
    while (__atomic_exchange_n(&lw_stack_spin, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&lw_stack_spin, __ATOMIC_RELAXED))
            __builtin_ia32_pause();
}

void lw_stack_unlock(void) { __atomic_store_n(&lw_stack_spin, 0, __ATOMIC_RELEASE); }

/* lw_stack_init: ask libunwind for its per-thread cache. */
void lw_stack_init(void) { unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD); }

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
        g = real_malloc(sizeof *g + klen);
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

/* lw_stack_id: id of the calling thread's current stack, from the caller of
 * the wrapped function outwards, at most lw_g.depth frames. 0 if unknown. */
uint32_t lw_stack_id(struct lw_thread *t)
{
    void *buf[LW_MAX_DEPTH + 8];
    int n = unw_backtrace(buf, (int)lw_g.depth + 8);
    int s = 0;
    while (s < n && (uintptr_t)buf[s] >= lw_g.self_lo && (uintptr_t)buf[s] < lw_g.self_hi)
        s++;
    uint32_t depth = (uint32_t)(n - s);
    if (depth > lw_g.depth)
        depth = lw_g.depth;
    const uintptr_t *f = (const uintptr_t *)(buf + s);
    t->st.unwinds++;
    uint64_t h = lw_hash(f, depth);
    if (LW_UNLIKELY(!t->l1)) {
        void *m = mmap(NULL, sizeof(struct lw_l1), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        t->l1 = m == MAP_FAILED ? NULL : m;
    }
    struct lw_l1_ent *e = t->l1 ? &t->l1->ent[h & (LW_L1_SIZE - 1)] : NULL;
    if (e && e->g && e->hash == h && e->g->depth == depth && !memcmp(e->g->frames, f, depth * sizeof *f)) {
        t->st.stack_hits++;
        return e->g->id;
    }
    int saved = errno;
    /* the load map must precede the stack; never under our lock (the
     * loader's lock is taken inside, and may be held by our caller) */
    lw_modules_emit(t, 0);
    const struct lw_gstack *g = lw_stack_global(t, f, depth);
    errno = saved;
    if (!g)
        return 0;
    if (e) {
        e->hash = h;
        e->g = g;
    }
    return g->id;
}

/* lw_stack_thread_free: release t's cache. */
void lw_stack_thread_free(struct lw_thread *t)
{
    if (t->l1)
        munmap(t->l1, sizeof(struct lw_l1));
    t->l1 = NULL;
}

/* lw_stack_reset_after_fork: the child's new file has no stacks yet. */
void lw_stack_reset_after_fork(void)
{
    struct lw_gstack *g, *tmp;
    HASH_ITER(hh, lw_gtab, g, tmp)
    {
        HASH_DEL(lw_gtab, g);
        real_free(g);
    }
    lw_next_id = 1;
}
