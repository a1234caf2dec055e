/* dlclose.c: dlclose, passed straight through and never recorded; wrapped
 * only so that libwait learns at once that code left the address space.
 *
 * The stack caches verify a stack by its return addresses. After a
 * dlclose the loader often maps the next library at the same addresses,
 * and its code (its constructors run inside dlopen) could then match the
 * old library's cached stacks. So every thread must drop its caches before
 * any of the new library's code runs: the removal is noted here, as the
 * real dlclose returns (lw_modules_unloaded). An unload libwait does not
 * see (the C library's own, of NSS or iconv modules) is noted at the next
 * new stack instead. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>

#include "runtime/runtime.h"

LW_EXPORT int dlclose(void *handle)
{
    if (LW_UNLIKELY(!real_dlclose))
        lw_resolve();
    if (LW_UNLIKELY(!real_dlclose)) {
        errno = ENOSYS;
        return -1;
    }
    int r = real_dlclose(handle);
    struct lw_thread *t = lw_tls;
    if (lw_g.ready && !(t && t->guard)) { /* not from inside libwait */
        int saved = errno;
        lw_modules_unloaded(~0ull);
        errno = saved;
    }
    return r;
}
