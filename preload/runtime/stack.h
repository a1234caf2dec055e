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
 * would then wait for ever (redis with jemalloc does this). uthash's
 * tables come from mmap directly (lw_map) and the stack nodes from mmap'd
 * slabs. */
void *lw_map(size_t n);
/* lw_map_filled: like lw_map, with its pages in place, for memory that will
 * be written soon and all over (a page fault costs microseconds here). */
void *lw_map_filled(size_t n);
#define uthash_malloc(sz)  lw_map(sz)
#define uthash_free(p, sz) real_munmap((p), (sz))
#define HASH_NONFATAL_OOM  1
#include <uthash.h>

#pragma GCC visibility push(hidden)

/* A distinct stack. Its checks (see stack_walk.c), stored after
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

/* lw_hash: the hash of n frames, the key of both stack tables. */
uint64_t lw_hash(const uintptr_t *f, uint32_t n);

/* lw_stack_global: find or add frames f (n of them, whose lw_hash is h) in
 * the process table, writing a new one's STACK record into t's stream; a
 * new stack has room for cap checks (lw_stack_fill gives them). NULL when
 * memory runs out. */
const struct lw_gstack *lw_stack_global(struct lw_thread *t, const uintptr_t *f, uint32_t n, uint64_t h, uint32_t cap);

/* lw_stack_fill: give g the m checks found by a walk, once (the first
 * thread to get there does it). */
void lw_stack_fill(const struct lw_gstack *g, const int32_t *off, const uintptr_t *val, uint32_t m);

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
