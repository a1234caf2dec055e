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
 * Memory: one entry (~100 bytes, pooled, no malloc per call) per block live
 * at a time, i.e. it grows with the program's own live block count. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The live table is keyed by 8-byte pointers only: multiplicative hashing
 * is enough and much cheaper than uthash's default (this file's tables only). */
#define HASH_FUNCTION(keyptr, keylen, hashv)                                                                           \
    do {                                                                                                               \
        uint64_t k_;                                                                                                   \
        memcpy(&k_, (keyptr), sizeof k_);                                                                              \
        (hashv) = (unsigned)((k_ * 0x9e3779b97f4a7c15ull) >> 32);                                                      \
        (void)(keylen);                                                                                                \
    } while (0)

#include "analyses.h"

#define POOL_BLOCK 4096

struct live {
    UT_hash_handle hh;
    uint64_t ptr, size;
    struct wr_site *site;
    struct live *next_free;
};

struct pool_block {
    struct pool_block *next;
    struct live e[POOL_BLOCK];
};

struct wr_heapan {
    struct wr_model *m;
    struct live *live; /* hash by ptr */
    struct live *free_list;
    struct pool_block *blocks;
};

struct wr_heapan *wr_heap_new(struct wr_model *m)
{
    struct wr_heapan *h = calloc(1, sizeof *h);
    if (h)
        h->m = m;
    return h;
}

/* entry: a free pooled entry; NULL on OOM. */
static struct live *entry(struct wr_heapan *h)
{
    if (!h->free_list) {
        struct pool_block *b = malloc(sizeof *b);
        if (!b)
            return NULL;
        b->next = h->blocks;
        h->blocks = b;
        for (size_t i = 0; i < POOL_BLOCK; i++) {
            b->e[i].next_free = h->free_list;
            h->free_list = &b->e[i];
        }
    }
    struct live *e = h->free_list;
    h->free_list = e->next_free;
    return e;
}

/* release: ptr stops being live (no-op when it is not). */
static void release(struct wr_heapan *h, uint64_t ptr)
{
    struct live *e;
    HASH_FIND(hh, h->live, &ptr, sizeof ptr, e);
    if (!e) {
        h->m->heap.foreign_frees++;
        return;
    }
    HASH_DEL(h->live, e);
    h->m->heap.live_bytes -= e->size;
    h->m->heap.live_count--;
    e->site->live_bytes -= e->size;
    e->next_free = h->free_list;
    h->free_list = e;
}

/* acquire: ptr becomes live with size, allocated at site s at key (TSC). */
static int acquire(struct wr_heapan *h, struct wr_site *s, uint64_t ptr, uint64_t size, uint64_t key)
{
    struct wr_model *m = h->m;
    struct wr_heap *hp = &m->heap;
    struct live *e;
    HASH_FIND(hh, h->live, &ptr, sizeof ptr, e);
    if (e) /* its free was not recorded */
        release(h, ptr);
    e = entry(h);
    if (!e)
        return -1;
    e->ptr = ptr;
    e->size = size;
    e->site = s;
    HASH_ADD(hh, h->live, ptr, sizeof e->ptr, e);
    s->allocs++;
    s->alloc_bytes += size;
    s->live_bytes += size;
    if (s->live_bytes > s->peak_bytes)
        s->peak_bytes = s->live_bytes;
    hp->live_bytes += size;
    hp->live_count++;
    if (hp->live_bytes > hp->peak_bytes) {
        uint64_t ns = wr_cpu_mono(m, key), t0 = m->trace->hdr.start_mono_ns;
        hp->peak_bytes = hp->live_bytes;
        hp->peak_count = hp->live_count;
        hp->peak_ns = ns > t0 ? ns - t0 : 0;
    }
    return 0;
}

int wr_heap_event(struct wr_heapan *h, struct wr_site *s, const struct wr_event *ev)
{
    uint64_t key = wr_timeline_key(ev);
    switch (lw_func_info_of(ev->kind)->schema) {
    case LW_S_ALLOC:
        return ev->ptr ? acquire(h, s, ev->ptr, ev->size, key) : 0;
    case LW_S_MEMALIGN:
        return ev->ptr && !ev->err ? acquire(h, s, ev->ptr, ev->size, key) : 0;
    case LW_S_FREE:
        if (ev->ptr)
            release(h, ev->ptr);
        return 0;
    case LW_S_REALLOC:
        if (ev->ptr) {
            if (ev->old)
                release(h, ev->old);
            return acquire(h, s, ev->ptr, ev->size, key);
        }
        if (!ev->size && ev->old) /* realloc(p, 0) freed p */
            release(h, ev->old);
        return 0;
    }
    return 0;
}

void wr_heap_finish(struct wr_heapan *h)
{
    struct wr_heap *hp = &h->m->heap;
    struct live *e, *tmp;
    HASH_ITER(hh, h->live, e, tmp)
    {
        e->site->leaked++;
        e->site->leaked_bytes += e->size;
        hp->leaked++;
        hp->leaked_bytes += e->size;
    }
    HASH_CLEAR(hh, h->live);
    while (h->blocks) {
        struct pool_block *b = h->blocks;
        h->blocks = b->next;
        free(b);
    }
    free(h);
}
