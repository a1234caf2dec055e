/* stack_walk.c: taking a stack. The program's stack is walked from the
 * wrapper's caller outwards with frame rules learned from libunwind, which
 * also give the checks that let the fast cache (stack.c) verify the stack
 * later without walking it; where a frame has no usable rule the stack is
 * unwound by libunwind in full. */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "runtime/stack.h"

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
 * the stack is then unwound by libunwind in full (lw_unwind), and the fast
 * cache never serves it.
 *
 * The table holds an address and its rule in two words side by side, so a
 * lookup costs one cache miss at most. An entry is claimed by a
 * compare-and-swap of the address into an empty slot, then its rule is
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
static struct lw_rule_ent *lw_rules;
static uintptr_t lw_sink[LW_SINK_WORDS];

void lw_walk_init(void)
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

unsigned lw_code_gen;

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

/* lw_stack_walk: the program's rbp at the call is saved by libwait's
 * outermost frame, just below its return address. */
int lw_stack_walk(struct lw_rule_ent *rc, uintptr_t ra, uintptr_t cfa, uintptr_t *f, uint32_t max, int32_t *off,
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

/* lw_unwind: for stacks the walk cannot take: through a signal frame, or
 * code without usable unwind rules. Signals are held, so libunwind's own
 * masking costs no system call. */
int lw_unwind(unw_context_t *uc, uintptr_t *buf, uint32_t room)
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
