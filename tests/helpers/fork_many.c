/* fork_many.c: many short child processes, each with known calls, for
 * reports over a directory of thousands of traces (one per process).
 *   usage: fork_many N [ROUND]
 * The parent forks N children, ROUND (default 16) at a time, and waits for
 * each round before the next, so no more than ROUND children run at once.
 * Child i makes CALLS malloc+free pairs at child_site and, when i is even,
 * CALLS more at even_site; it leaves through exit(), so its trace is
 * closed. The parent makes CALLS pairs at parent_site. Prints "N children".
 * Known: N+1 processes; child_site CALLS * N calls of malloc in N pids;
 * even_site CALLS * ceil(N/2) of malloc. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define CALLS 5

static void *volatile sink; /* keeps GCC from eliding malloc/free */

__attribute__((noinline)) static void child_site(void)
{
    for (int i = 0; i < CALLS; i++) {
        sink = malloc(32);
        free(sink);
    }
}

__attribute__((noinline)) static void even_site(void)
{
    for (int i = 0; i < CALLS; i++) {
        sink = malloc(48);
        free(sink);
    }
}

__attribute__((noinline)) static void parent_site(void)
{
    for (int i = 0; i < CALLS; i++) {
        sink = malloc(16);
        free(sink);
    }
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100, round = argc > 2 ? atol(argv[2]) : 16;
    if (n < 0 || round < 1) {
        fprintf(stderr, "usage: fork_many N [ROUND]\n");
        return 2;
    }
    parent_site();
    for (long i = 0; i < n; i += round) {
        long k = n - i < round ? n - i : round;
        for (long j = 0; j < k; j++) {
            pid_t p = fork();
            if (p < 0) {
                perror("fork");
                return 1;
            }
            if (p == 0) {
                child_site();
                if ((i + j) % 2 == 0)
                    even_site();
                exit(0);
            }
        }
        for (long j = 0; j < k; j++) {
            int st;
            if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "fork_many: a child failed\n");
                return 1;
            }
        }
    }
    printf("%ld children\n", n);
    return 0;
}
