/* pipe_rw: producer() writes 1000 blocks of 4096 bytes into a pipe with
 * write(); consumer() reads 4096-byte buffers with read() until EOF.
 * Prints "read 4096000". Known: write under producer 1000 calls and
 * 4,096,000 bytes; read under consumer 4,096,000 bytes in at least 1001
 * calls (the last one returns 0 at EOF). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCKS 1000
#define BLOCK  4096

static int fds[2];
static long total_read;
static long read_calls;

__attribute__((noinline)) static void *producer(void *arg)
{
    static char buf[BLOCK];
    (void)arg;
    memset(buf, 'x', sizeof buf);
    for (int i = 0; i < BLOCKS; i++) {
        /* A pipe write of at most PIPE_BUF bytes is atomic: one call each. */
        ssize_t n = write(fds[1], buf, sizeof buf);
        if (n != (ssize_t)sizeof buf) {
            fprintf(stderr, "pipe_rw: write: %zd\n", n);
            exit(1);
        }
    }
    close(fds[1]);
    return NULL;
}

__attribute__((noinline)) static void *consumer(void *arg)
{
    static char buf[BLOCK];
    (void)arg;
    for (;;) {
        ssize_t n = read(fds[0], buf, sizeof buf);
        read_calls++;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("pipe_rw: read");
            exit(1);
        }
        if (n == 0)
            break;
        total_read += n;
    }
    close(fds[0]);
    return NULL;
}

int main(void)
{
    pthread_t p, c;
    if (pipe(fds) != 0) {
        perror("pipe_rw: pipe");
        return 1;
    }
    if (pthread_create(&c, NULL, consumer, NULL) != 0 || pthread_create(&p, NULL, producer, NULL) != 0) {
        fprintf(stderr, "pipe_rw: pthread_create failed\n");
        return 1;
    }
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    printf("read %ld\n", total_read);
    return 0;
}
