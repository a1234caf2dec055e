/* malloc.c: the malloc family. Before the real functions are resolved (and
 * while dlsym resolves them, allocating as it goes) allocations come from
 * the bootstrap arena (runtime/resolve.c); free and realloc recognise arena
 * pointers. So each wrapper resolves first and falls back to the arena
 * itself (LW_NEED_ARENA), then takes the shape of wrap.h. */
#define _GNU_SOURCE
#include <string.h>

#include "wrap/wrap.h"

/* LW_NEED_ARENA(name): whether real_<name> is still unset after asking
 * lw_resolve (which returns at once while it runs). */
#define LW_NEED_ARENA(name) (LW_UNLIKELY(!real_##name) && (lw_resolve(), !real_##name))

/* LW_WRAP_ALLOC: an allocator whose arena fallback is arena (an
 * expression), recorded with bytes size. */
#define LW_WRAP_ALLOC(sym, params, args, size, arena)                                                                  \
    LW_EXPORT void *sym params                                                                                         \
    {                                                                                                                  \
        if (LW_NEED_ARENA(sym))                                                                                        \
            return (arena);                                                                                            \
        struct lw_thread *t = lw_wrap_enter(1);                                                                        \
        if (!t)                                                                                                        \
            return real_##sym args;                                                                                    \
        LW_WRAP_TAIL(void *, real_##sym args, 0, LW_F_##sym, lw_enc_alloc(b, &t->last_addr, (size), (uintptr_t)r));    \
    }

/* lw_calloc_bytes: n * m, or SIZE_MAX when that does not fit a size_t: a
 * size calloc fails for, and the arena too (it is far smaller). From the
 * arena (static memory) a block is already zero. */
static inline size_t lw_calloc_bytes(size_t n, size_t m) { return m && n > SIZE_MAX / m ? SIZE_MAX : n * m; }

LW_WRAP_ALLOC(malloc, (size_t n), (n), n, lw_arena_alloc(n, 16))
LW_WRAP_ALLOC(calloc, (size_t n, size_t m), (n, m), lw_calloc_bytes(n, m), lw_arena_alloc(lw_calloc_bytes(n, m), 16))
LW_WRAP_ALLOC(aligned_alloc, (size_t align, size_t n), (align, n), n, lw_arena_alloc(n, align))
LW_WRAP_ALLOC(memalign, (size_t align, size_t n), (align, n), n, lw_arena_alloc(n, align))
LW_WRAP_ALLOC(valloc, (size_t n), (n), n, lw_arena_alloc(n, 4096))

LW_EXPORT void free(void *p)
{
    if (LW_UNLIKELY(lw_arena_owns(p)))
        return;
    if (LW_NEED_ARENA(free))
        return; /* nothing but the arena can have allocated yet */
    struct lw_thread *t = lw_wrap_enter(1);
    if (!t) {
        real_free(p);
        return;
    }
    uint64_t t0 = lw_rdtsc();
    real_free(p);
    uint8_t *b = lw_wrap_record(t, t0, lw_rdtsc());
    if (b)
        b = lw_enc_free(b, &t->last_addr, (uintptr_t)p);
    lw_wrap_leave(t, LW_F_free, b);
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
    if (LW_NEED_ARENA(realloc))
        return lw_arena_alloc(n, 16); /* old is NULL: only the arena exists */
    struct lw_thread *t = lw_wrap_enter(1);
    if (!t)
        return real_realloc(old, n);
    LW_WRAP_TAIL(void *, real_realloc(old, n), 0, LW_F_realloc,
                 lw_enc_realloc(b, &t->last_addr, (uintptr_t)old, n, (uintptr_t)r));
}

LW_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (LW_NEED_ARENA(posix_memalign)) {
        *out = lw_arena_alloc(n, align);
        return *out ? 0 : ENOMEM;
    }
    struct lw_thread *t = lw_wrap_enter(1);
    if (!t)
        return real_posix_memalign(out, align, n);
    LW_WRAP_TAIL(int, real_posix_memalign(out, align, n), 0, LW_F_posix_memalign,
                 lw_enc_memalign(b, &t->last_addr, n, r == 0 ? (uintptr_t)*out : 0, (uint64_t)r));
}
