/* stack.c: call stacks as small ids. A stack is walked with frame rules
 * learned from libunwind (a full libunwind unwind only where a frame has no
 * usable rule), stripped of libwait's own frames, and deduplicated three
 * ways: a thread-local fast cache that verifies a stack without walking
 * it, a thread-local table of whole stacks, then a process-wide uthash table
 * under a spinlock taken only when both local ones miss. Each distinct stack
 * is written once, as a LW_REC_STACK record in the stream of the thread
 * that found it. */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "runtime/runtime.h"
#include "runtime/spin.h"

/* Nothing done under lw_stack_spin may call the program's allocator: it can
 * take locks of its own (jemalloc does), and the thread holding one of them
 * may be the one waiting for lw_stack_spin (redis deadlocked so). uthash's
 * tables come from mmap directly and the stack nodes from mmap'd slabs. */
static void *lw_map(size_t n)
{
    void *m = real_mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

/* lw_map_filled: like lw_map, for memory that will all be written soon (the
 * slabs of stack nodes): mapped with its pages in place, because a page
 * fault costs several microseconds on a virtual machine, and a program with
 * many stacks would take one every few new stacks. */
static void *lw_map_filled(size_t n)
{
    void *m = real_mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}
#define uthash_malloc(sz)  lw_map(sz)
#define uthash_free(p, sz) real_munmap((p), (sz))
#define HASH_NONFATAL_OOM  1
#include <uthash.h>

/* A distinct stack. Its checks (see the frame rules below), stored after
 * the frames, let the fast cache verify it on the live stack; they are
 * filled once, when every frame has a usable rule, and checked is then
 * LW_CHECK_OK. Other stacks are unwound every time. */
enum { LW_CHECK_UNKNOWN, LW_CHECK_OK, LW_CHECK_FILLING };
/* A stack's checks: the words a hit must find on the live stack, at offsets
 * from cfa, in the order they can be read safely. A check whose offset has
 * bit 0 set compares the word minus cfa (a saved rbp, which fixes where the
 * next rbp frame lies); the others compare return addresses. */
#define LW_CHECK_REL 1
struct lw_gstack {
    UT_hash_handle hh;
    uint32_t id, depth;
    uint32_t checked, nchk, cap;
    uint32_t rel; /* some check is relative (a frame with a frame pointer) */
    uintptr_t *chk_val;
    int32_t *chk_off;
    uintptr_t frames[]; /* the key: depth frames, then the checks' space */
};

#define LW_L1_SIZE 4096
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
        uint8_t *m = lw_map_filled(LW_SLAB_SIZE);
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
/* Guards lw_gtab, the slabs and lw_next_id. Taken with the guard held; the
 * fork prepare handler takes it too, and the parent and child release it. */
static lw_spin lw_stack_spin;

void lw_stack_lock(void) { lw_spin_lock(&lw_stack_spin); }

void lw_stack_unlock(void) { lw_spin_unlock(&lw_stack_spin); }

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
            lw_cpu_relax();
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
        lw_cpu_relax();
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

static void lw_frames_init(void);

/* lw_stack_init: ask libunwind for its per-thread cache. Its cache size is
 * left alone: unw_set_cache_size made unw_backtrace fall back to full steps
 * (2.6x more time in it on cc1). */
void lw_stack_init(void)
{
    lw_own_window = 1; /* libunwind may make its pipe now */
    unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
    lw_own_window = 0;
    lw_frames_init();
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

/* lw_stack_global: find or add frames (whose lw_hash is h) in the process
 * table (slow path); a new stack has room for cap checks (lw_stack_fill
 * gives them). NULL when memory runs out. */
static const struct lw_gstack *lw_stack_global(struct lw_thread *t, const uintptr_t *f, uint32_t n, uint64_t h,
                                               uint32_t cap)
{
    struct lw_gstack *g;
    size_t klen = n * sizeof *f;
    lw_stack_lock();
    unsigned hv = (unsigned)(h ^ (h >> 32));
    HASH_FIND_BYHASHVALUE(hh, lw_gtab, f, klen, hv, g);
    if (!g) {
        g = lw_node_alloc(sizeof *g + klen + cap * (sizeof(uintptr_t) + sizeof(int32_t)));
        if (g) {
            g->id = lw_next_id++;
            g->depth = n;
            g->cap = cap;
            memcpy(g->frames, f, klen);
            g->chk_val = g->frames + n;
            g->chk_off = (int32_t *)(g->chk_val + cap);
            g->nchk = g->rel = 0;
            g->checked = LW_CHECK_UNKNOWN;
            HASH_ADD_KEYPTR_BYHASHVALUE(hh, lw_gtab, g->frames, klen, hv, g);
            /* uthash lets chains grow to ten links before it doubles its
             * buckets, and every link is a cache miss under our lock: keep
             * about one stack a bucket instead. */
            if (lw_gtab->hh.tbl->num_items > lw_gtab->hh.tbl->num_buckets && !lw_gtab->hh.tbl->noexpand) {
                int oomed = 0;
                HASH_EXPAND_BUCKETS(&lw_gtab->hh, lw_gtab->hh.tbl, oomed);
                (void)oomed;
            }
            lw_stack_write(t, g);
            t->st.stacks++;
        }
    }
    lw_stack_unlock();
    return g;
}

/* Frame rules. A stack is walked with one rule per return address, the way
 * libunwind's own fast trace does: on x86-64 a function's return address
 * lies just below its canonical frame address (CFA), and at any return
 * address inside the function the CFA is either the stack pointer plus a
 * constant ("rsp frame") or, in functions that keep a frame pointer
 * (alloca, large or realigned frames), rbp plus a constant ("rbp frame").
 * Which one, the constant, and where the function saved its caller's rbp
 * are properties of the address alone. So they are learned once per
 * address, by one libunwind step from a made-up context holding that
 * address, the real stack pointer and the real rbp of the frame (tracked up
 * the stack from the program's rbp at the call), and kept in a process-wide
 * table. Where rbp could be the frame's own pointer, a second step with
 * another rbp tells the two kinds apart. The other registers of the context
 * point into lw_sink, a block of pointers to its own middle: a rule that
 * reads them lands in lw_sink, which marks the address unusable, and
 * nothing it dereferences can fault. Unusable addresses (signal frames,
 * code without unwind information, unusual rules) make the walk give up;
 * the stack is then taken with unw_backtrace, and the fast cache never
 * serves it.
 *
 * The table holds an address and its rule in two words side by side, so a
 * lookup costs one cache miss at most. An entry is claimed
 * by a compare-and-swap of the address into an empty slot, then its rule is
 * stored; a reader that finds the address without a rule learns it again.
 * An address learned twice with different rules becomes unusable for good.
 * When a library is unloaded, another may be loaded at its addresses, so the
 * table is cleared (lw_stack_code_unloaded). */
#define LW_RULE_BITS   16
#define LW_RULE_PROBES 16
enum { LW_RULE_RSP = 1, LW_RULE_RBP = 2, LW_RULE_NONE = 3, LW_RULE_LAST = 4 };
#define LW_RULE_KIND      7u
#define LW_RULE_SAVES_RBP 8u
/* rule: kind | LW_RULE_SAVES_RBP | (rbp slot - CFA) << 16 as int16 | constant << 32 as int32 */
#define LW_SINK_WORDS 1024
struct lw_rule_ent {
    uintptr_t ip;
    uint64_t rule;
};
static struct lw_rule_ent *lw_rules;
static uintptr_t lw_sink[LW_SINK_WORDS];

static void lw_frames_init(void)
{
    for (unsigned i = 0; i < LW_SINK_WORDS; i++)
        lw_sink[i] = (uintptr_t)&lw_sink[LW_SINK_WORDS / 2];
    if (!lw_rules)
        lw_rules = lw_map(sizeof(struct lw_rule_ent) << LW_RULE_BITS);
}

static inline unsigned lw_rule_home(uintptr_t ip)
{
    return (unsigned)((ip * 0x9e3779b97f4a7c15ull) >> (64 - LW_RULE_BITS));
}

/* lw_rule_get: the rule learned for ip, 0 when not learned yet. */
static inline uint64_t lw_rule_get(uintptr_t ip)
{
    if (LW_UNLIKELY(!lw_rules))
        return LW_RULE_NONE;
    unsigned s = lw_rule_home(ip);
    for (unsigned i = 0; i < LW_RULE_PROBES; i++, s = (s + 1) & ((1u << LW_RULE_BITS) - 1)) {
        uintptr_t e = __atomic_load_n(&lw_rules[s].ip, __ATOMIC_ACQUIRE);
        if (e == ip)
            return __atomic_load_n(&lw_rules[s].rule, __ATOMIC_ACQUIRE);
        if (!e)
            return 0;
    }
    return LW_RULE_NONE; /* a crowded neighbourhood: not worth learning */
}

static void lw_rule_put(uintptr_t ip, uint64_t rule)
{
    if (!lw_rules)
        return;
    unsigned s = lw_rule_home(ip);
    for (unsigned i = 0; i < LW_RULE_PROBES; i++, s = (s + 1) & ((1u << LW_RULE_BITS) - 1)) {
        uintptr_t e = 0;
        if (__atomic_compare_exchange_n(&lw_rules[s].ip, &e, ip, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) || e == ip) {
            uint64_t old = 0;
            if (!__atomic_compare_exchange_n(&lw_rules[s].rule, &old, rule, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED) &&
                old != rule)
                __atomic_store_n(&lw_rules[s].rule, (uint64_t)LW_RULE_NONE, __ATOMIC_RELEASE);
            return;
        }
    }
}

/* lw_code_gen counts the times code may have changed under addresses
 * libwait already knows: an object was unloaded, or a new one was written
 * over the range of another. Each thread compares it with the value its
 * caches were filled at, before it trusts them (lw_cache_check). */
static unsigned lw_code_gen;

/* lw_stack_code_unloaded: (the loader removed an object) forget every
 * learned rule, and make every thread drop its caches: the addresses may
 * now hold other code. The process table of stacks is kept; stacks through
 * an address that another object takes are dropped from it when that
 * object is written (lw_stack_forget_range). */
void lw_stack_code_unloaded(void)
{
    if (lw_rules)
        for (size_t i = 0; i < (size_t)1 << LW_RULE_BITS; i++) {
            __atomic_store_n(&lw_rules[i].rule, 0, __ATOMIC_RELEASE);
            __atomic_store_n(&lw_rules[i].ip, 0, __ATOMIC_RELEASE);
        }
    __atomic_fetch_add(&lw_code_gen, 1, __ATOMIC_RELEASE);
}

static inline int lw_in_sink(uintptr_t a)
{
    return a - (uintptr_t)lw_sink < sizeof lw_sink + 4096 || (uintptr_t)lw_sink - a < 4096;
}

/* lw_frame_step: one libunwind step out of the frame at ip with stack
 * pointer sp and frame pointer rbp. Returns 1 with the caller's stack
 * pointer, return address and the place the caller's rbp was saved (0 when
 * this frame did not save it); 0 at the outermost frame; -1 on failure. */
static __attribute__((noinline)) int lw_frame_step(uintptr_t ip, uintptr_t sp, uintptr_t rbp, uintptr_t *nsp,
                                                   uintptr_t *nip, uintptr_t *rbp_slot)
{
        unw_context_t uc;
    unw_cursor_t c;
    unw_word_t w_sp, w_ip;
    unw_save_loc_t loc;
    if (unw_getcontext(&uc) != 0)
        return -1;
    lw_arch_frame_context(&uc, ip, sp, rbp, (uintptr_t)&lw_sink[LW_SINK_WORDS / 2]);
    if (unw_init_local(&c, &uc) != 0)
        return -1;
    int r = unw_step(&c);
    if (r <= 0)
        return r == 0 ? 0 : -1;
    if (unw_get_reg(&c, UNW_REG_SP, &w_sp) != 0 || unw_get_reg(&c, UNW_REG_IP, &w_ip) != 0 ||
        unw_get_save_loc(&c, LW_ARCH_UNW_FP, &loc) != 0)
        return -1;
    *nsp = w_sp;
    *nip = w_ip;
    *rbp_slot = 0;
    if (loc.type == UNW_SLT_MEMORY &&
        !(loc.u.addr >= (uintptr_t)&uc && loc.u.addr < (uintptr_t)&uc + sizeof uc)) /* else: not saved here */
        *rbp_slot = loc.u.addr;
    else if (loc.type == UNW_SLT_REG)
        return -1;
    return 1;
}

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

/* lw_frame_learn: the rule of the frame at return address ip, whose callee
 * returns to sp with rbp in the register. */
static uint64_t lw_frame_learn(uintptr_t ip, uintptr_t sp, uintptr_t rbp)
{
    uintptr_t nsp, nip, slot, nsp2, nip2, slot2;
    int r = lw_frame_step(ip, sp, rbp, &nsp, &nip, &slot);
    if (r == 0)
        return LW_RULE_LAST;
    /* The return address must be the word just below the CFA, found through
     * the real stack pointer or rbp: libunwind read that word in the step. */
    if (r < 0 || lw_in_sink(nsp) || lw_in_sink(nip) || nsp <= sp || ((nsp - sp) & 7) || nsp - sp > (1u << 30) ||
        *(const uintptr_t *)(nsp - sizeof(uintptr_t)) != nip)
        return LW_RULE_NONE;
    uint64_t rule;
    int64_t k;
    /* A frame-pointer rule puts the CFA a little above rbp. When rbp is
     * nowhere near (a data value, or an outer frame's pointer above this
     * frame), the rule cannot have used it. */
    intptr_t d = (intptr_t)(nsp - rbp);
    if (d < 8 || d > 4096 ||
        (lw_frame_step(ip, sp, (uintptr_t)&lw_sink[LW_SINK_WORDS / 2], &nsp2, &nip2, &slot2) == 1 && nsp2 == nsp)) {
        rule = LW_RULE_RSP;
        k = (int64_t)(nsp - sp);
    } else {
        rule = LW_RULE_RBP;
        k = d;
    }
    if (k > INT32_MAX || (k & 7))
        return LW_RULE_NONE;
    if (slot) {
        int64_t o = (int64_t)slot - (int64_t)nsp;
        if ((o & 7) || o < INT16_MIN || o > INT16_MAX)
            return LW_RULE_NONE;
        rule |= LW_RULE_SAVES_RBP | (uint64_t)(uint16_t)(int16_t)o << 16;
    }
    return rule | (uint64_t)(uint32_t)(int32_t)k << 32;
}

/* lw_rule_local: ip's rule through the thread's small table rc, filled
 * from the process table. */
#define LW_RULE_LOCAL 4096
static inline uint64_t lw_rule_local(struct lw_rule_ent *rc, uintptr_t ip)
{
    struct lw_rule_ent *e = &rc[(ip ^ (ip >> 12)) & (LW_RULE_LOCAL - 1)];
    if (LW_LIKELY(e->ip == ip))
        return e->rule;
    uint64_t rule = lw_rule_get(ip);
    if (rule) {
        e->ip = ip;
        e->rule = rule;
    }
    return rule;
}

/* lw_stack_walk: the stack from the program's frame at return address ra,
 * whose callee (libwait) returns to cfa, into f (at most max frames), with
 * the checks that verify it into off and val (*nchk of them). Returns the
 * depth, or -1 when a frame has no usable rule. The program's rbp at the
 * call is saved by libwait's outermost frame, just below its return
 * address. */
static int lw_stack_walk(struct lw_rule_ent *rc, uintptr_t ra, uintptr_t cfa, uintptr_t *f, uint32_t max, int32_t *off,
                         uintptr_t *val, uint32_t *nchk)
{
    uintptr_t sp = cfa, ip = ra, rbp_slot = cfa - 2 * sizeof(uintptr_t);
    uintptr_t rbp = *(const uintptr_t *)rbp_slot;
    uint32_t n = 0, m = 0;
    f[n++] = ip;
    while (n < max) {
        uint64_t rule = lw_rule_local(rc, ip);
        if (LW_UNLIKELY(rule == 0)) {
            lw_signals_hold(); /* released at the slow path's end */
            rule = lw_frame_learn(ip, sp, rbp);
            lw_rule_put(ip, rule);
        }
        uintptr_t nsp;
        switch (rule & LW_RULE_KIND) {
        case LW_RULE_RSP:
            nsp = sp + (uintptr_t)(int64_t)(int32_t)(rule >> 32);
            break;
        case LW_RULE_RBP:
            off[m] = (int32_t)(rbp_slot - cfa) | LW_CHECK_REL;
            val[m++] = rbp - cfa;
            nsp = rbp + (uintptr_t)(int64_t)(int32_t)(rule >> 32);
            break;
        case LW_RULE_LAST:
            goto done;
        default:
            return -1;
        }
        if (nsp <= sp || nsp - cfa > (1u << 30))
            return -1;
        ip = *(const uintptr_t *)(nsp - sizeof(uintptr_t));
        if (ip < 0x4000) /* the end, as libunwind's trace takes it */
            break;
        off[m] = (int32_t)(nsp - sizeof(uintptr_t) - cfa);
        val[m++] = ip;
        f[n++] = ip;
        if (rule & LW_RULE_SAVES_RBP) {
            rbp_slot = nsp + (uintptr_t)(int64_t)(int16_t)(rule >> 16);
            rbp = *(const uintptr_t *)rbp_slot;
        }
        sp = nsp;
    }
done:
    *nchk = m;
    return (int)n;
}

/* The fast cache. Keyed by the program's return address out of the wrapper
 * and the stack pointer it returns to (cfa). On a hit, every frame of the
 * cached stack is verified on the live stack by its checks. Same key and
 * all checks equal means the same chain of frames. A word is read only
 * after the ones below it matched, so it lies within a frame that really is
 * there. Set-associative: one key (one call site at one depth) is often
 * reached along several chains (an allocator wrapper called from
 * everywhere), so a set holds LW_FAST_WAYS of them, most recently added
 * first. */
#define LW_FAST_SETS 1024
#define LW_FAST_WAYS 8
struct lw_fast_way {
    uintptr_t ra, cfa;
    const struct lw_gstack *g;
};
struct lw_fast_set {
    struct lw_fast_way way[LW_FAST_WAYS]; /* a hit on the newest reads one line */
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
    unsigned code_gen;  /* lw_code_gen when the caches above were last valid */
    unw_context_t uc;   /* the registers a full unwind starts from */
    uint8_t own_stack[LW_OWN_STACK] __attribute__((aligned(16)));
    int32_t chk_off[2 * LW_MAX_DEPTH];
    uintptr_t chk_val[2 * LW_MAX_DEPTH];
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
    return h >> 54;
}

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

/* lw_stack_fill: give g the checks found by a walk, once (the first thread
 * to get there does it). */
static void lw_stack_fill(const struct lw_gstack *cg, const int32_t *off, const uintptr_t *val, uint32_t m)
{
    struct lw_gstack *g = (struct lw_gstack *)cg;
    uint32_t expect = LW_CHECK_UNKNOWN;
    if (m > g->cap ||
        !__atomic_compare_exchange_n(&g->checked, &expect, LW_CHECK_FILLING, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    memcpy(g->chk_val, val, (size_t)m * sizeof *val);
    memcpy(g->chk_off, off, (size_t)m * sizeof *off);
    g->nchk = m;
    g->rel = 0;
    for (uint32_t i = 0; i < m; i++)
        g->rel |= (uint32_t)off[i] & LW_CHECK_REL;
    __atomic_store_n(&g->checked, LW_CHECK_OK, __ATOMIC_RELEASE);
}

/* lw_unwind: the stack from the registers saved in uc outwards into buf
 * (at most room frames), libwait's own frames first, for stacks the walk
 * cannot take: through a signal frame, or code without usable unwind
 * rules. Signals are held, so libunwind's own masking costs no system
 * call. */
static int lw_unwind(unw_context_t *uc, uintptr_t *buf, uint32_t room)
{
    unw_cursor_t c;
    int n = 0;
    lw_signals_hold();
    if (unw_init_local(&c, uc) != 0)
        return 0;
    do {
        unw_word_t ip;
        if (unw_get_reg(&c, UNW_REG_IP, &ip) != 0)
            break;
        buf[n++] = ip;
    } while ((uint32_t)n < room && unw_step(&c) > 0);
    return n;
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
    if (e && e->g && e->hash == h && e->g->depth == depth && !memcmp(e->g->frames, f, depth * sizeof *f)) {
        g = e->g;
    } else {
        g = lw_stack_global(t, f, depth, h, have ? nchk : 0);
        if (g && e) {
            e->hash = h;
            e->g = g;
        }
    }
    if (g && have && __atomic_load_n(&g->checked, __ATOMIC_ACQUIRE) == LW_CHECK_UNKNOWN)
        lw_stack_fill(g, cache->chk_off, cache->chk_val, nchk);
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
        lw_cache_check(cache);
        si = (unsigned)lw_fast_hash(ra, cfa) & (LW_FAST_SETS - 1);
        const struct lw_fast_set *fs = &cache->set[si];
        for (unsigned w = 0; w < LW_FAST_WAYS; w++) {
            const struct lw_gstack *g = fs->way[w].g;
            if (fs->way[w].ra != ra || fs->way[w].cfa != cfa || !g)
                continue;
            const int32_t *off = g->chk_off;
            const uintptr_t *val = g->chk_val;
            uint32_t i = 0, m = g->nchk;
            if (LW_LIKELY(!g->rel)) { /* return addresses only: the likely case */
                while (i < m && *(const uintptr_t *)(cfa + off[i]) == val[i])
                    i++;
            } else {
                for (; i < m; i++) {
                    int32_t o = off[i];
                    uintptr_t w = *(const uintptr_t *)(cfa + (o & ~LW_CHECK_REL));
                    if (w - (cfa & -(uintptr_t)(o & LW_CHECK_REL)) != val[i])
                        break;
                }
            }
            if (i == m) {
                t->st.stack_hits++;
                return g->id;
            }
        }
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
    if (g && have && cache && __atomic_load_n(&g->checked, __ATOMIC_ACQUIRE) == LW_CHECK_OK) {
        /* newest first: shift the set down one way, dropping the oldest */
        struct lw_fast_set *fs = &cache->set[si];
        memmove(&fs->way[1], &fs->way[0], (LW_FAST_WAYS - 1) * sizeof fs->way[0]);
        fs->way[0].ra = ra;
        fs->way[0].cfa = cfa;
        fs->way[0].g = g; /* only stacks with checks are added (checked == LW_CHECK_OK) */
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
    if (t->cache)
        real_munmap(t->cache, sizeof(struct lw_cache));
    t->cache = NULL;
}

/* lw_stack_forget_range: (an object was written over [lo, hi), where
 * another one was before) drop every stack with a return address in that
 * range from the process table, so the new code's stacks get ids of their
 * own instead of the old code's, and make every thread drop its caches.
 * Other stacks keep their ids. Returns the first id a new stack will get. */
uint32_t lw_stack_forget_range(uintptr_t lo, uintptr_t hi)
{
    struct lw_gstack *g, *tmp;
    lw_stack_lock();
    HASH_ITER(hh, lw_gtab, g, tmp)
    {
        for (uint32_t i = 0; i < g->depth; i++)
            if (g->frames[i] > lo && g->frames[i] <= hi) { /* a return address follows its call */
                HASH_DELETE(hh, lw_gtab, g); /* the node stays in its slab: caches may point at it */
                break;
            }
    }
    uint32_t first = lw_next_id;
    __atomic_fetch_add(&lw_code_gen, 1, __ATOMIC_RELEASE);
    lw_stack_unlock();
    return first;
}

/* lw_stack_reset_after_fork: the child's new file has no stacks yet. */
void lw_stack_reset_after_fork(void)
{
    HASH_CLEAR(hh, lw_gtab); /* the nodes stay in their slabs, unused */
    lw_next_id = 1;
}
