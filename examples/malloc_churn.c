/* malloc_churn: the malloc family at distinct call sites with known counts.
 *
 *   site_malloc    1000 x malloc(64)                  64,000 bytes
 *   site_calloc     500 x calloc(10, 32)             160,000 bytes
 *   site_realloc    200 x realloc, sizes 100..20000  2,010,000 bytes
 *                   (the first is realloc(NULL, 100), then +100 each time)
 *   site_memalign   100 x posix_memalign(64, 256)     25,600 bytes
 *                   100 x aligned_alloc(64, 128)      12,800 bytes
 *   free_all       1701 x free                             0 bytes
 *
 * Nothing is printed before the measured sites run. Prints "checksum N". */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N_MALLOC  1000
#define N_CALLOC  500
#define N_REALLOC 200
#define N_ALIGNED 100

static void *m_ptrs[N_MALLOC];
static void *c_ptrs[N_CALLOC];
static void *pm_ptrs[N_ALIGNED];
static void *aa_ptrs[N_ALIGNED];
static char *rbuf;
static unsigned long sum;
static int failed;

__attribute__((noinline)) static void site_malloc(void)
{
    for (int i = 0; i < N_MALLOC; i++) {
        unsigned char *p = malloc(64);
        if (!p) {
            failed = 1;
            continue;
        }
        p[0] = (unsigned char)i;
        m_ptrs[i] = p;
    }
}

__attribute__((noinline)) static void site_calloc(void)
{
    for (int i = 0; i < N_CALLOC; i++) {
        unsigned char *p = calloc(10, 32);
        if (!p) {
            failed = 1;
            continue;
        }
        p[319] = (unsigned char)(i + 1);
        c_ptrs[i] = p;
    }
}

__attribute__((noinline)) static void site_realloc(void)
{
    size_t size = 100;
    /* through a volatile NULL: gcc folds a literal realloc(NULL, n) to malloc */
    char *volatile none = NULL;
    rbuf = realloc(none, size);
    if (!rbuf) {
        failed = 1;
        return;
    }
    rbuf[0] = 1;
    for (int i = 1; i < N_REALLOC; i++) {
        size += 100;
        char *p = realloc(rbuf, size);
        if (!p) {
            failed = 1;
            return;
        }
        rbuf = p;
        rbuf[size - 1] = 1;
    }
}

__attribute__((noinline)) static void site_memalign(void)
{
    for (int i = 0; i < N_ALIGNED; i++) {
        void *p = NULL;
        if (posix_memalign(&p, 64, 256) != 0 || ((uintptr_t)p & 63)) {
            failed = 1;
            continue;
        }
        pm_ptrs[i] = p;
    }
    for (int i = 0; i < N_ALIGNED; i++) {
        void *p = aligned_alloc(64, 128);
        if (!p || ((uintptr_t)p & 63)) {
            failed = 1;
            continue;
        }
        aa_ptrs[i] = p;
    }
}

__attribute__((noinline)) static void checksum(void)
{
    for (int i = 0; i < N_MALLOC; i++)
        sum += ((unsigned char *)m_ptrs[i])[0];
    for (int i = 0; i < N_CALLOC; i++)
        sum += ((unsigned char *)c_ptrs[i])[319] + ((unsigned char *)c_ptrs[i])[0];
    if (rbuf)
        sum += (unsigned char)rbuf[0] + (unsigned char)rbuf[100 * N_REALLOC - 1];
}

__attribute__((noinline)) static void free_all(void)
{
    for (int i = 0; i < N_MALLOC; i++)
        free(m_ptrs[i]);
    for (int i = 0; i < N_CALLOC; i++)
        free(c_ptrs[i]);
    free(rbuf);
    for (int i = 0; i < N_ALIGNED; i++)
        free(pm_ptrs[i]);
    for (int i = 0; i < N_ALIGNED; i++)
        free(aa_ptrs[i]);
}

int main(void)
{
    site_malloc();
    site_calloc();
    site_realloc();
    site_memalign();
    if (failed) {
        fprintf(stderr, "malloc_churn: allocation failed\n");
        return 1;
    }
    checksum();
    free_all();
    printf("checksum %lu\n", sum);
    return 0;
}
