/* lock_contend: lock contention with known counts.
 *
 *   ./lock_contend       4 threads run worker(): 20,000 lock/unlock pairs
 *                        each on one shared mutex. Prints "counter 80000".
 *                        Known: 80,000 pthread_mutex_lock and 80,000
 *                        pthread_mutex_unlock calls at sites whose first
 *                        frame is worker.
 *   ./lock_contend hold  holder() locks the mutex and sleeps 200 ms, 3 times;
 *                        waiter() locks it each time right after the holder
 *                        took it (sequenced with a barrier, never with the
 *                        mutex itself). Prints "held 3 waited 3". Known: 3
 *                        locks under waiter totalling about 600 ms. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define THREADS 4
#define ITERS   20000
#define ROUNDS  3

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t bar;
static volatile long counter;
static int held, waited;

static void die(const char *what, int err)
{
    fprintf(stderr, "lock_contend: %s: %s\n", what, strerror(err));
    exit(1);
}

__attribute__((noinline)) static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

__attribute__((noinline)) static void *holder(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 200 * 1000 * 1000};
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&mu);
        held++;
        pthread_barrier_wait(&bar); /* the waiter may now try to lock */
        nanosleep(&ts, NULL);
        pthread_mutex_unlock(&mu);
        pthread_barrier_wait(&bar); /* the waiter has locked and unlocked */
    }
    return NULL;
}

__attribute__((noinline)) static void *waiter(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_barrier_wait(&bar); /* the holder has the mutex */
        pthread_mutex_lock(&mu);
        waited++;
        pthread_mutex_unlock(&mu);
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

static void run_threads(int n, void *(*fn[])(void *))
{
    pthread_t th[THREADS];
    int err;
    for (int i = 0; i < n; i++)
        if ((err = pthread_create(&th[i], NULL, fn[i], NULL)) != 0)
            die("pthread_create", err);
    for (int i = 0; i < n; i++)
        if ((err = pthread_join(th[i], NULL)) != 0)
            die("pthread_join", err);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "hold") == 0) {
        void *(*fn[2])(void *) = {holder, waiter};
        int err = pthread_barrier_init(&bar, NULL, 2);
        if (err)
            die("pthread_barrier_init", err);
        run_threads(2, fn);
        pthread_barrier_destroy(&bar);
        printf("held %d waited %d\n", held, waited);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: lock_contend [hold]\n");
        return 2;
    }
    void *(*fn[THREADS])(void *) = {worker, worker, worker, worker};
    run_threads(THREADS, fn);
    printf("counter %ld\n", counter);
    return 0;
}
