/* window_helper.c: two phases of different waits, one after the other, for
 * the time windows (--since, --until) and top's --pprof-every.
 *   phase A: NA poll(NULL, 0, MS) from phase_a (default 6 x 50 ms);
 *   phase B: NB usleep(MS * 1000) from phase_b (default 5 x 50 ms).
 * Usage: window_helper [NA NB MS]. It prints nothing: an exit path without
 * stdio leaves phase B the last calls of the trace. */
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) static void phase_a(int n, int ms)
{
    for (int i = 0; i < n; i++)
        poll(NULL, 0, ms);
}

__attribute__((noinline)) static void phase_b(int n, int ms)
{
    for (int i = 0; i < n; i++)
        usleep((useconds_t)ms * 1000);
}

int main(int argc, char **argv)
{
    int na = argc > 3 ? atoi(argv[1]) : 6, nb = argc > 3 ? atoi(argv[2]) : 5, ms = argc > 3 ? atoi(argv[3]) : 50;
    phase_a(na, ms);
    phase_b(nb, ms);
    return 0;
}
