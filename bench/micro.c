/* micro.c: per-call cost of intercepted calls. `micro MODE N` runs N
 * operations of MODE on THREADS threads (env, default 1) and prints the
 * wall ns per operation. MODE: malloc (malloc+free of 64 bytes at a call
 * depth of DEPTH frames, env, default 5) or lock (uncontended lock+unlock). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *mode;
static long iters;
static int depth;
static __thread void *volatile sink; /* per thread: threads must not free each other's */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

__attribute__((noinline)) static void work(int d)
{
    if (d > 1) {
        work(d - 1);
        __asm__ volatile("" ::: "memory"); /* keep the frame: no tail call */
        return;
    }
    if (!strcmp(mode, "malloc")) {
        for (long i = 0; i < iters; i++) {
            sink = malloc(64);
            free(sink);
        }
    } else {
        pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
        for (long i = 0; i < iters; i++) {
            pthread_mutex_lock(&m);
            pthread_mutex_unlock(&m);
        }
    }
}

static void *run(void *a)
{
    (void)a;
    work(depth);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    mode = argv[1];
    iters = atol(argv[2]);
    depth = getenv("DEPTH") ? atoi(getenv("DEPTH")) : 5;
    int nt = getenv("THREADS") ? atoi(getenv("THREADS")) : 1;
    pthread_t t[64];
    double t0 = now_ns();
    for (int i = 0; i < nt && i < 64; i++)
        pthread_create(&t[i], NULL, run, NULL);
    for (int i = 0; i < nt && i < 64; i++)
        pthread_join(t[i], NULL);
    printf("%.2f\n", (now_ns() - t0) / (double)iters);
    return 0;
}
