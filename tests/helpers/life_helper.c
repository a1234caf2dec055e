/* life_helper.c: process life-cycle cases for the safety tests. Every mode
 * makes known calls at named sites (site_*: malloc+free pairs) so a trace
 * can be checked for exact counts, and prints the same stdout with or
 * without the preload.
 *   fork        multi-threaded parent forks children while two threads are
 *               inside the recorder; each child starts a thread and forks a
 *               grandchild while that thread runs
 *   spawn SELF  posix_spawn, vfork+exec, fork+exec and vfork+write+_exit
 *               children
 *   exec SELF   exec without exit (same pid), the new image does known calls
 *   after       (the exec'd image) known calls, then exit
 *   execfail    known calls, an exec that fails (no such file), known
 *               calls after it at site_after, then exit
 *   _exit | abort | kill | segv   known calls, then end that way
 *   dlclose     dlopen libz, allocate inside it, dlclose, go on */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define FORKS       12
#define CHILD_CALLS 100

static __thread void *volatile sink;
static volatile int stop;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) static void site_parent(void)
{
    sink = malloc(40);
    free(sink);
}
__attribute__((noinline)) static void site_child(void)
{
    sink = malloc(56);
    free(sink);
}
__attribute__((noinline)) static void site_child_thread(void)
{
    sink = malloc(72);
    free(sink);
}
__attribute__((noinline)) static void site_grandchild(void)
{
    sink = malloc(88);
    free(sink);
}
__attribute__((noinline)) static void site_before(void)
{
    sink = malloc(104);
    free(sink);
}
__attribute__((noinline)) static void site_after(void)
{
    sink = malloc(120);
    free(sink);
}

/* busy: keeps a thread inside the recorder (malloc, free, locks) until stop,
 * from a few stack depths so that some calls take the unwind path. */
__attribute__((noinline)) static void busy_at(int depth)
{
    if (depth > 0) {
        busy_at(depth - 1);
        return;
    }
    sink = malloc(16);
    pthread_mutex_lock(&mu);
    pthread_mutex_unlock(&mu);
    free(sink);
}

static void *busy(void *arg)
{
    (void)arg;
    for (unsigned i = 0; !__atomic_load_n(&stop, __ATOMIC_RELAXED); i++)
        busy_at((int)(i % 7));
    return NULL;
}

static void *child_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < CHILD_CALLS / 2; i++)
        site_child_thread();
    return NULL;
}

/* waitok: wait for pid; 1 if it exited with status 0. */
static int waitok(pid_t pid)
{
    int st;
    return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static int mode_fork(void)
{
    pthread_t b[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&b[i], NULL, busy, NULL);
    int ok = 0;
    for (int k = 0; k < FORKS; k++) {
        pid_t pid = fork();
        if (pid == 0) {
            pthread_t t;
            if (pthread_create(&t, NULL, child_thread, NULL))
                _exit(1);
            for (int i = 0; i < CHILD_CALLS; i++)
                site_child();
            pid_t g = fork(); /* while child_thread may be inside the recorder */
            if (g == 0) {
                for (int i = 0; i < CHILD_CALLS; i++)
                    site_grandchild();
                exit(0);
            }
            pthread_join(t, NULL);
            exit(g > 0 && waitok(g) ? 0 : 1);
        }
        ok += pid > 0 && waitok(pid);
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 2; i++)
        pthread_join(b[i], NULL);
    for (int i = 0; i < CHILD_CALLS; i++)
        site_parent();
    printf("fork: %d of %d children ok\n", ok, FORKS);
    return ok == FORKS ? 0 : 1;
}

static int mode_spawn(const char *self)
{
    volatile int ok = 0; /* vfork shares the frame */
    char *av[] = {(char *)self, "after", NULL};
    pid_t pid;
    if (posix_spawn(&pid, self, NULL, NULL, av, environ) == 0)
        ok += waitok(pid);
    fflush(stdout);
    pid = vfork();
    if (pid == 0) {
        execve(self, av, environ);
        _exit(127);
    }
    ok += pid > 0 && waitok(pid);
    pid = fork(); /* fork, then exec at once: no call in between */
    if (pid == 0) {
        execve(self, av, environ);
        _exit(127);
    }
    ok += pid > 0 && waitok(pid);
    pid = vfork();
    if (pid == 0) {
        static const char msg[] = "vfork child wrote this\n";
        _exit(write(1, msg, sizeof msg - 1) == sizeof msg - 1 ? 0 : 1);
    }
    ok += pid > 0 && waitok(pid);
    for (int i = 0; i < CHILD_CALLS; i++)
        site_parent();
    printf("spawn: %d of 4 children ok\n", ok);
    return ok == 4 ? 0 : 1;
}

/* mode_dlclose: allocations inside a library that is unloaded afterwards. */
static int mode_dlclose(void)
{
    for (int round = 0; round < 2; round++) {
        void *z = dlopen("libz.so.1", RTLD_NOW);
        if (!z)
            return 1;
        int (*init)(void *, int, const char *, int) = (int (*)(void *, int, const char *, int))dlsym(z, "deflateInit_");
        int (*end)(void *) = (int (*)(void *))dlsym(z, "deflateEnd");
        const char *(*ver)(void) = (const char *(*)(void))dlsym(z, "zlibVersion");
        unsigned char strm[112]; /* sizeof(z_stream) on x86-64 */
        memset(strm, 0, sizeof strm);
        if (!init || !end || !ver || init(strm, 6, ver(), (int)sizeof strm) != 0)
            return 1;
        end(strm);
        if (dlclose(z) != 0)
            return 1;
    }
    for (int i = 0; i < CHILD_CALLS; i++)
        site_after();
    puts("dlclose: ok");
    return 0;
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "fork"))
        return mode_fork();
    if (!strcmp(m, "spawn") && argc > 2)
        return mode_spawn(argv[2]);
    if (!strcmp(m, "dlclose"))
        return mode_dlclose();
    if (!strcmp(m, "after")) {
        for (int i = 0; i < CHILD_CALLS; i++)
            site_after();
        puts("after: ok");
        return 0;
    }
    for (int i = 0; i < CHILD_CALLS; i++)
        site_before();
    printf("%s: before\n", m);
    fflush(stdout);
    if (!strcmp(m, "exec") && argc > 2) {
        char *av[] = {argv[2], "after", NULL};
        execve(argv[2], av, environ);
        return 1;
    }
    if (!strcmp(m, "execfail")) {
        char *av[] = {"lw_no_such_program", NULL};
        if (execve("/nonexistent/lw_no_such_program", av, environ) != -1)
            return 1;
        for (int i = 0; i < CHILD_CALLS; i++)
            site_after();
        puts("execfail: after");
        return 0;
    }
    if (!strcmp(m, "_exit"))
        _exit(3);
    if (!strcmp(m, "abort"))
        abort();
    if (!strcmp(m, "kill"))
        kill(getpid(), SIGKILL);
    if (!strcmp(m, "segv")) {
        volatile uintptr_t bad = 8;
        *(volatile int *)bad = 1; /* a real crash: SIGSEGV */
    }
    fprintf(stderr, "usage: life_helper fork|spawn SELF|exec SELF|after|execfail|_exit|abort|kill|segv|dlclose\n");
    return 2;
}
