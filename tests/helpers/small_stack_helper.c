/* small_stack_helper.c: programs that run close to the end of a small
 * stack, for libwait's stack footprint tests. Each prints one line and
 * exits 0 when it ran to its end.
 *   ./small_stack_helper thread N   a thread on a PTHREAD_STACK_MIN stack
 *                                   recurses N levels, calling malloc, free
 *                                   and write at every level
 *   ./small_stack_helper altstack   a SIGUSR1 handler on an 8 KiB
 *                                   sigaltstack calls write, malloc and free
 *   ./small_stack_helper deep N     N malloc+free pairs at the bottom of 100
 *                                   frames (for WAIT_DEPTH past 64) */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static volatile unsigned long sink;
static int devnull = -1;

/* level: one frame with a little local data, and the three calls. */
__attribute__((noinline)) static void level(int n)
{
    volatile char pad[32];
    pad[0] = (char)n;
    void *p = malloc(24);
    sink += p != NULL;
    free(p);
    if (write(devnull, "x", 1) < 0)
        sink++;
    if (n > 0)
        level(n - 1);
    sink += (unsigned long)pad[0];
}

static void *thread_body(void *arg)
{
    level((int)(long)arg);
    return NULL;
}

static void on_usr1(int sig)
{
    (void)sig;
    if (write(devnull, "h", 1) < 0)
        sink++;
    void *p = malloc(40);
    sink += p != NULL;
    free(p);
}

__attribute__((noinline)) static void deep(int n, long calls)
{
    if (n > 0) {
        deep(n - 1, calls);
        sink++;
        return;
    }
    for (long i = 0; i < calls; i++) {
        void *p = malloc(16);
        sink += p != NULL;
        free(p);
    }
}

int main(int argc, char **argv)
{
    devnull = open("/dev/null", O_WRONLY);
    if (argc > 2 && !strcmp(argv[1], "thread")) {
        pthread_attr_t at;
        pthread_t t;
        pthread_attr_init(&at);
        pthread_attr_setstacksize(&at, PTHREAD_STACK_MIN);
        if (pthread_create(&t, &at, thread_body, (void *)strtol(argv[2], NULL, 10)) != 0)
            return 2;
        pthread_join(t, NULL);
        printf("thread ok\n");
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "altstack")) {
        stack_t ss = {.ss_sp = malloc(8192), .ss_size = 8192, .ss_flags = 0};
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sa.sa_flags = SA_ONSTACK;
        if (!ss.ss_sp || sigaltstack(&ss, NULL) != 0 || sigaction(SIGUSR1, &sa, NULL) != 0)
            return 2;
        for (int i = 0; i < 20; i++)
            raise(SIGUSR1);
        printf("altstack ok\n");
        return 0;
    }
    if (argc > 2 && !strcmp(argv[1], "deep")) {
        deep(100, strtol(argv[2], NULL, 10));
        printf("deep ok\n");
        return 0;
    }
    return 2;
}
