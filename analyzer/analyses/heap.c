/* heap.c: the live heap, fed by the timeline (malloc family calls of all
 * threads in time order, see analyses.h), so a block freed by another
 * thread than the one that allocated it is matched like any other.
 *
 * An allocation that returned a pointer makes it live with its size and
 * site; free, and realloc's old pointer, end it (realloc(p, 0) that returned
 * NULL frees p; a failed realloc leaves p live). free(NULL), failed
 * allocations and frees of pointers not allocated in the trace (before
 * tracing began, or by libwait's own start-up allocator) change nothing;
 * the last are counted. A pointer returned while it is still live (its free
 * was not recorded) replaces the older block. Whatever is live when the
 * trace ends is leaked: at exit for a trace whose process exited.
 *
 * Memory: one 24-byte slot per block live at a time, at most half full (an
 * open-addressing table, linear probing), i.e. it grows with the program's
 * own live block count; no allocation per call. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyses/analyses.h"
#include "model/merge.h"

struct live {
    uint64_t ptr; /* 0: empty slot (a NULL result is never live) */
    uint64_t size;
    struct wr_site *site;
};

struct wr_live_heap {
    struct wr_model *m;
    struct live *tab; /* cap slots, a power of two */
    size_t cap, n;
    uint8_t schema[256]; /* by kind: the schema of a malloc-family call (heap_wants), else 0xff */
};

#define HEAP_MIN_CAP 1024

static void *heap_begin(struct wr_model *m)
{
    struct wr_live_heap *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->m = m;
    h->tab = calloc(HEAP_MIN_CAP, sizeof *h->tab);
    if (!h->tab) {
        free(h);
        return NULL;
    }
    h->cap = HEAP_MIN_CAP;
    for (unsigned k = 0; k < 256; k++) { /* one look-up per call, not lw_func_info_of's checks */
        const struct lw_func_info *fi = lw_func_info_of(k);
        h->schema[k] = fi ? fi->schema : 0xff;
    }
    return h;
}

/* slot_of: the home slot of ptr (multiplicative hashing: keys are addresses). */
static inline size_t slot_of(const struct wr_live_heap *h, uint64_t ptr)
{
    return (size_t)((ptr * 0x9e3779b97f4a7c15ull) >> 32) & (h->cap - 1);
}

/* find: the slot holding ptr, or the empty slot where it would go. */
static inline size_t find(const struct wr_live_heap *h, uint64_t ptr)
{
    size_t i = slot_of(h, ptr);
    while (h->tab[i].ptr && h->tab[i].ptr != ptr)
        i = (i + 1) & (h->cap - 1);
    return i;
}

/* grow: double the table. -1 on OOM (the table is unchanged). */
static int grow(struct wr_live_heap *h)
{
    struct live *old = h->tab;
    size_t ocap = h->cap;
    struct live *n = calloc(2 * ocap, sizeof *n);
    if (!n)
        return -1;
    h->tab = n;
    h->cap = 2 * ocap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].ptr)
            h->tab[find(h, old[i].ptr)] = old[i];
    free(old);
    return 0;
}

/* unlink_slot: empty slot i, moving later entries of its probe run back so
 * every entry stays reachable from its home slot. */
static __attribute__((noinline)) void unlink_slot(struct wr_live_heap *h, size_t i)
{
    size_t mask = h->cap - 1;
    for (size_t j = (i + 1) & mask; h->tab[j].ptr; j = (j + 1) & mask) {
        size_t home = slot_of(h, h->tab[j].ptr);
        /* j's entry may move to i when its home is not in (i, j] cyclically */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            h->tab[i] = h->tab[j];
            i = j;
        }
    }
    h->tab[i].ptr = 0;
    h->n--;
}

/* release: ptr stops being live (no-op when it is not). */
static inline void release(struct wr_live_heap *h, uint64_t ptr)
{
    size_t i = find(h, ptr);
    struct live *e = &h->tab[i];
    if (!e->ptr) {
        h->m->heap.foreign_frees++;
        return;
    }
    h->m->heap.live_bytes -= e->size;
    h->m->heap.live_count--;
    e->site->live_bytes -= e->size;
    unlink_slot(h, i);
}

/* new_peak: the process's live bytes just rose above their peak, at call ev. */
static __attribute__((noinline)) void new_peak(struct wr_live_heap *h, const struct wr_event *ev)
{
    struct wr_model *m = h->m;
    struct wr_heap *hp = &m->heap;
    uint64_t ns = wr_cpu_mono(m, wr_timeline_key(ev)), t0 = m->trace->hdr.start_mono_ns;
    hp->peak_bytes = hp->live_bytes;
    hp->peak_count = hp->live_count;
    hp->peak_ns = ns > t0 ? ns - t0 : 0;
}

/* replace: the slot for ptr, which is live already (its free was not
 * recorded): the older block ends first. */
static __attribute__((noinline)) size_t replace(struct wr_live_heap *h, uint64_t ptr)
{
    release(h, ptr);
    return find(h, ptr);
}

/* acquire: ptr becomes live with size, allocated at site s by call ev. The
 * rare steps are out of line: the likely path then needs few registers. */
static inline __attribute__((always_inline)) int acquire(struct wr_live_heap *h, struct wr_site *s, uint64_t ptr,
                                                         uint64_t size, const struct wr_event *ev)
{
    struct wr_model *m = h->m;
    struct wr_heap *hp = &m->heap;
    if (__builtin_expect(2 * (h->n + 1) > h->cap, 0) && grow(h) != 0)
        return -1;
    size_t i = find(h, ptr);
    if (__builtin_expect(h->tab[i].ptr != 0, 0))
        i = replace(h, ptr);
    h->tab[i] = (struct live){ptr, size, s};
    h->n++;
    s->allocs++;
    s->alloc_bytes += size;
    s->live_bytes += size;
    if (s->live_bytes > s->peak_bytes)
        s->peak_bytes = s->live_bytes;
    hp->live_bytes += size;
    hp->live_count++;
    if (__builtin_expect(hp->live_bytes > hp->peak_bytes, 0))
        new_peak(h, ev);
    return 0;
}

/* heap_rare: heap_event's calls other than malloc's and free's, out of line. */
static __attribute__((noinline)) int heap_rare(struct wr_live_heap *h, struct wr_site *s, const struct wr_event *ev)
{
    switch (h->schema[ev->kind & 0xff]) {
    case LW_S_MEMALIGN:
        return ev->ptr && !ev->err ? acquire(h, s, ev->ptr, ev->size, ev) : 0;
    case LW_S_FREE:
        if (ev->ptr)
            release(h, ev->ptr);
        return 0;
    case LW_S_REALLOC:
        if (ev->ptr) {
            if (ev->old)
                release(h, ev->old);
            return acquire(h, s, ev->ptr, ev->size, ev);
        }
        if (!ev->size && ev->old) /* realloc(p, 0) freed p */
            release(h, ev->old);
        return 0;
    }
    return 0;
}

/* acquire_out: acquire, out of line. */
static __attribute__((noinline)) int acquire_out(struct wr_live_heap *h, struct wr_site *s, const struct wr_event *ev)
{
    return acquire(h, s, ev->ptr, ev->size, ev);
}

/* release_out: the rest of release once ptr was found live at slot i. */
static __attribute__((noinline)) int release_out(struct wr_live_heap *h, size_t i)
{
    unlink_slot(h, i);
    return 0;
}

/* new_peak_out: new_peak as heap_event's last step. */
static __attribute__((noinline)) int new_peak_out(struct wr_live_heap *h, const struct wr_event *ev)
{
    new_peak(h, ev);
    return 0;
}

/* heap_event: malloc's and free's steps are acquire's and release's likely
 * paths written out, where every step off them is a call as the last thing
 * done (a jump): the function then needs no register saved across a call,
 * so its entry and exit save none; it runs on every call of the family. */
static int heap_event(void *state, size_t th, struct wr_site *s, const struct wr_event *ev)
{
    struct wr_live_heap *h = state;
    (void)th;
    unsigned sch = h->schema[ev->kind & 0xff];
    uint64_t ptr = ev->ptr;
    if (sch == LW_S_ALLOC) {
        if (!ptr)
            return 0;
        if (__builtin_expect(2 * (h->n + 1) > h->cap, 0))
            return acquire_out(h, s, ev);
        size_t i = find(h, ptr);
        if (__builtin_expect(h->tab[i].ptr != 0, 0)) /* live already: acquire replaces it */
            return acquire_out(h, s, ev);
        uint64_t size = ev->size;
        h->tab[i] = (struct live){ptr, size, s};
        h->n++;
        s->allocs++;
        s->alloc_bytes += size;
        s->live_bytes += size;
        if (s->live_bytes > s->peak_bytes)
            s->peak_bytes = s->live_bytes;
        struct wr_heap *hp = &h->m->heap;
        hp->live_bytes += size;
        hp->live_count++;
        if (__builtin_expect(hp->live_bytes > hp->peak_bytes, 0))
            return new_peak_out(h, ev);
        return 0;
    }
    if (sch == LW_S_FREE) {
        if (!ptr)
            return 0;
        size_t i = find(h, ptr);
        struct live *e = &h->tab[i];
        if (!e->ptr) {
            h->m->heap.foreign_frees++;
            return 0;
        }
        h->m->heap.live_bytes -= e->size;
        h->m->heap.live_count--;
        e->site->live_bytes -= e->size;
        if (h->tab[(i + 1) & (h->cap - 1)].ptr) /* a probe run goes on: unlink_slot moves it */
            return release_out(h, i);
        e->ptr = 0;
        h->n--;
        return 0;
    }
    return heap_rare(h, s, ev);
}

static int heap_finish(void *state)
{
    struct wr_live_heap *h = state;
    struct wr_heap *hp = &h->m->heap;
    for (size_t i = 0; i < h->cap; i++) {
        struct live *e = &h->tab[i];
        if (!e->ptr)
            continue;
        e->site->leaked++;
        e->site->leaked_bytes += e->size;
        hp->leaked++;
        hp->leaked_bytes += e->size;
    }
    free(h->tab);
    free(h);
    return 0;
}

/* heap_wants: the malloc family's calls */
static int heap_wants(unsigned kind)
{
    const struct lw_func_info *fi = lw_func_info_of(kind);
    return fi && fi->family == LW_FAM_MALLOC;
}

static void heap_release(struct wr_model *m) { (void)m; }

const struct wr_analysis wr_heap_analysis = {"heap", heap_wants, heap_begin, heap_event, heap_finish, heap_release};
