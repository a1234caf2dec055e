/* resolve.c: the one place that looks up the real functions (the list is
 * LW_REAL_FUNCS in resolve.h), and the bootstrap arena that serves the
 * allocations dlsym makes while it runs. */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "runtime/runtime.h"

#define LW_REAL_DEFINE(rtype, name, params)            rtype(*real_##name) params;
#define LW_REAL_DEFINE_V(rtype, name, params, version) LW_REAL_DEFINE(rtype, name, params)
LW_REAL_FUNCS(LW_REAL_DEFINE, LW_REAL_DEFINE_V)
#undef LW_REAL_DEFINE
#undef LW_REAL_DEFINE_V

/* ---- bootstrap arena: serves allocations made while dlsym runs ---- */

_Alignas(4096) unsigned char lw_arena[LW_ARENA_SIZE];
static size_t lw_arena_used;
static int lw_resolve_state; /* 0 not started, 1 running, 2 done */

/* lw_arena_alloc: the size is stored just before the block. */
void *lw_arena_alloc(size_t n, size_t align)
{
    if (align < 16)
        align = 16;
    size_t off = (lw_arena_used + 16 + align - 1) & ~(align - 1);
    if (n > LW_ARENA_SIZE || off + n > LW_ARENA_SIZE)
        return NULL;
    ((size_t *)(lw_arena + off))[-1] = n;
    lw_arena_used = off + n;
    return lw_arena + off;
}

size_t lw_arena_size(const void *p) { return ((const size_t *)p)[-1]; }

void *lw_real_sym(const char *name, const char *version)
{
    void *p = version ? dlvsym(RTLD_NEXT, name, version) : NULL;
    return p ? p : dlsym(RTLD_NEXT, name);
}

void lw_resolve(void)
{
    if (lw_resolve_state != 0)
        return;
    lw_resolve_state = 1;
#define LW_REAL_RESOLVE(rtype, name, params)            LW_REAL_LOOKUP(name, NULL);
#define LW_REAL_RESOLVE_V(rtype, name, params, version) LW_REAL_LOOKUP(name, version);
    LW_REAL_FUNCS(LW_REAL_RESOLVE, LW_REAL_RESOLVE_V)
#undef LW_REAL_RESOLVE
#undef LW_REAL_RESOLVE_V
    lw_resolve_state = 2;
}
