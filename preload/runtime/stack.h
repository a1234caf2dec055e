/* stack.h: what the three files of the stack machinery share, and nothing
 * else includes: stack.c gives a call its stack's id through the thread's
 * caches, stack_walk.c takes a stack (frame rules learned from libunwind,
 * or a full libunwind unwind), and stack_table.c keeps the process-wide
 * table of distinct stacks and writes each one once. */
#ifndef LW_STACK_H
#define LW_STACK_H

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "runtime/runtime.h"

/* Nothing done under the stack table's lock may call the program's
 * allocator: it can take locks of its own (jemalloc does), and the thread
 * holding one of them may be the one waiting for the table's lock; both
 * would then wait for ever (redis with jemalloc does this). The table and
 * the stack nodes come from mmap directly (lw_map, slabs). */
void *lw_map(size_t n);
/* lw_map_filled: like lw_map, with its pages in place, for memory that will
 * be written soon and all over (a page fault costs microseconds here). */
void *lw_map_filled(size_t n);

#pragma GCC visibility push(hidden)

/* A distinct stack. Its checks (see stack_walk.c) let the fast cache
 * verify it on the live stack: the words a hit must find there, at offsets
 * from cfa, in the order they can be read safely. A check whose offset has
 * bit 0 set compares the word minus cfa (a saved rbp, which fixes where the
 * next rbp frame lies); the others compare return addresses. A stack taken
 * by a walk gets its checks when it is added (checked is LW_CHECK_OK);
 * other stacks have none and are unwound every time. */
enum { LW_CHECK_UNKNOWN, LW_CHECK_OK };
#define LW_CHECK_REL 1
/* How a stack's checks are kept (fmt), chosen for the fewest bytes a hit
 * reads:
 * - LW_FMT_WIDE: return addresses only; the values are frames 1.. (the
 *   checks are exactly the frames past the first), chk_off the offsets;
 * - LW_FMT_PACKED: some saved rbp; one 8-byte lw_pchk a check, its value a
 *   32-bit difference from base[0], from base[1] (LW_CHECK_BASE2 in the
 *   offset) or, for a saved rbp, the value itself;
 * - LW_FMT_WIDE_REL: the same checks where they do not fit lw_pchk (return
 *   addresses in more than two 4 GiB ranges): chk_val and chk_off. */
enum { LW_FMT_WIDE, LW_FMT_WIDE_REL, LW_FMT_PACKED };
#define LW_CHECK_BASE2 2
struct lw_pchk {
    int32_t off, val;
};
struct lw_gstack {
    uint32_t id, nchk;
    uint16_t fmt, checked;
    uint32_t depth;
    uintptr_t ra; /* frame 0 */
    /* The key, depth frames: LW_FMT_WIDE keeps them, from chk_val - 1 (its
     * checks' values are the frames past the first); the other formats
     * have them as ra, then the values of the checks that are not relative
     * (lw_stack_is, lw_stack_frames). */
    union {
        uintptr_t base[2]; /* LW_FMT_PACKED */
        struct {           /* LW_FMT_WIDE, LW_FMT_WIDE_REL */
            const uintptr_t *chk_val;
            const int32_t *chk_off;
        };
    };
    uintptr_t data[]; /* the checks (then the frames, LW_FMT_WIDE) */
};

/* lw_hash: the hash of n frames, the key of both stack tables. */
uint64_t lw_hash(const uintptr_t *f, uint32_t n);

/* lw_stack_global: find or add frames f (n of them, whose lw_hash is h) in
 * the process table, writing a new one's STACK record into t's stream; a
 * new stack keeps the m checks off and val found by a walk (off NULL: it
 * has none). NULL when memory runs out. */
const struct lw_gstack *lw_stack_global(struct lw_thread *t, const uintptr_t *f, uint32_t n, uint64_t h,
                                        const int32_t *off, const uintptr_t *val, uint32_t m);

/* lw_stack_is: whether g's frames are f (n of them). */
int lw_stack_is(const struct lw_gstack *g, const uintptr_t *f, uint32_t n);

/* lw_chk_off, lw_chk_val: check i of g as a walk gave it, whatever fmt. */
static inline int32_t lw_chk_off(const struct lw_gstack *g, uint32_t i)
{
    if (g->fmt != LW_FMT_PACKED)
        return g->chk_off[i];
    return ((const struct lw_pchk *)g->data)[i].off & ~LW_CHECK_BASE2;
}

static inline uintptr_t lw_chk_val(const struct lw_gstack *g, uint32_t i)
{
    if (g->fmt != LW_FMT_PACKED)
        return g->chk_val[i];
    const struct lw_pchk *c = &((const struct lw_pchk *)g->data)[i];
    if (c->off & LW_CHECK_REL)
        return (uintptr_t)(intptr_t)c->val;
    return g->base[(c->off & LW_CHECK_BASE2) ? 1 : 0] + (uintptr_t)(intptr_t)c->val;
}

/* One learned frame rule (stack_walk.c) of a return address; a thread
 * keeps the LW_RULE_LOCAL it used last in its cache. */
struct lw_rule_ent {
    uintptr_t ip;
    uint64_t rule;
};
#define LW_RULE_LOCAL 4096

/* lw_code_gen counts the times code may have changed under addresses
 * libwait already knows: an object was unloaded, or a new one was written
 * over the range of another. Each thread compares it with the value its
 * caches were filled at, before it trusts them. */
extern unsigned lw_code_gen;

/* lw_walk_init: the process-wide rule table (start-up). */
void lw_walk_init(void);

/* lw_stack_walk: the stack from the program's frame at return address ra,
 * whose callee (libwait) returns to cfa, into f (at most max frames), with
 * the checks that verify it into off and val (*nchk of them), through the
 * thread's rule table rc. Returns the depth, or -1 when a frame has no
 * usable rule. */
int lw_stack_walk(struct lw_rule_ent *rc, uintptr_t ra, uintptr_t cfa, uintptr_t *f, uint32_t max, int32_t *off,
                  uintptr_t *val, uint32_t *nchk);

/* lw_unwind: the stack from the registers saved in uc outwards into buf (at
 * most room frames, libwait's own first), by libunwind, for the stacks
 * lw_stack_walk cannot take. */
int lw_unwind(unw_context_t *uc, uintptr_t *buf, uint32_t room);

#pragma GCC visibility pop

#endif
