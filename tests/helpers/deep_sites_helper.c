/* deep_sites_helper: two call sites of usleep whose stacks agree over
 * their first five frames and differ at the sixth, for the report's
 * distinct-depth rows (tests/integration/report.sh).
 *
 *   from_a -> l5 -> l4 -> l3 -> l2 -> leaf -> usleep   3 calls of 20 ms
 *   from_b -> l5 -> l4 -> l3 -> l2 -> leaf -> usleep   2 calls of 20 ms
 *
 * With the default 4 frames (leaf, l2, l3, l4) the two rows would print
 * alike; the report shows one frame skipped (l5), then from_a or from_b.
 * The empty asm after each call keeps the compiler from turning it into
 * a tail call, which would drop the caller's frame. */
#include <unistd.h>

#define NOINL __attribute__((noinline))

NOINL static void leaf(void)
{
    usleep(20000);
    __asm__ volatile("");
}
NOINL static void l2(void)
{
    leaf();
    __asm__ volatile("");
}
NOINL static void l3(void)
{
    l2();
    __asm__ volatile("");
}
NOINL static void l4(void)
{
    l3();
    __asm__ volatile("");
}
NOINL static void l5(void)
{
    l4();
    __asm__ volatile("");
}
NOINL static void from_a(void)
{
    l5();
    __asm__ volatile("");
}
NOINL static void from_b(void)
{
    l5();
    __asm__ volatile("");
}

/* volatile counts: an unrolled loop would call from each copy through
 * another return address, a site per copy */
static volatile int na = 3, nb = 2;

int main(void)
{
    for (int i = 0; i < na; i++)
        from_a();
    for (int i = 0; i < nb; i++)
        from_b();
    return 0;
}
