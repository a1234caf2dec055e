/* signal_helper.c: signal handlers that call malloc, free and write while
 * the interrupted thread is inside a wrapped call. A 50 us SIGALRM timer
 * hits the main thread and a second thread sends SIGUSR1 storms with
 * pthread_kill to a worker, while both run a known loop (LOOPS iterations
 * of malloc, write to /dev/null, free, mutex lock/unlock at one site).
 * Prints the loop's results only (the same with or without the preload);
 * the number of handler runs goes to the file named by argv[1], if given. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define LOOPS 100000

static int devnull;
static int handled; /* handler runs, both threads */
static volatile int done;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* site_handler: what the handler does (not async-signal-safe in general:
 * malloc in a handler is exactly the abuse libwait must survive). */
__attribute__((noinline)) static void site_handler(void)
{
    char *p = malloc(64);
    if (p) {
        memset(p, 'h', 64);
        if (write(devnull, p, 64) != 64)
            abort();
    }
    free(p);
}

static void on_signal(int sig)
{
    (void)sig;
    site_handler();
    __atomic_fetch_add(&handled, 1, __ATOMIC_RELAXED);
}

/* site_loop: one iteration of the known loop; returns bytes written. */
__attribute__((noinline)) static long site_loop(int i)
{
    char *p = malloc(128 + (size_t)(i & 7));
    if (!p)
        return -1;
    memset(p, 'x', 128);
    long w = write(devnull, p, 128);
    pthread_mutex_lock(&mu);
    pthread_mutex_unlock(&mu);
    free(p);
    return w;
}

static void *loop_thread(void *arg)
{
    long *sum = arg;
    for (int i = 0; i < LOOPS; i++)
        *sum += site_loop(i);
    return NULL;
}

static void *killer(void *arg)
{
    pthread_t target = *(pthread_t *)arg;
    while (!__atomic_load_n(&done, __ATOMIC_RELAXED)) {
        pthread_kill(target, SIGUSR1);
        usleep(20);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    devnull = open("/dev/null", O_WRONLY);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    if (devnull < 0 || sigaction(SIGALRM, &sa, NULL) || sigaction(SIGUSR1, &sa, NULL))
        return 1;
    long sum_main = 0, sum_worker = 0;
    pthread_t worker, k;
    if (pthread_create(&worker, NULL, loop_thread, &sum_worker) || pthread_create(&k, NULL, killer, &worker))
        return 1;
    struct itimerval it = {{0, 50}, {0, 50}};
    setitimer(ITIMER_REAL, &it, NULL);
    loop_thread(&sum_main);
    pthread_join(worker, NULL);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    __atomic_store_n(&done, 1, __ATOMIC_RELAXED);
    pthread_join(k, NULL);
    printf("main wrote %ld bytes, worker wrote %ld bytes\n", sum_main, sum_worker);
    if (argc > 1) {
        FILE *f = fopen(argv[1], "w");
        if (f) {
            fprintf(f, "%d\n", __atomic_load_n(&handled, __ATOMIC_RELAXED));
            fclose(f);
        }
    }
    return sum_main != 128L * LOOPS || sum_worker != 128L * LOOPS;
}
