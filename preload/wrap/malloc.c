/* malloc.c: the malloc family. Before the real functions are resolved (and
 * while dlsym resolves them) allocations come from the bootstrap arena;
 * free and realloc recognise arena pointers. */
#define _GNU_SOURCE
#include <string.h>

#include "runtime/runtime.h"

/* lw_need_arena: whether allocations must come from the arena now. */
static inline int lw_need_arena(void *fn)
{
    if (LW_LIKELY(fn != NULL))
        return 0;
    if (!lw_resolving())
        lw_resolve();
    return 1;
}

/* lw_rec_alloc: record an allocation returning p for size bytes. */
static inline void lw_rec_alloc(struct lw_thread *t, unsigned f, uint64_t t0, uint64_t t1, size_t size, void *p)
{
    uint8_t *b = lw_rec_start(t, t0, t1);
    if (b) {
        b = lw_put_uv(b, size);
        lw_rec_commit(t, f, lw_rec_addr(t, b, (uintptr_t)p));
    }
    lw_leave(t);
}

LW_EXPORT void *malloc(size_t n)
{
    if (LW_UNLIKELY(lw_need_arena((void *)real_malloc)) && !real_malloc)
        return lw_arena_alloc(n, 16);
    struct lw_thread *t = lw_enter();
    if (!t)
        return real_malloc(n);
    uint64_t t0 = lw_rdtsc();
    void *p = real_malloc(n);
    uint64_t t1 = lw_rdtsc();
    lw_rec_alloc(t, LW_F_malloc, t0, t1, n, p);
    return p;
}

LW_EXPORT void *calloc(size_t n, size_t m)
{
    if (LW_UNLIKELY(lw_need_arena((void *)real_calloc)) && !real_calloc) {
        if (m && n > (size_t)-1 / m)
            return NULL;
        return lw_arena_alloc(n * m, 16); /* static memory: already zero */
    }
    struct lw_thread *t = lw_enter();
    if (!t)
        return real_calloc(n, m);
    uint64_t t0 = lw_rdtsc();
    void *p = real_calloc(n, m);
    uint64_t t1 = lw_rdtsc();
    size_t bytes = (m && n > (size_t)-1 / m) ? (size_t)-1 : n * m;
    lw_rec_alloc(t, LW_F_calloc, t0, t1, bytes, p);
    return p;
}

LW_EXPORT void free(void *p)
{
    if (LW_UNLIKELY(lw_arena_owns(p)))
        return;
    if (LW_UNLIKELY(lw_need_arena((void *)real_free)) && !real_free)
        return; /* nothing but the arena can have allocated yet */
    struct lw_thread *t = lw_enter();
    if (!t) {
        real_free(p);
        return;
    }
    uint64_t t0 = lw_rdtsc();
    real_free(p);
    uint64_t t1 = lw_rdtsc();
    uint8_t *b = lw_rec_start(t, t0, t1);
    if (b)
        lw_rec_commit(t, LW_F_free, lw_rec_addr(t, b, (uintptr_t)p));
    lw_leave(t);
}

LW_EXPORT void *realloc(void *old, size_t n)
{
    if (LW_UNLIKELY(lw_arena_owns(old))) {
        void *p = malloc(n);
        if (p) {
            size_t o = lw_arena_size(old);
            memcpy(p, old, o < n ? o : n);
        }
        return p;
    }
    if (LW_UNLIKELY(lw_need_arena((void *)real_realloc)) && !real_realloc)
        return lw_arena_alloc(n, 16); /* old is NULL: only the arena exists */
    struct lw_thread *t = lw_enter();
    if (!t)
        return real_realloc(old, n);
    uint64_t t0 = lw_rdtsc();
    void *p = real_realloc(old, n);
    uint64_t t1 = lw_rdtsc();
    uint8_t *b = lw_rec_start(t, t0, t1);
    if (b) {
        b = lw_rec_addr(t, b, (uintptr_t)old);
        b = lw_put_uv(b, n);
        lw_rec_commit(t, LW_F_realloc, lw_rec_addr(t, b, (uintptr_t)p));
    }
    lw_leave(t);
    return p;
}

LW_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (LW_UNLIKELY(lw_need_arena((void *)real_posix_memalign)) && !real_posix_memalign) {
        *out = lw_arena_alloc(n, align);
        return *out ? 0 : ENOMEM;
    }
    struct lw_thread *t = lw_enter();
    if (!t)
        return real_posix_memalign(out, align, n);
    uint64_t t0 = lw_rdtsc();
    int r = real_posix_memalign(out, align, n);
    uint64_t t1 = lw_rdtsc();
    uint8_t *b = lw_rec_start(t, t0, t1);
    if (b) {
        b = lw_put_uv(b, n);
        b = lw_rec_addr(t, b, r == 0 ? (uintptr_t)*out : 0);
        lw_rec_commit(t, LW_F_posix_memalign, lw_put_uv(b, (uint64_t)r));
    }
    lw_leave(t);
    return r;
}

/* LW_ALIGNED_WRAPPER: aligned_alloc/memalign/valloc share one shape. */
#define LW_ALIGNED_WRAPPER(name, params, args, align_expr, size_expr)            \
    LW_EXPORT void *name params                                                  \
    {                                                                            \
        if (LW_UNLIKELY(lw_need_arena((void *)real_##name)) && !real_##name)     \
            return lw_arena_alloc(size_expr, align_expr);                        \
        struct lw_thread *t = lw_enter();                                        \
        if (!t)                                                                  \
            return real_##name args;                                             \
        uint64_t t0 = lw_rdtsc();                                                \
        void *p = real_##name args;                                              \
        uint64_t t1 = lw_rdtsc();                                                \
        lw_rec_alloc(t, LW_F_##name, t0, t1, size_expr, p);                      \
        return p;                                                                \
    }

LW_ALIGNED_WRAPPER(aligned_alloc, (size_t align, size_t n), (align, n), align, n)
LW_ALIGNED_WRAPPER(memalign, (size_t align, size_t n), (align, n), align, n)
LW_ALIGNED_WRAPPER(valloc, (size_t n), (n), 4096, n)
