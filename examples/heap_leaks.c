/* heap_leaks: known leaks and a known peak live heap.
 *
 *   site_keep    10 x malloc(1000), never freed:    leaked 10 blocks, 10,000 bytes
 *   site_grow    realloc(NULL, 100), then +100 up to 1000 (10 calls), never
 *                freed: leaked 1 block, 1,000 bytes; site peak 1,000
 *   site_temp   100 x malloc(5000): site peak 500,000; all freed by another
 *                thread (free_them), so nothing leaked there
 *   site_small   50 x malloc(2000), freed by main
 *
 * The process's peak live heap is reached at the last site_temp allocation:
 * 511,000 bytes of these blocks (plus whatever libc itself holds then).
 * Prints "kept 11". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_KEEP  10
#define N_TEMP  100
#define N_SMALL 50

static void *volatile keep[N_KEEP];
static void *volatile temp[N_TEMP];
static void *volatile small[N_SMALL];
static char *volatile grown;
static int failed;

__attribute__((noinline)) static void site_keep(void)
{
    for (int i = 0; i < N_KEEP; i++)
        if (!(keep[i] = malloc(1000)))
            failed = 1;
}

__attribute__((noinline)) static void site_grow(void)
{
    char *volatile none = NULL; /* a literal realloc(NULL, n) is folded to malloc */
    char *p = realloc(none, 100);
    for (size_t n = 200; p && n <= 1000; n += 100) {
        char *q = realloc(p, n);
        if (!q)
            break;
        p = q;
    }
    if (!p)
        failed = 1;
    grown = p;
}

__attribute__((noinline)) static void site_temp(void)
{
    for (int i = 0; i < N_TEMP; i++)
        if (!(temp[i] = malloc(5000)))
            failed = 1;
}

__attribute__((noinline)) static void *free_them(void *arg)
{
    (void)arg;
    for (int i = 0; i < N_TEMP; i++)
        free(temp[i]);
    return NULL;
}

__attribute__((noinline)) static void site_small(void)
{
    for (int i = 0; i < N_SMALL; i++)
        if (!(small[i] = malloc(2000)))
            failed = 1;
    for (int i = 0; i < N_SMALL; i++)
        free(small[i]);
}

int main(void)
{
    site_keep();
    site_grow();
    site_temp();
    pthread_t th;
    int err = pthread_create(&th, NULL, free_them, NULL);
    if (err || (err = pthread_join(th, NULL))) {
        fprintf(stderr, "heap_leaks: pthread: %s\n", strerror(err));
        return 1;
    }
    site_small();
    if (failed) {
        fprintf(stderr, "heap_leaks: allocation failed\n");
        return 1;
    }
    printf("kept %d\n", N_KEEP + (grown != NULL));
    return 0;
}
