/* work: a workload whose size is its argument, for `waitreport diff`.
 *
 *   ./work N    N rounds (default 4) of:
 *                 nap()    one select() with no fds and a 10 ms timeout
 *                          (blocked about 10 ms);
 *                 churn()  100 x malloc(64) then 100 x free.
 *               Prints "rounds N checksum C".
 *   Known: N select calls at nap totalling about N x 10 ms, all blocked;
 *   100 N malloc and 100 N free calls at churn. `./work 16` is 4x `./work 4`. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>

#define PER_ROUND 100

static void *volatile sink[PER_ROUND]; /* keeps GCC from eliding malloc/free */

__attribute__((noinline)) static void nap(void)
{
    struct timeval tv = {0, 10000};
    if (select(0, NULL, NULL, NULL, &tv) < 0) {
        perror("select");
        exit(1);
    }
}

__attribute__((noinline)) static unsigned long churn(void)
{
    unsigned long sum = 0;
    for (int i = 0; i < PER_ROUND; i++) {
        sink[i] = malloc(64);
        if (!sink[i]) {
            perror("malloc");
            exit(1);
        }
        sum += (unsigned long)i;
    }
    for (int i = 0; i < PER_ROUND; i++)
        free(sink[i]);
    return sum;
}

int main(int argc, char **argv)
{
    char *end;
    long n = argc > 1 ? strtol(argv[1], &end, 10) : 4;
    if (argc > 2 || (argc > 1 && (*end || n < 0 || n > 100000))) {
        fprintf(stderr, "usage: work [ROUNDS]\n");
        return 2;
    }
    unsigned long sum = 0;
    for (long i = 0; i < n; i++) {
        nap();
        sum += churn();
    }
    printf("rounds %ld checksum %lu\n", n, sum);
    return 0;
}
