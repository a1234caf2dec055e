/* diff_helper.c: two versions of one program for `waitreport diff`, with
 * known times: a slow one, and a fix that does the same work at new,
 * cheaper sites, as a buffered writer replaces one write per byte.
 *   ./diff_helper slow         settle; 2,000 1-byte writes to /dev/null at
 *                              put_bytes; 8 nanosleeps of 50 ms at drain_slowly
 *   ./diff_helper fixed [MS]   settle; one 2,000-byte write at put_buffered;
 *                              one nanosleep of 50 ms at drain_batched; with
 *                              MS, one poll of MS ms at extra_wait (new work)
 * settle is one nanosleep of 200 ms, a site of both versions. The slow run
 * thus sleeps 600 ms and the fixed one 250 ms (+MS): the fix moves
 * nanosleep's and write's work to new sites and both functions shrink,
 * while extra_wait's poll is a function the slow run never called. Sleeps,
 * not CPU work, set the times, so they hold on a loaded machine. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BYTES 2000

static int out = -1;

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

__attribute__((noinline)) static void settle(void) { nap_ms(200); }

__attribute__((noinline)) static void put_bytes(void)
{
    for (int i = 0; i < BYTES; i++) {
        char c = (char)('a' + i % 26);
        if (write(out, &c, 1) != 1)
            exit(1);
    }
}

__attribute__((noinline)) static void put_buffered(void)
{
    static char buf[BYTES];
    for (int i = 0; i < BYTES; i++)
        buf[i] = (char)('a' + i % 26);
    if (write(out, buf, sizeof buf) != (ssize_t)sizeof buf)
        exit(1);
}

__attribute__((noinline)) static void drain_slowly(void)
{
    for (int i = 0; i < 8; i++)
        nap_ms(50);
}

__attribute__((noinline)) static void drain_batched(void) { nap_ms(50); }

__attribute__((noinline)) static void extra_wait(int ms) { poll(NULL, 0, ms); }

int main(int argc, char **argv)
{
    int slow = argc > 1 && !strcmp(argv[1], "slow"), fixed = argc > 1 && !strcmp(argv[1], "fixed");
    if (!slow && !fixed) {
        fprintf(stderr, "usage: diff_helper slow | fixed [MS]\n");
        return 2;
    }
    if ((out = open("/dev/null", O_WRONLY)) < 0)
        return 1;
    settle();
    if (slow) {
        put_bytes();
        drain_slowly();
    } else {
        put_buffered();
        drain_batched();
        if (argc > 2)
            extra_wait(atoi(argv[2]));
    }
    close(out);
    printf("%s done\n", argv[1]);
    return 0;
}
