/* mmap.c: mmap of anonymous memory (MAP_ANONYMOUS; file mappings pass
 * through unrecorded), munmap and mremap, family "mmap", with bytes.
 * munmap and mremap cannot tell an anonymous range from a file's without
 * tracking every mapping, so every call of theirs is recorded. libwait's
 * own maps (trace chunks, perf ring, thread states, stack tables) call
 * real_mmap/real_munmap directly and are never seen here. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wrap/wrap.h"

/* mmap and munmap: a call made while the real functions are being
 * resolved (nothing to call yet) goes to the system call itself. */
LW_EXPORT void *mmap(void *a, size_t len, int prot, int flags, int fd, off_t off)
{
    if (LW_UNLIKELY(!real_mmap)) {
        lw_resolve();
        if (!real_mmap)
            return (void *)syscall(SYS_mmap, a, len, prot, flags, fd, off);
    }
    if (!(flags & MAP_ANONYMOUS))
        return real_mmap(a, len, prot, flags, fd, off);
    struct lw_thread *t = lw_wrap_enter(1);
    if (!t)
        return real_mmap(a, len, prot, flags, fd, off);
    LW_WRAP_TAIL(
        void *, real_mmap(a, len, prot, flags, fd, off), 0, LW_F_mmap,
        lw_enc_mmap(b, &t->last_addr, len, r == MAP_FAILED ? 0 : (uintptr_t)r, r == MAP_FAILED ? (unsigned)t->err : 0));
}
LW_ALIAS(mmap, mmap64);

LW_EXPORT int munmap(void *a, size_t len)
{
    if (LW_UNLIKELY(!real_munmap)) {
        lw_resolve();
        if (!real_munmap)
            return (int)syscall(SYS_munmap, a, len);
    }
    struct lw_thread *t = lw_wrap_enter(1);
    if (!t)
        return real_munmap(a, len);
    LW_WRAP_TAIL(int, real_munmap(a, len), 0, LW_F_munmap,
                 lw_enc_mmap(b, &t->last_addr, len, (uintptr_t)a, r < 0 ? (unsigned)t->err : 0));
}

/* mremap(old, old_size, new_size, flags[, new_address]) */
LW_EXPORT void *mremap(void *old, size_t osize, size_t nsize, int flags, ...)
{
    void *na = NULL;
    if (flags & MREMAP_FIXED) {
        va_list ap;
        va_start(ap, flags);
        na = va_arg(ap, void *);
        va_end(ap);
    }
    struct lw_thread *t = lw_wrap_enter(real_mremap != NULL);
    if (!t)
        return real_mremap(old, osize, nsize, flags, na);
    LW_WRAP_TAIL(void *, real_mremap(old, osize, nsize, flags, na), 0, LW_F_mremap,
                 lw_enc_mremap(b, &t->last_addr, (uintptr_t)old, osize, nsize, r == MAP_FAILED ? 0 : (uintptr_t)r,
                               r == MAP_FAILED ? (unsigned)t->err : 0));
}
