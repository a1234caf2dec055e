/* report_helper.c: named threads doing known, different work, for the
 * report's bytes, thread filters, per-thread view and --merge line.
 *   lw_writer: 1,000 write(2) of 3 bytes to /dev/null (3,000 bytes), from
 *              two calls on one source line (two stacks, one file:line
 *              chain: 500 calls each);
 *   lw_alloc:  200 malloc(100) (20,000 bytes) and 200 free.
 * The main thread creates and joins them one after the other; the writer
 * starts writing only once main is about to join it, so that the join
 * waits for the writes (their time is then the join's cause) however late
 * main gets there: a first pthread_create can take longer than the
 * writer's whole work. It waits without a wrapped call, so the counts
 * above are all the calls the threads make. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define WRITES 1000
#define ALLOCS 200

static int devnull;
static int go; /* main is about to join the writer */
static void *volatile sink;

__attribute__((noinline)) static void one_write(void)
{
    if (write(devnull, "abc", 3) != 3)
        abort();
}

static void *writer(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "lw_writer");
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
        sched_yield();
    for (int i = 0; i < WRITES / 2; i++) {
        /* clang-format off */
        one_write(); one_write(); /* two call sites, one line */
        /* clang-format on */
    }
    return NULL;
}

__attribute__((noinline)) static void one_alloc(void)
{
    sink = malloc(100);
    free(sink);
}

static void *allocator(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "lw_alloc");
    for (int i = 0; i < ALLOCS; i++)
        one_alloc();
    return NULL;
}

int main(void)
{
    devnull = open("/dev/null", O_WRONLY);
    if (devnull < 0)
        return 1;
    void *(*fn[2])(void *) = {writer, allocator};
    for (int i = 0; i < 2; i++) {
        pthread_t t;
        /* create and join on one line: one line, two addresses (--merge line) */
        /* clang-format off */
        if (pthread_create(&t, NULL, fn[i], NULL) != 0 || (__atomic_store_n(&go, 1, __ATOMIC_RELEASE), pthread_join(t, NULL)) != 0)
            return 1;
        /* clang-format on */
    }
    puts("done");
    return 0;
}
