/* rec_helper.c: a known workload for test_writer and test_stack_table:
 * THREADS threads each make ITER malloc+free pairs from each of three call
 * sites. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 8
#define ITER    3000

static __thread void *volatile sink; /* per thread: threads must not free each other's */
__attribute__((noinline)) static void site_a(void)
{
    sink = malloc(16);
    free(sink);
}
__attribute__((noinline)) static void site_b(void)
{
    sink = malloc(32);
    free(sink);
}
__attribute__((noinline)) static void site_c(void)
{
    sink = malloc(48);
    free(sink);
}

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITER; i++) {
        site_a();
        site_b();
        site_c();
    }
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, worker, NULL))
            return 1;
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    puts("done");
    return 0;
}
