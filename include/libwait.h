/* libwait.h: bracket regions of a program for libwait, the wait profiler.
 *
 *   libwait_pause();          stop recording (every thread)
 *   libwait_resume();         record again
 *   libwait_mark("phase 2");  a named instant on this thread's timeline
 *   libwait_paused()          1 while paused, 0 otherwise or without libwait
 *
 * Header only: nothing to link. Each function looks up libwait's entry
 * points once with dlsym(RTLD_DEFAULT) and does nothing when the program
 * runs without LD_PRELOAD=libwait.so. On glibc before 2.34 link with -ldl.
 * Safe to call from any thread. Not async-signal-safe on the first call
 * (dlsym); later calls are. Compiles as C89 and later (GCC or Clang: it
 * uses __inline__ and the __atomic builtins). */
#ifndef LIBWAIT_H
#define LIBWAIT_H

#include <dlfcn.h>

#ifdef RTLD_DEFAULT
#define LIBWAIT_RTLD_DEFAULT_ RTLD_DEFAULT
#else
#define LIBWAIT_RTLD_DEFAULT_ ((void *)0) /* glibc's value, without _GNU_SOURCE */
#endif

/* libwait_sym_: entry point i (0 pause, 1 resume, 2 mark, 3 paused) of the
 * preloaded libwait, or NULL. Resolved once per translation unit. */
static __inline__ void *libwait_sym_(int i)
{
    static void *fn[4];
    static int state; /* 0 not looked up, 1 done */
    if (!__atomic_load_n(&state, __ATOMIC_ACQUIRE)) {
        static const char *const names[4] = {"lw_api_pause", "lw_api_resume", "lw_api_mark", "lw_api_paused"};
        int k;
        for (k = 0; k < 4; k++)
            __atomic_store_n(&fn[k], dlsym(LIBWAIT_RTLD_DEFAULT_, names[k]), __ATOMIC_RELAXED);
        __atomic_store_n(&state, 1, __ATOMIC_RELEASE);
    }
    return __atomic_load_n(&fn[i], __ATOMIC_RELAXED);
}

static __inline__ void libwait_pause(void)
{
    union {
        void *p;
        void (*f)(void);
    } u;
    u.p = libwait_sym_(0);
    if (u.p)
        u.f();
}

static __inline__ void libwait_resume(void)
{
    union {
        void *p;
        void (*f)(void);
    } u;
    u.p = libwait_sym_(1);
    if (u.p)
        u.f();
}

static __inline__ void libwait_mark(const char *name)
{
    union {
        void *p;
        void (*f)(const char *);
    } u;
    u.p = libwait_sym_(2);
    if (u.p)
        u.f(name);
}

static __inline__ int libwait_paused(void)
{
    union {
        void *p;
        int (*f)(void);
    } u;
    u.p = libwait_sym_(3);
    return u.p ? u.f() : 0;
}

#endif
