/* micro.c: per-call cost of intercepted calls. `micro MODE N` runs N
 * operations of MODE on THREADS threads (env, default 1; 0: on the main
 * thread, so that the process has one thread) at a call depth of DEPTH
 * frames (env, default 5) and prints the wall ns per operation.
 * MODE:
 *   malloc     malloc(SIZE) + free (env SIZE, default 64): 2 calls
 *   lock       lock + unlock of a per-thread mutex (uncontended): 2 calls
 *   lockshared lock + unlock of one mutex shared by all threads: 2 calls
 *   pipe       write 1 byte + read it back on a per-thread pipe: 2 calls
 *   signal     pthread_cond_signal of a per-thread condvar nobody waits
 *              on: 1 call
 *   post       sem_post + sem_trywait of a per-thread semaphore: 2 calls
 *   pingpong   2 threads: eventfd_write ping, select + eventfd_read pong
 *              and back; one op is a round trip: 6 calls
 *   churn      pthread_create + pthread_join of a thread that returns at
 *              once: 2 calls, and a thread's start and end in libwait */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static const char *mode;
static long iters;
static int depth;
static size_t size = 64;
static __thread void *volatile sink; /* per thread: threads must not free each other's */
static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;
static int efd[2];

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* wait_read: block in select until fd is readable, then read its count. */
static void wait_read(int fd)
{
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fd, &r);
    eventfd_t v;
    if (select(fd + 1, &r, NULL, NULL, NULL) != 1 || eventfd_read(fd, &v) != 0)
        abort();
}

static void *empty(void *a) { return a; }

/* loop: the operations of one thread (side: which ping-pong end). */
static void loop(int side)
{
    if (!strcmp(mode, "malloc")) {
        for (long i = 0; i < iters; i++) {
            sink = malloc(size);
            free(sink);
        }
    } else if (!strcmp(mode, "lock") || !strcmp(mode, "lockshared")) {
        pthread_mutex_t own = PTHREAD_MUTEX_INITIALIZER, *m = mode[4] ? &shared : &own;
        for (long i = 0; i < iters; i++) {
            pthread_mutex_lock(m);
            pthread_mutex_unlock(m);
        }
    } else if (!strcmp(mode, "signal")) {
        pthread_cond_t c = PTHREAD_COND_INITIALIZER;
        for (long i = 0; i < iters; i++)
            pthread_cond_signal(&c);
    } else if (!strcmp(mode, "post")) {
        sem_t s;
        if (sem_init(&s, 0, 0) != 0)
            abort();
        for (long i = 0; i < iters; i++)
            if (sem_post(&s) != 0 || sem_trywait(&s) != 0)
                abort();
    } else if (!strcmp(mode, "pipe")) {
        int p[2];
        char c = 'x';
        if (pipe(p) != 0)
            abort();
        for (long i = 0; i < iters; i++)
            if (write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1)
                abort();
        close(p[0]);
        close(p[1]);
    } else if (!strcmp(mode, "churn")) {
        for (long i = 0; i < iters; i++) {
            pthread_t t;
            if (pthread_create(&t, NULL, empty, NULL) != 0 || pthread_join(t, NULL) != 0)
                abort();
        }
    } else if (!strcmp(mode, "pingpong")) {
        for (long i = 0; i < iters; i++) {
            if (side == 0) {
                eventfd_write(efd[0], 1);
                wait_read(efd[1]);
            } else {
                wait_read(efd[0]);
                eventfd_write(efd[1], 1);
            }
        }
    } else {
        abort();
    }
}

__attribute__((noinline)) static void work(int d, int side)
{
    if (d > 1) {
        work(d - 1, side);
        __asm__ volatile("" ::: "memory"); /* keep the frame: no tail call */
        return;
    }
    loop(side);
}

static void *run(void *a)
{
    work(depth, (int)(intptr_t)a);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    mode = argv[1];
    iters = atol(argv[2]);
    depth = getenv("DEPTH") ? atoi(getenv("DEPTH")) : 5;
    if (getenv("SIZE"))
        size = (size_t)atol(getenv("SIZE"));
    int nt = getenv("THREADS") ? atoi(getenv("THREADS")) : 1;
    if (!strcmp(mode, "pingpong")) {
        nt = 2;
        efd[0] = eventfd(0, 0);
        efd[1] = eventfd(0, 0);
    }
    pthread_t t[64];
    double t0 = now_ns();
    if (nt == 0) { /* THREADS=0: the main thread runs it, and the process has one thread */
        run(0);
        printf("%.2f\n", (now_ns() - t0) / (double)iters);
        return 0;
    }
    for (int i = 0; i < nt && i < 64; i++)
        pthread_create(&t[i], NULL, run, (void *)(intptr_t)i);
    for (int i = 0; i < nt && i < 64; i++)
        pthread_join(t[i], NULL);
    printf("%.2f\n", (now_ns() - t0) / (double)iters);
    return 0;
}
