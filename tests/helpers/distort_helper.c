/* distort_helper.c: a program whose trace is dominated by libwait's own
 * work, for the distortion warning's tests.
 *   ./distort_helper [CALLS]  makes CALLS (default 20000) malloc+free pairs,
 *                             each at the bottom of a call chain of its own.
 *                             Prints "pairs CALLS levels LEVELS".
 * Each pair's chain is LEVELS frames of branch_a or branch_b, chosen by the
 * bits of the pair's number, so no two pairs share a stack: every call
 * misses libwait's stack caches, walks the stack and writes a new stack
 * record, while the program itself does almost nothing between calls.
 * libwait's own time is then most of the process's busy time, far above the
 * warning's threshold on any machine. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#define LEVELS 16

static volatile unsigned long sink;

/* bottom: the calls that libwait records. */
__attribute__((noinline)) static unsigned long bottom(long i)
{
    char *p = malloc(16 + (size_t)(i & 63));
    if (!p)
        abort();
    p[0] = (char)i;
    unsigned long r = (unsigned char)p[0];
    free(p);
    return r;
}

__attribute__((noinline)) static unsigned long branch_a(int level, long i);
__attribute__((noinline)) static unsigned long branch_b(int level, long i);

/* descend: one more frame, of the kind bit `level` of i names. Both
 * branches do work after their call returns, so the compiler cannot turn
 * the chain into jumps and the frames really exist. */
static unsigned long descend(int level, long i)
{
    if (level == 0)
        return bottom(i);
    return ((i >> (level - 1)) & 1) ? branch_a(level - 1, i) : branch_b(level - 1, i);
}

__attribute__((noinline)) static unsigned long branch_a(int level, long i)
{
    unsigned long r = descend(level, i);
    sink += 1;
    return r + 1;
}

__attribute__((noinline)) static unsigned long branch_b(int level, long i)
{
    unsigned long r = descend(level, i);
    sink += 2;
    return r + 2;
}

int main(int argc, char **argv)
{
    long calls = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    if (calls <= 0 || calls > (1L << LEVELS))
        calls = 1L << LEVELS;
    unsigned long sum = 0;
    for (long i = 0; i < calls; i++)
        sum += descend(LEVELS, i);
    printf("pairs %ld levels %d\n", calls, sum ? LEVELS : -1);
    return 0;
}
