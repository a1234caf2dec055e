/* reload_lib.c: built twice, as libreload_a.so and libreload_b.so, with
 * only the exported name differing (RELOAD_WORK), so both have the same
 * code at the same offsets: loaded one after the other at the same
 * address, their stacks are word for word the same. */
#include <stdlib.h>

/* one allocation from the constructor, which runs inside dlopen */
__attribute__((constructor)) static void reload_init(void)
{
    void *p = malloc(7);
    __asm__ volatile("" : : "r"(p) : "memory");
    free(p);
}

__attribute__((noinline)) void RELOAD_WORK(int n)
{
    for (int i = 0; i < n; i++) {
        void *p = malloc(64);
        __asm__ volatile("" : : "r"(p) : "memory");
        free(p);
    }
}
