/* threads_helper.c: many short threads, threads that leave through
 * pthread_exit, and cancelled threads, each with known calls at its own
 * site (malloc+free pairs), for exact counts in the trace. It also checks
 * that a thousand threads leave no mappings behind: /proc/self/maps may
 * not grow between the first batch and the end.
 *   usage: threads_helper [SHORT]     (SHORT threads, default 1000) */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BATCH          50
#define EXIT_THREADS   40
#define EXIT_CALLS     3
#define CANCEL_THREADS 20
#define CANCEL_CALLS   5

static __thread void *volatile sink;
static int cancel_pipe[2];
static pthread_barrier_t ready;

__attribute__((noinline)) static void site_short(void)
{
    sink = malloc(24);
    free(sink);
}
__attribute__((noinline)) static void site_exit(void)
{
    sink = malloc(40);
    free(sink);
}
__attribute__((noinline)) static void site_cancel(void)
{
    sink = malloc(56);
    free(sink);
}

/* maps_lines: lines in /proc/self/maps (read with read(2), no stdio). */
static long maps_lines(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    long n = 0;
    int c;
    if (!f)
        return -1;
    while ((c = getc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static void *short_thread(void *arg)
{
    (void)arg;
    site_short();
    return NULL;
}

/* leave: pthread_exit from a nested frame, so the thread never returns. */
__attribute__((noinline)) static void leave(void) { pthread_exit(NULL); }

static void *exit_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < EXIT_CALLS; i++)
        site_exit();
    leave();
    return NULL;
}

/* cancel_thread: known calls, then block until cancelled: half of them in
 * read() (a wrapped call), half in sleep() (not wrapped). */
static void *cancel_thread(void *arg)
{
    for (int i = 0; i < CANCEL_CALLS; i++)
        site_cancel();
    pthread_barrier_wait(&ready);
    if ((long)arg & 1) {
        char c;
        ssize_t r = read(cancel_pipe[0], &c, 1);
        (void)r;
    } else {
        for (;;)
            sleep(10);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    /* glibc adds malloc arenas (a mapping each) while threads overlap, up
     * to 8 per core, more of them the busier the machine: one arena keeps
     * the mapping count a measure of what the threads themselves leave. */
    mallopt(M_ARENA_MAX, 1);
    int nshort = argc > 1 ? atoi(argv[1]) : 1000;
    long first = -1;
    for (int done = 0; done < nshort; done += BATCH) {
        pthread_t t[BATCH];
        int n = nshort - done < BATCH ? nshort - done : BATCH;
        for (int i = 0; i < n; i++)
            if (pthread_create(&t[i], NULL, short_thread, NULL))
                return 1;
        for (int i = 0; i < n; i++)
            pthread_join(t[i], NULL);
        if (first < 0)
            first = maps_lines();
    }
    long last = maps_lines();
    if (last - first > 16)
        printf("mappings grew from %ld to %ld over %d threads\n", first, last, nshort);
    else
        printf("%d short threads: mappings stayed bounded\n", nshort);

    pthread_t t[EXIT_THREADS > CANCEL_THREADS ? EXIT_THREADS : CANCEL_THREADS];
    for (int i = 0; i < EXIT_THREADS; i++)
        if (pthread_create(&t[i], NULL, exit_thread, NULL))
            return 1;
    for (int i = 0; i < EXIT_THREADS; i++)
        pthread_join(t[i], NULL);
    printf("%d threads left through pthread_exit\n", EXIT_THREADS);

    if (pipe(cancel_pipe) || pthread_barrier_init(&ready, NULL, CANCEL_THREADS + 1))
        return 1;
    for (long i = 0; i < CANCEL_THREADS; i++)
        if (pthread_create(&t[i], NULL, cancel_thread, (void *)i))
            return 1;
    pthread_barrier_wait(&ready);
    usleep(20000); /* let them block */
    int cancelled = 0;
    for (int i = 0; i < CANCEL_THREADS; i++) {
        void *res;
        pthread_cancel(t[i]);
        pthread_join(t[i], &res);
        cancelled += res == PTHREAD_CANCELED;
    }
    printf("%d of %d threads cancelled\n", cancelled, CANCEL_THREADS);
    return last - first > 16 || cancelled != CANCEL_THREADS;
}
