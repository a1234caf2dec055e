/* hostile_helper.c: programs that do unusual things to their own process,
 * printing only what is the same with or without libwait.
 *
 *   hostile_helper stderr FILE N  close fd 2, open FILE (it gets fd 2),
 *                                 write a line, N malloc/free pairs, write
 *                                 a second line; prints the fd FILE got
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINL __attribute__((noinline))

static void fail(const char *what)
{
    perror(what);
    exit(1);
}

/* churn: n malloc/free pairs of varying sizes, kept from being elided */
static NOINL void churn(long n)
{
    for (long i = 0; i < n; i++) {
        void *volatile p = malloc((size_t)(16 + i % 512));
        free(p);
    }
}

static int mode_stderr(const char *file, long n)
{
    close(2);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        fail("open");
    printf("file fd %d\n", fd);
    fflush(stdout);
    static const char a[] = "program line 1\n", b[] = "program line 2\n";
    if (write(fd, a, sizeof a - 1) != (ssize_t)sizeof a - 1)
        return 1;
    churn(n);
    if (write(fd, b, sizeof b - 1) != (ssize_t)sizeof b - 1)
        return 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "stderr"))
        return mode_stderr(argv[2], atol(argv[3]));
    fprintf(stderr, "usage: hostile_helper stderr FILE N\n");
    return 2;
}
