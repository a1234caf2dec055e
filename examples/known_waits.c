/* known_waits.c: waits with known answers for the wait/CPU split.
 *   known_waits pipe        reader() blocks in read() on an empty pipe that
 *                           filler() writes after 300 ms: ~300 ms blocked.
 *   known_waits file PATH   one read() of the whole file (256 MiB, in the page
 *                           cache) in slurp(): almost all CPU.
 *   known_waits busy        two spinner() threads pinned to CPU 0 spin for
 *                           600 ms of wall time: ~50% runnable each. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fds[2];
static __thread void *volatile sink; /* keeps the compiler from eliding malloc/free */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *filler(void *a)
{
    (void)a;
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    if (write(fds[1], "x", 1) != 1)
        exit(1);
    return NULL;
}

__attribute__((noinline)) static long reader(void)
{
    char c;
    return read(fds[0], &c, 1);
}

__attribute__((noinline)) static long slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return -1;
    char *buf = malloc((size_t)st.st_size);
    if (!buf)
        return -1;
    memset(buf, 0, (size_t)st.st_size); /* fault the buffer in first */
    long n = read(fd, buf, (size_t)st.st_size);
    free(buf);
    close(fd);
    return n;
}

static void *spinner(void *a)
{
    (void)a;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    sink = malloc(16); /* a recorded call at the start of its life */
    free(sink);
    volatile unsigned long x = 0;
    double end = now() + 0.6;
    while (now() < end)
        x++;
    sink = malloc(16); /* and one at the end */
    free(sink);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "pipe")) {
        pthread_t t;
        if (pipe(fds) != 0 || pthread_create(&t, NULL, filler, NULL) != 0)
            return 1;
        long n = reader();
        pthread_join(t, NULL);
        printf("read %ld\n", n);
    } else if (argc >= 3 && !strcmp(argv[1], "file")) {
        printf("read %ld\n", slurp(argv[2]));
    } else if (argc >= 2 && !strcmp(argv[1], "busy")) {
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, spinner, NULL);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        printf("spun\n");
    } else {
        fprintf(stderr, "usage: known_waits pipe | file PATH | busy\n");
        return 2;
    }
    return 0;
}
