/* stack_table.c: the process-wide table of distinct stacks. Each stack
 * gets its id here, and is written once, as a LW_REC_STACK record in the
 * stream of the thread that found it. The table is a uthash table under
 * lw_stack_spin, reached only when both of a thread's own caches miss
 * (stack.c); its nodes come from mmap'd slabs, never the program's
 * allocator (stack.h says why). */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "runtime/spin.h"
#include "runtime/stack.h"

/* lw_map: n bytes of fresh anonymous memory, NULL when none. */
void *lw_map(size_t n)
{
    void *m = real_mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}

/* lw_map_filled: like lw_map, for memory that will all be written soon (the
 * slabs of stack nodes): mapped with its pages in place, because a page
 * fault costs several microseconds on a virtual machine, and a program with
 * many stacks would take one every few new stacks. */
void *lw_map_filled(size_t n)
{
    void *m = real_mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    return m == MAP_FAILED ? NULL : m;
}
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

uint64_t lw_hash(const uintptr_t *f, uint32_t n)
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
    uint8_t body[LW_STACK_REC_MAX];
    uint8_t *p = lw_enc_stack(body, g->id, g->frames, g->depth);
    lw_writer_meta(t, LW_REC_STACK, body, (size_t)(p - body));
}

const struct lw_gstack *lw_stack_global(struct lw_thread *t, const uintptr_t *f, uint32_t n, uint64_t h, uint32_t cap)
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

void lw_stack_fill(const struct lw_gstack *cg, const int32_t *off, const uintptr_t *val, uint32_t m)
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
                HASH_DELETE(hh, lw_gtab, g);               /* the node stays in its slab: caches may point at it */
                break;
            }
    }
    uint32_t first = lw_next_id;
    __atomic_fetch_add(&lw_code_gen, 1, __ATOMIC_RELEASE);
    lw_stack_unlock();
    return first;
}

/* lw_stack_reset_after_fork: the child's new file has no stacks yet, so
 * no thread cache may name one: the caches kept with spare thread states
 * (thread.c) empty themselves at their first use (lw_code_gen moved). */
void lw_stack_reset_after_fork(void)
{
    HASH_CLEAR(hh, lw_gtab); /* the nodes stay in their slabs, unused */
    lw_next_id = 1;
    __atomic_fetch_add(&lw_code_gen, 1, __ATOMIC_RELEASE);
}
