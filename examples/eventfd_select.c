/* eventfd_select: eventfd, select, eventfd_read and eventfd_write at known
 * sites.
 *
 *   fast_path  1 eventfd, 1 eventfd_write, 100 select with a zero timeout
 *              (ready at once), 1 eventfd_read
 *   main       2 eventfd (ping and pong)
 *   pinger     2000 x (eventfd_write ping, select pong, eventfd_read pong)
 *   ponger     2000 x (select ping, eventfd_read ping, eventfd_write pong)
 *
 * Prints "rounds 2000 ready 100". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <unistd.h>

#define ROUNDS 2000
#define FAST   100

static int ping_fd, pong_fd;
static int pings, pongs;

static void fail(const char *what)
{
    perror(what);
    exit(1);
}

__attribute__((noinline)) static int fast_path(void)
{
    int ready = 0;
    int fd = eventfd(0, EFD_CLOEXEC);
    if (fd < 0)
        fail("eventfd");
    if (eventfd_write(fd, 1) != 0)
        fail("eventfd_write");
    for (int i = 0; i < FAST; i++) {
        fd_set rs;
        struct timeval tv = {0, 0};
        FD_ZERO(&rs);
        FD_SET(fd, &rs);
        if (select(fd + 1, &rs, NULL, NULL, &tv) == 1 && FD_ISSET(fd, &rs))
            ready++;
    }
    eventfd_t v;
    if (eventfd_read(fd, &v) != 0 || v != 1)
        fail("eventfd_read");
    close(fd);
    return ready;
}

__attribute__((noinline)) static void *pinger(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        if (eventfd_write(ping_fd, 1) != 0)
            fail("pinger: eventfd_write");
        fd_set rs;
        FD_ZERO(&rs);
        FD_SET(pong_fd, &rs);
        if (select(pong_fd + 1, &rs, NULL, NULL, NULL) != 1)
            fail("pinger: select");
        eventfd_t v;
        if (eventfd_read(pong_fd, &v) != 0 || v != 1)
            fail("pinger: eventfd_read");
        pings++;
    }
    return NULL;
}

__attribute__((noinline)) static void *ponger(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        fd_set rs;
        FD_ZERO(&rs);
        FD_SET(ping_fd, &rs);
        if (select(ping_fd + 1, &rs, NULL, NULL, NULL) != 1)
            fail("ponger: select");
        eventfd_t v;
        if (eventfd_read(ping_fd, &v) != 0 || v != 1)
            fail("ponger: eventfd_read");
        if (eventfd_write(pong_fd, 1) != 0)
            fail("ponger: eventfd_write");
        pongs++;
    }
    return NULL;
}

int main(void)
{
    int ready = fast_path();
    ping_fd = eventfd(0, EFD_CLOEXEC);
    pong_fd = eventfd(0, EFD_CLOEXEC);
    if (ping_fd < 0 || pong_fd < 0)
        fail("eventfd");
    pthread_t a, b;
    if (pthread_create(&b, NULL, ponger, NULL) != 0 || pthread_create(&a, NULL, pinger, NULL) != 0) {
        fprintf(stderr, "eventfd_select: pthread_create failed\n");
        return 1;
    }
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    if (pings != ROUNDS || pongs != ROUNDS)
        return 1;
    printf("rounds %d ready %d\n", pings, ready);
    return 0;
}
