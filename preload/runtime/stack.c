/* stack.c: call stacks as small ids, and the thread's caches that find a
 * stack's id again without taking it. A call's stack is looked up first in
 * a thread-local fast cache that verifies a stack on the live stack
 * without walking it; on a miss it is taken (stack_walk.c), stripped of
 * libwait's own frames, and looked up in a thread-local table of whole
 * stacks, then in the process-wide table (stack_table.c), which gives a
 * new stack its id and writes it. The miss runs on a stack of libwait's
 * own. */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "runtime/stack.h"

#define LW_L1_SIZE 4096
struct lw_l1_ent {
    uint64_t hash;
    const struct lw_gstack *g;
};
struct lw_l1 {
    struct lw_l1_ent ent[LW_L1_SIZE];
};

/* libwait's own stack. libunwind needs a few kilobytes of stack for a step
 * (its context, cursor and DWARF state), and a new stack's record is built
 * in a buffer there too: more than a program on a small stack (a
 * PTHREAD_STACK_MIN thread, an 8 KiB signal stack, a coroutine) has to
 * spare. So the whole slow path runs on a stack of libwait's own, in the
 * thread's cache: the walk only reads the program's stack, a frame step
 * works on a made-up context, and a full unwind starts from registers saved
 * in the cache before the switch. The program's stack then carries only
 * the wrapper's few small frames. */
#define LW_OWN_STACK (64 * 1024)

/* lw_stack_init: ask libunwind for its per-thread cache. Its cache size is
 * left alone: unw_set_cache_size makes unw_backtrace fall back to full
 * steps (2.6x the time in it on cc1). */
void lw_stack_init(void)
{
    lw_own_window = 1; /* libunwind may make its pipe now */
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    lw_own_window = 0;
    lw_walk_init();
}

/* The fast cache. Keyed by the program's return address out of the wrapper
 * (ra) and the stack pointer it returns to (cfa). On a hit, every frame of
 * the cached stack is verified on the live stack by its checks. Same ra
 * and all checks equal means the same chain of frames: a walk from ra that
 * reads the same words at the same offsets from cfa takes the same frames.
 * A word is read only after the ones below it matched, so it lies within a
 * frame that really is there. Set-associative, LW_FAST_WAYS keys a set in
 * one cache line, most recently added first; a way holds a tag of its key
 * (cfa's low half xor ra's, so with ra the stack's own it fixes cfa's low
 * half; never 0) and the key's stack, or tag 0 and nothing. A key holds
 * one stack; the others reached at the same key are found through the
 * branch table (below). */
#define LW_FAST_SETS 2048
#define LW_FAST_WAYS 5
struct lw_fast_set {
    uint32_t tag[LW_FAST_WAYS];
    uint32_t copied; /* bit w: way w is a copy of a chain the branch table found, never a branch root */
    const struct lw_gstack *g[LW_FAST_WAYS];
};
/* The branch table. One fast-cache key (a call site at one stack depth) is
 * often reached along many chains: an allocator wrapper called from
 * hundreds of callers at the same depth. The fast cache keeps one stack per
 * key; a stack reached along another chain differs from it first at some
 * check i, where the live stack holds another word v. An entry (from, i,
 * v) -> to names the stack whose checks below i are from's, whose check i
 * has from's offset and the value v, and so carries on the verification
 * from check i + 1: a stack is found again by reading the live stack only,
 * without a walk, however many chains share its key. Entries are written
 * only by their thread; an entry is valid while gen is the thread's
 * code_gen (the stacks it names may be gone after code changed). The
 * table starts in the thread's cache (br0, no mapping of its own: a
 * program of many short threads keeps its count of mappings) and grows
 * fourfold, up to 1 << LW_BR_MAX_BITS entries, when half as many entries as
 * it has were written; a grown table's pages are mapped in place, since a
 * page first read then written faults twice. */
#define LW_BR_MIN_BITS 10
#define LW_BR_MAX_BITS 16
struct lw_branch {
    const struct lw_gstack *from, *to;
    uintptr_t val;
    uint32_t idx, gen;
};

/* Frames of libwait's own above the program's, at most: the wrapper, the
 * record's start, lw_stack_id and lw_stack_slow, and room to spare. */
#define LW_SELF_FRAMES 8
struct lw_cache {
    struct lw_l1 l1;
    struct lw_fast_set set[LW_FAST_SETS];
    /* The slow path's work space, here rather than on the program's stack,
     * which may be small (threads at PTHREAD_STACK_MIN, signal stacks,
     * coroutines). One slow path at a time runs per thread: the guard
     * keeps signal handlers out of it. */
    uintptr_t bt[LW_MAX_DEPTH + LW_SELF_FRAMES];
    /* The rules this thread used last, direct-mapped: the process table
     * is large, and most walks climb through the same few hundred frames. */
    struct lw_rule_ent rules[LW_RULE_LOCAL];
    unsigned code_gen; /* lw_code_gen when the caches above were last valid */
    unw_context_t uc;  /* the registers a full unwind starts from */
    uint8_t own_stack[LW_OWN_STACK] __attribute__((aligned(16)));
    int32_t chk_off[2 * LW_MAX_DEPTH];
    uintptr_t chk_val[2 * LW_MAX_DEPTH];
    struct lw_branch *br; /* the branch table (above): br0 at its first use */
    uint32_t br_bits;     /* it has 1 << br_bits entries */
    uint32_t br_added;    /* entries written since it was made */
    struct lw_branch br0[1 << LW_BR_MIN_BITS];
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

static inline uint64_t lw_fast_hash(uintptr_t ra, uintptr_t cfa)
{
    uint64_t h = (ra ^ (cfa << 17) ^ (cfa >> 4)) * 0x9e3779b97f4a7c15ull;
    return h >> 53;
}

/* lw_fast_tag: never 0, the tag of an empty way, so a way whose tag
 * matches holds a stack; bit 0 says nothing of cfa, which is aligned. */
static inline uint32_t lw_fast_tag(uintptr_t ra, uintptr_t cfa) { return (uint32_t)(ra ^ cfa) | 1; }

/* lw_cache_check: empty the thread's caches when code may have changed
 * since they were filled (lw_code_gen moved): an entry could name a stack
 * of code that is gone, at addresses that now hold other code. */
static inline void lw_cache_check(struct lw_cache *cache)
{
    unsigned gen = __atomic_load_n(&lw_code_gen, __ATOMIC_ACQUIRE);
    if (LW_LIKELY(cache->code_gen == gen))
        return;
    memset(&cache->l1, 0, sizeof cache->l1);
    memset(cache->set, 0, sizeof cache->set);
    memset(cache->rules, 0, sizeof cache->rules);
    cache->code_gen = gen;
}

/* lw_live_word: the live stack's word for check i of g: a return
 * address, or a saved rbp as its distance from cfa. */
static inline uintptr_t lw_live_word(const struct lw_gstack *g, uintptr_t cfa, uint32_t i)
{
    int32_t o = lw_chk_off(g, i);
    return *(const uintptr_t *)(cfa + (o & ~LW_CHECK_REL)) - (cfa & -(uintptr_t)(o & LW_CHECK_REL));
}

/* lw_checks_match: the index of g's first check from i on that the live
 * stack at cfa fails, g->nchk when none does. Checks below i must have
 * matched already: a word is read only after those below it. */
static inline uint32_t lw_checks_match(const struct lw_gstack *g, uintptr_t cfa, uint32_t i)
{
    uint32_t m = g->nchk;
    if (LW_LIKELY(g->fmt == LW_FMT_WIDE)) { /* return addresses only: the likely case */
        const int32_t *off = g->chk_off;
        const uintptr_t *val = g->chk_val;
#pragma GCC unroll 2
        for (; i < m; i++)
            if (*(const uintptr_t *)(cfa + off[i]) != val[i])
                break;
    } else if (g->fmt == LW_FMT_PACKED) {
        /* the word less what the check is relative to: base[0], cfa (a
         * saved rbp) or base[1], by the offset's low bits */
        const struct lw_pchk *c = (const struct lw_pchk *)g->data;
        const uintptr_t rel[4] = {g->base[0], cfa, g->base[1], cfa};
#pragma GCC unroll 4
        for (; i < m; i++) {
            int32_t o = c[i].off;
            uintptr_t w = *(const uintptr_t *)(cfa + (o & ~(LW_CHECK_REL | LW_CHECK_BASE2)));
            if (w - rel[o & (LW_CHECK_REL | LW_CHECK_BASE2)] != (uintptr_t)(intptr_t)c[i].val)
                break;
        }
    } else {
        const uintptr_t *val = g->chk_val;
        while (i < m && lw_live_word(g, cfa, i) == val[i])
            i++;
    }
    return i;
}

/* lw_branch_slot: the one entry (from, i, v) may take; a new entry
 * replaces whatever held it. */
static inline struct lw_branch *lw_branch_slot(const struct lw_cache *cache, const struct lw_gstack *from, uint32_t i,
                                               uintptr_t v)
{
    uint64_t h = ((uintptr_t)from ^ ((uint64_t)i << 56) ^ (v * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
    return &cache->br[h >> (64 - cache->br_bits)];
}

/* lw_branch_find: the stack at (ra, cfa) through the branch table, from
 * the fast cache's stack of that key (in set si), which the live stack
 * fails. NULL when the branches lead nowhere; then *from, *idx and *val say
 * where the last one failed (*from NULL when the key is not cached), for
 * lw_branch_add. */
static const struct lw_gstack *lw_branch_find(struct lw_cache *cache, uintptr_t ra, uintptr_t cfa, unsigned si,
                                              const struct lw_gstack **from, uint32_t *idx, uintptr_t *val)
{
    const struct lw_fast_set *fs = &cache->set[si];
    const struct lw_gstack *g = NULL;
    uint32_t tag = lw_fast_tag(ra, cfa);
    *from = NULL;
    for (unsigned w = 0; w < LW_FAST_WAYS && !g; w++)
        if (fs->tag[w] == tag && !(fs->copied >> w & 1) && fs->g[w]->ra == ra)
            g = fs->g[w];
    if (!g)
        return NULL;
    uint32_t i = lw_checks_match(g, cfa, 0);
    /* each branch passes at least one more check, so this ends */
    while (i < g->nchk) {
        uintptr_t v = lw_live_word(g, cfa, i);
        const struct lw_branch *b = cache->br ? lw_branch_slot(cache, g, i, v) : NULL;
        if (!b || b->from != g || b->idx != i || b->val != v || b->gen != cache->code_gen) {
            *from = g;
            *idx = i;
            *val = v;
            return NULL;
        }
        g = b->to;
        i = lw_checks_match(g, cfa, i + 1);
    }
    return g;
}

/* lw_branch_add: record that g, just taken by a walk, carries on from
 * check i of from with the live word v; only when it does (it may be a
 * stack whose checks differ from from's below i). */
/* lw_branch_grow: start the branch table (br0), or map a larger one with
 * the valid entries of the old one; the old one is kept when no memory is
 * left. */
static void lw_branch_grow(struct lw_cache *cache)
{
    uint32_t bits = cache->br ? cache->br_bits + 2 : LW_BR_MIN_BITS;
    struct lw_branch *old = cache->br, *nb = old ? lw_map_filled(sizeof(struct lw_branch) << bits) : cache->br0;
    uint32_t old_bits = cache->br_bits;
    if (!nb)
        return;
    cache->br = nb;
    cache->br_bits = bits;
    cache->br_added = 0;
    if (!old)
        return;
    for (size_t k = 0; k < (size_t)1 << old_bits; k++) {
        const struct lw_branch *e = &old[k];
        if (e->from && e->gen == cache->code_gen) {
            *lw_branch_slot(cache, e->from, e->idx, e->val) = *e;
            cache->br_added++;
        }
    }
    if (old != cache->br0)
        real_munmap(old, sizeof(struct lw_branch) << old_bits);
}

static void lw_branch_add(struct lw_cache *cache, const struct lw_gstack *from, uint32_t i, uintptr_t v,
                          const struct lw_gstack *g)
{
    if (!cache->br || (cache->br_added > 1u << (cache->br_bits - 1) && cache->br_bits < LW_BR_MAX_BITS))
        lw_branch_grow(cache);
    if (!cache->br || g == from || g->nchk <= i || lw_chk_val(g, i) != v)
        return;
    for (uint32_t k = 0; k <= i; k++)
        if (lw_chk_off(g, k) != lw_chk_off(from, k) || (k < i && lw_chk_val(g, k) != lw_chk_val(from, k)))
            return;
    cache->br_added++;
    struct lw_branch *b = lw_branch_slot(cache, from, i, v);
    b->from = from;
    b->to = g;
    b->val = v;
    b->idx = i;
    b->gen = cache->code_gen;
}

/* lw_stack_slow: walk (or unwind) the stack, then find it in the thread's
 * table or the process's, adding it there if new. have says ra and cfa are
 * known. */
static __attribute__((noinline)) const struct lw_gstack *lw_stack_slow(struct lw_thread *t, int have, uintptr_t ra,
                                                                       uintptr_t cfa)
{
    struct lw_cache *cache = t->cache;
    uintptr_t fallback[LW_SELF_FRAMES + 8], *buf = cache ? cache->bt : fallback;
    uint32_t room = cache ? lw_g.depth + LW_SELF_FRAMES : LW_SELF_FRAMES + 8;
    /* the load map precedes any stack of its code; never under our lock
     * (the loader's lock is taken inside, and may be held by our caller) */
    lw_modules_emit(t, 0);
    if (cache)
        lw_cache_check(cache); /* the load map may have just changed */
    const uintptr_t *f = buf;
    uint32_t nchk = 0;
    int n = have && cache ? lw_stack_walk(cache->rules, ra, cfa, buf, lw_g.depth, cache->chk_off, cache->chk_val, &nchk)
                          : -1;
    if (n < 0) {
        have = 0; /* no checks: never in the fast cache */
        n = cache ? lw_unwind(&cache->uc, buf, room) : unw_backtrace((void **)buf, (int)room);
        int k = 0;
        while (k < n && buf[k] >= lw_g.self_lo && buf[k] < lw_g.self_hi)
            k++;
        f = buf + k;
        n -= k;
        if ((uint32_t)n > lw_g.depth)
            n = (int)lw_g.depth;
    }
    uint32_t depth = n > 0 ? (uint32_t)n : 0;
    t->st.unwinds++;
    uint64_t h = lw_hash(f, depth);
    struct lw_l1_ent *e = cache ? &cache->l1.ent[h & (LW_L1_SIZE - 1)] : NULL;
    const struct lw_gstack *g = NULL;
    if (e && e->g && e->hash == h && lw_stack_is(e->g, f, depth)) {
        g = e->g;
    } else {
        g = lw_stack_global(t, f, depth, h, have ? cache->chk_off : NULL, have ? cache->chk_val : NULL, nchk);
        if (g && e) {
            e->hash = h;
            e->g = g;
        }
    }
    lw_signals_release();
    return g;
}

struct lw_slow_args {
    struct lw_thread *t;
    int have;
    uintptr_t ra, cfa;
    const struct lw_gstack *g;
};

static void lw_stack_slow_thunk(void *p)
{
    struct lw_slow_args *a = p;
    a->g = lw_stack_slow(a->t, a->have, a->ra, a->cfa);
}

static uint32_t lw_stack_miss(struct lw_thread *t, int have, uintptr_t ra, uintptr_t cfa, unsigned si);

/* lw_stack_id: id of the calling thread's current stack, from the caller of
 * the wrapped function outwards, at most lw_g.depth frames. 0 if unknown. */
uint32_t lw_stack_id(struct lw_thread *t)
{
    uintptr_t ra = 0, cfa = 0;
    int have;
    /* The wrapper recording this call keeps its frame in guard_sp
     * (lw_wrap_enter): its return address is the program's, unless the
     * wrapper was called by libwait itself (realloc of an arena block);
     * then, and when libwait took the guard itself, the frames are
     * walked. */
    const uintptr_t *wf = (const uintptr_t *)t->guard_sp;
    if (LW_LIKELY(t->guard_sp != UINTPTR_MAX && (wf[1] < lw_g.self_lo || wf[1] >= lw_g.self_hi))) {
        ra = wf[1];
        cfa = (uintptr_t)(wf + 2);
        have = 1;
    } else {
        have = lw_caller(&ra, &cfa);
    }
    if (LW_UNLIKELY(!t->cache)) {
        void *m = real_mmap(NULL, sizeof(struct lw_cache), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        t->cache = m == MAP_FAILED ? NULL : m;
    }
    struct lw_cache *cache = t->cache;
    unsigned si = 0;
    if (LW_LIKELY(have && cache)) {
        lw_cache_check(cache);
        si = (unsigned)lw_fast_hash(ra, cfa) & (LW_FAST_SETS - 1);
        const struct lw_fast_set *fs = &cache->set[si];
        uint32_t tag = lw_fast_tag(ra, cfa);
        for (unsigned w = 0; w < LW_FAST_WAYS; w++) {
            if (fs->tag[w] != tag)
                continue;
            const struct lw_gstack *g = fs->g[w];
            if (g->ra != ra)
                continue;
            if (lw_checks_match(g, cfa, 0) == g->nchk) {
                t->st.stack_hits++;
                return g->id;
            }
        }
    }
    return lw_stack_miss(t, have, ra, cfa, si);
}

/* lw_fast_put: g into fast set si under the key (ra, cfa), newest first:
 * the set shifts down one way, dropping the oldest. Only stacks with checks
 * go in (checked == LW_CHECK_OK), as a hit verifies them. copy: g is a
 * chain the branch table found, which branches never start from, so that
 * the branch table's entries stay keyed by the stack a walk put there.
 * Copies hold at most LW_FAST_COPIES ways of a set: a key of many chains
 * (cc1's xmalloc) would otherwise push the walks' stacks out, and each
 * would cost a walk again. */
#define LW_FAST_COPIES 3
static void lw_fast_put(struct lw_cache *cache, unsigned si, uintptr_t ra, uintptr_t cfa, const struct lw_gstack *g,
                        int copy)
{
    struct lw_fast_set *fs = &cache->set[si];
    if (copy && __builtin_popcount(fs->copied) >= LW_FAST_COPIES) {
        /* the copies take the place of the oldest copy, never of a root */
        unsigned w = 31 - (unsigned)__builtin_clz(fs->copied);
        fs->tag[w] = lw_fast_tag(ra, cfa);
        fs->g[w] = g;
        return;
    }
    fs->copied = ((fs->copied << 1) | (copy != 0)) & ((1u << LW_FAST_WAYS) - 1);
    memmove(&fs->tag[1], &fs->tag[0], (LW_FAST_WAYS - 1) * sizeof fs->tag[0]);
    memmove(&fs->g[1], &fs->g[0], (LW_FAST_WAYS - 1) * sizeof fs->g[0]);
    fs->tag[0] = lw_fast_tag(ra, cfa);
    fs->g[0] = g;
}

/* lw_stack_miss: lw_stack_id past a fast-cache miss (si: the set of ra and
 * cfa): take the stack on libwait's own stack, and keep it in the fast
 * cache when it has checks. A function apart, so that the hit path
 * keeps none of the miss's values in stack slots. */
static __attribute__((noinline)) uint32_t lw_stack_miss(struct lw_thread *t, int have, uintptr_t ra, uintptr_t cfa,
                                                        unsigned si)
{
    struct lw_cache *cache = t->cache;
    const struct lw_gstack *from = NULL;
    uint32_t idx = 0;
    uintptr_t val = 0;
    unsigned gen = 0;
    if (have && cache) {
        const struct lw_gstack *bg = lw_branch_find(cache, ra, cfa, si, &from, &idx, &val);
        if (bg) {
            /* a chain the branch table knows goes into the fast set too, as
             * another way of its key: a key reached along a few chains over
             * and over (sqlite's mutex and allocator wrappers, called from
             * one frame by many callers) then hits without the branch
             * table's cache misses, while a key of many chains (cc1) keeps
             * them in the table */
            lw_fast_put(cache, si, ra, cfa, bg, 1);
            t->st.stack_hits++;
            return bg->id;
        }
        gen = cache->code_gen;
    }
    int saved = errno;
    lw_slow_begin(t);
    lw_gate_enter();
    const struct lw_gstack *g;
    if (LW_LIKELY(cache != NULL) && unw_getcontext(&cache->uc) == 0) {
        struct lw_slow_args a = {t, have, ra, cfa, NULL};
        lw_run_on(cache->own_stack + LW_OWN_STACK, lw_stack_slow_thunk, &a);
        g = a.g;
    } else {
        g = lw_stack_slow(t, have, ra, cfa);
    }
    lw_gate_leave();
    if (!g || !have || !cache || __atomic_load_n(&g->checked, __ATOMIC_ACQUIRE) != LW_CHECK_OK) {
        /* not to be cached */
    } else if (from) {
        /* the key is cached with another chain: branch from where it failed,
         * unless code changed during the walk (from may be gone) */
        if (cache->code_gen == gen)
            lw_branch_add(cache, from, idx, val, g);
    } else {
        lw_fast_put(cache, si, ra, cfa, g, 0);
    }
    lw_slow_end(t);
    errno = saved;
    return g ? g->id : 0;
}

/* lw_stack_on_own: whether addr lies on t's own slow-path stack. */
int lw_stack_on_own(const struct lw_thread *t, uintptr_t addr)
{
    const struct lw_cache *c = t->cache;
    return c && addr - (uintptr_t)c->own_stack < LW_OWN_STACK;
}

/* lw_stack_thread_free: release t's cache. */
void lw_stack_thread_free(struct lw_thread *t)
{
    if (t->cache && t->cache->br && t->cache->br != t->cache->br0)
        real_munmap(t->cache->br, sizeof(struct lw_branch) << t->cache->br_bits);
    if (t->cache)
        real_munmap(t->cache, sizeof(struct lw_cache));
    t->cache = NULL;
}
