/* stack_table.c: the process-wide table of distinct stacks. Each stack
 * gets its id here, and is written once, as a LW_REC_STACK record in the
 * stream of the thread that found it. The table is an open-addressed table under
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

#define LW_SLAB_SIZE (256 * 1024)
static uint8_t *lw_slab;    /* current slab of stack nodes */
static size_t lw_slab_used; /* bytes of it handed out */

/* lw_node_alloc: n bytes for a stack node, from the current slab or a new
 * one (under lw_stack_spin; never freed, only dropped after a fork). Nodes
 * start on a cache line: a hit reads a node's head and checks, and no more
 * lines than those. NULL when no memory can be mapped. */
static void *lw_node_alloc(size_t n)
{
    n = (n + 63) & ~(size_t)63;
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

/* The table: open addressing, each slot a stack's hash beside its node, so
 * a probe reads a node only when the hash matches, and growing the table
 * reads no node at all. It doubles past half full. */
struct lw_gslot {
    uint64_t hash;
    const struct lw_gstack *g;
};
static struct lw_gslot *lw_gtab;
static uint32_t lw_gtab_bits, lw_gtab_items;
#define LW_GTAB_MIN_BITS 12

/* lw_gtab_put: place g, whose hash is h, in table tab of 1 << bits slots
 * (not there yet). */
static void lw_gtab_put(struct lw_gslot *tab, uint32_t bits, const struct lw_gstack *g, uint64_t h)
{
    size_t mask = ((size_t)1 << bits) - 1, s = h & mask;
    while (tab[s].g)
        s = (s + 1) & mask;
    tab[s].hash = h;
    tab[s].g = g;
}

/* lw_gtab_resize: rebuild the table with 1 << bits slots, without the
 * stacks drop says to drop (NULL: keep all). 0 when no memory is left
 * (the old table stays). */
static int lw_gtab_resize(uint32_t bits, int (*drop)(const struct lw_gstack *, uintptr_t, uintptr_t), uintptr_t lo,
                          uintptr_t hi)
{
    struct lw_gslot *nt = lw_map_filled(sizeof *nt << bits);
    if (!nt)
        return 0;
    uint32_t items = 0;
    if (lw_gtab)
        for (size_t k = 0; k < (size_t)1 << lw_gtab_bits; k++) {
            const struct lw_gstack *g = lw_gtab[k].g;
            if (g && !(drop && drop(g, lo, hi))) {
                lw_gtab_put(nt, bits, g, lw_gtab[k].hash);
                items++;
            }
        }
    if (lw_gtab)
        real_munmap(lw_gtab, sizeof *lw_gtab << lw_gtab_bits);
    lw_gtab = nt;
    lw_gtab_bits = bits;
    lw_gtab_items = items;
    return 1;
}

int lw_stack_is(const struct lw_gstack *g, const uintptr_t *f, uint32_t n)
{
    if (g->depth != n)
        return 0;
    if (g->fmt == LW_FMT_WIDE)
        return !memcmp(g->chk_val - 1, f, n * sizeof *f);
    if (f[0] != g->ra)
        return 0;
    for (uint32_t i = 0, k = 1; i < g->nchk; i++)
        if (!(lw_chk_off(g, i) & LW_CHECK_REL) && lw_chk_val(g, i) != f[k++])
            return 0;
    return 1;
}

/* lw_stack_frames: g's frames, into buf (room for depth) unless g keeps
 * them. */
static const uintptr_t *lw_stack_frames(const struct lw_gstack *g, uintptr_t *buf)
{
    if (g->fmt == LW_FMT_WIDE)
        return g->chk_val - 1;
    uint32_t k = 0;
    buf[k++] = g->ra;
    for (uint32_t i = 0; i < g->nchk; i++)
        if (!(lw_chk_off(g, i) & LW_CHECK_REL))
            buf[k++] = lw_chk_val(g, i);
    return buf;
}

/* lw_gtab_find: the stack of frames f (n of them, hash h), NULL if none. */
static const struct lw_gstack *lw_gtab_find(const uintptr_t *f, uint32_t n, uint64_t h)
{
    if (!lw_gtab)
        return NULL;
    size_t mask = ((size_t)1 << lw_gtab_bits) - 1;
    for (size_t s = h & mask; lw_gtab[s].g; s = (s + 1) & mask) {
        const struct lw_gstack *g = lw_gtab[s].g;
        if (lw_gtab[s].hash == h && lw_stack_is(g, f, n))
            return g;
    }
    return NULL;
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

/* lw_stack_write: emit the STACK record for g, of frames f, into t's
 * stream. */
static void lw_stack_write(struct lw_thread *t, const struct lw_gstack *g, const uintptr_t *f)
{
    uint8_t body[LW_STACK_REC_MAX];
    uint8_t *p = lw_enc_stack(body, g->id, f, g->depth);
    lw_writer_meta(t, LW_REC_STACK, body, (size_t)(p - body));
}

/* lw_pack: checks off and val (m of them) as lw_pchk into pk, with the
 * return addresses' bases in base; 0 when they do not fit. */
static int lw_pack(const int32_t *off, const uintptr_t *val, uint32_t m, struct lw_pchk *pk, uintptr_t *base)
{
    uint32_t nb = 0;
    for (uint32_t i = 0; i < m; i++) {
        int32_t o = off[i];
        intptr_t d = (intptr_t)val[i];
        if (o & LW_CHECK_BASE2)
            return 0;
        if (!(o & LW_CHECK_REL)) {
            if (!nb)
                base[nb++] = val[i];
            d = (intptr_t)(val[i] - base[0]);
            if (d != (int32_t)d) {
                if (nb == 1)
                    base[nb++] = val[i];
                d = (intptr_t)(val[i] - base[1]);
                o |= LW_CHECK_BASE2;
            }
        }
        if (d != (int32_t)d)
            return 0;
        pk[i].off = o;
        pk[i].val = (int32_t)d;
    }
    return 1;
}

/* lw_stack_new: a node for frames f (n of them) with the m checks
 * off and val (off NULL: none), in the smallest fmt that holds them. NULL
 * when no memory is left. */
static struct lw_gstack *lw_stack_new(const uintptr_t *f, uint32_t n, const int32_t *off, const uintptr_t *val,
                                      uint32_t m)
{
    uint32_t fmt = LW_FMT_WIDE, rel = 0;
    if (!off)
        m = 0;
    for (uint32_t i = 0; i < m; i++)
        rel |= (uint32_t)off[i] & LW_CHECK_REL;
    /* without a saved rbp the checks are the frames past the first */
    if (!rel && m && (m != n - 1 || memcmp(val, f + 1, m * sizeof *val)))
        rel = 1;
    if (rel) { /* the frames must be ra and the checks' (a walk gives them so) */
        uint32_t k = 1;
        for (uint32_t i = 0; i < m && k <= n; i++)
            if (!(off[i] & LW_CHECK_REL) && (k == n || val[i] != f[k++]))
                k = n + 1;
        if (k != n) /* never cached, then */
            off = NULL, m = 0, rel = 0;
    }
    struct lw_pchk pk[2 * LW_MAX_DEPTH];
    uintptr_t base[2] = {0, 0};
    size_t chk, klen = 0;
    if (!rel) {
        chk = ((m * sizeof(int32_t)) + 7) & ~(size_t)7;
        klen = n * sizeof *f;
    } else if (m <= 2 * LW_MAX_DEPTH && lw_pack(off, val, m, pk, base)) {
        fmt = LW_FMT_PACKED;
        chk = m * sizeof(struct lw_pchk);
    } else {
        fmt = LW_FMT_WIDE_REL;
        chk = m * (sizeof(uintptr_t) + sizeof(int32_t));
        chk = (chk + 7) & ~(size_t)7;
    }
    struct lw_gstack *g = lw_node_alloc(sizeof *g + chk + klen);
    if (!g)
        return NULL;
    uint8_t *d = (uint8_t *)g->data;
    g->ra = f[0];
    g->depth = n;
    g->nchk = m;
    g->fmt = (uint16_t)fmt;
    if (fmt == LW_FMT_WIDE) {
        uintptr_t *frames = (uintptr_t *)(d + chk);
        memcpy(frames, f, klen);
        if (m)
            memcpy(d, off, m * sizeof *off);
        g->chk_off = (const int32_t *)d;
        g->chk_val = frames + 1;
    } else if (fmt == LW_FMT_PACKED) {
        memcpy(d, pk, m * sizeof *pk);
        g->base[0] = base[0];
        g->base[1] = base[1];
    } else {
        memcpy(d, val, m * sizeof *val);
        memcpy(d + m * sizeof *val, off, m * sizeof *off);
        g->chk_val = (const uintptr_t *)d;
        g->chk_off = (const int32_t *)(d + m * sizeof *val);
    }
    g->checked = off ? LW_CHECK_OK : LW_CHECK_UNKNOWN;
    return g;
}

const struct lw_gstack *lw_stack_global(struct lw_thread *t, const uintptr_t *f, uint32_t n, uint64_t h,
                                        const int32_t *off, const uintptr_t *val, uint32_t m)
{
    lw_stack_lock();
    const struct lw_gstack *found = lw_gtab_find(f, n, h);
    /* a stack without checks, first taken by a full unwind, needs none
     * when a walk finds it one frame deep */
    if (found && off && !m && found->checked != LW_CHECK_OK)
        __atomic_store_n(&((struct lw_gstack *)found)->checked, LW_CHECK_OK, __ATOMIC_RELEASE);
    if (!found && (!lw_gtab || lw_gtab_items + 1 > (1u << lw_gtab_bits) / 2))
        lw_gtab_resize(lw_gtab ? lw_gtab_bits + 1 : LW_GTAB_MIN_BITS, NULL, 0, 0);
    /* when no memory is left for a larger table, the one there is fills
     * up, all but a slot (a probe ends at an empty one) */
    if (!found && lw_gtab && lw_gtab_items + 1 < (1u << lw_gtab_bits)) {
        struct lw_gstack *g = lw_stack_new(f, n, off, val, m);
        if (g) {
            g->id = lw_next_id++;
            lw_gtab_put(lw_gtab, lw_gtab_bits, g, h);
            lw_gtab_items++;
            lw_stack_write(t, g, f);
            t->st.stacks++;
            found = g;
        }
    }
    lw_stack_unlock();
    return found;
}

/* lw_stack_forget_range: (an object was written over [lo, hi), where
 * another one was before) drop every stack with a return address in that
 * range from the process table, so the new code's stacks get ids of their
 * own instead of the old code's, and make every thread drop its caches.
 * Other stacks keep their ids. Returns the first id a new stack will get. */
/* lw_in_range: whether g has a return address in (lo, hi] (a return
 * address follows its call). */
static int lw_in_range(const struct lw_gstack *g, uintptr_t lo, uintptr_t hi)
{
    uintptr_t buf[LW_MAX_DEPTH];
    const uintptr_t *f = lw_stack_frames(g, buf);
    for (uint32_t i = 0; i < g->depth; i++)
        if (f[i] > lo && f[i] <= hi)
            return 1;
    return 0;
}

uint32_t lw_stack_forget_range(uintptr_t lo, uintptr_t hi)
{
    lw_stack_lock();
    /* the nodes stay in their slabs: caches may point at them */
    if (lw_gtab)
        lw_gtab_resize(lw_gtab_bits, lw_in_range, lo, hi);
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
    if (lw_gtab) /* the nodes stay in their slabs, unused */
        real_munmap(lw_gtab, sizeof *lw_gtab << lw_gtab_bits);
    lw_gtab = NULL;
    lw_gtab_bits = lw_gtab_items = 0;
    lw_next_id = 1;
    __atomic_fetch_add(&lw_code_gen, 1, __ATOMIC_RELEASE);
}
