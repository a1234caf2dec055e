/* hostile_helper.c: programs that do unusual things to their own process,
 * printing only what is the same with or without libwait.
 *
 *   hostile_helper stderr FILE N  close fd 2, open FILE (it gets fd 2),
 *                                 write a line, N malloc/free pairs, write
 *                                 a second line; prints the fd FILE got
 *   hostile_helper fds N [list]   open /dev/null N times, then a pipe and
 *                                 a dup, printing each fd number (or the
 *                                 error), with malloc/free between (so a
 *                                 preloaded run records and unwinds);
 *                                 with list, then every fd open in the
 *                                 process (from /proc/self/fd)
 */
#define _GNU_SOURCE
#include <dirent.h>
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

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static NOINL int mode_fds(long n, int list)
{
    for (long i = 0; i < n; i++) {
        churn(10);
        int fd = open("/dev/null", O_RDONLY);
        printf("open %ld: %d %s\n", i, fd, fd < 0 ? strerror(errno) : "");
    }
    int p[2];
    if (pipe(p) == 0)
        printf("pipe: %d %d\n", p[0], p[1]);
    else
        printf("pipe: %s\n", strerror(errno));
    int d = dup(0);
    printf("dup: %d %s\n", d, d < 0 ? strerror(errno) : "");
    if (list) {
        DIR *dir = opendir("/proc/self/fd");
        if (!dir)
            fail("opendir");
        int own = dirfd(dir), fds[4096], n = 0;
        struct dirent *e;
        while ((e = readdir(dir)) && n < 4096)
            if (e->d_name[0] != '.' && atoi(e->d_name) != own)
                fds[n++] = atoi(e->d_name);
        closedir(dir);
        qsort(fds, (size_t)n, sizeof *fds, cmp_int);
        printf("open fds:");
        for (int i = 0; i < n; i++)
            printf(" %d", fds[i]);
        printf("\n");
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "fds"))
        return mode_fds(atol(argv[2]), argc > 3 && !strcmp(argv[3], "list"));
    if (argc >= 4 && !strcmp(argv[1], "stderr"))
        return mode_stderr(argv[2], atol(argv[3]));
    fprintf(stderr, "usage: hostile_helper stderr FILE N | fds N [list]\n");
    return 2;
}
