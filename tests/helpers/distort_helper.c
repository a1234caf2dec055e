/* distort_helper.c: a program whose trace is dominated by libwait's own
 * work, for the distortion warning's tests.
 *   ./distort_helper [CALLS]  recurses DEPTH frames deep, then makes CALLS
 *                             (default 300) malloc+free pairs at the
 *                             bottom. Prints "pairs CALLS depth DEPTH".
 * Run with WAIT_DEPTH=256: a stack deeper than the fast cache's verified
 * depth is unwound in full at every call, so each pair costs two unwinds
 * of some 200 frames while the program itself does almost nothing between
 * them. libwait's own time is then most of the process's busy time, far
 * above the warning's threshold on any machine. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#define DEPTH 200

static volatile unsigned long sink;

/* bottom: the calls that libwait records, each with the whole deep stack. */
__attribute__((noinline)) static unsigned long bottom(long calls)
{
    unsigned long sum = 0;
    for (long i = 0; i < calls; i++) {
        char *p = malloc(16 + (size_t)(i & 63));
        if (!p)
            abort();
        p[0] = (char)i;
        sum += (unsigned char)p[0];
        free(p);
    }
    return sum;
}

/* deep: a frame that does work after its call returns, so the compiler
 * cannot turn the recursion into a loop and the frames really exist. */
__attribute__((noinline)) static unsigned long deep(int n, long calls)
{
    if (n == 0)
        return bottom(calls);
    unsigned long r = deep(n - 1, calls);
    sink += (unsigned long)n;
    return r + 1;
}

int main(int argc, char **argv)
{
    long calls = argc > 1 ? strtol(argv[1], NULL, 10) : 300;
    if (calls <= 0)
        calls = 1;
    unsigned long r = deep(DEPTH, calls);
    printf("pairs %ld depth %d\n", calls, (int)(r >= (unsigned long)DEPTH ? DEPTH : -1));
    return 0;
}
