/* strip_helper.c: a program whose names must come from somewhere other
 * than itself once it is stripped, for the debuginfo tests (debuginfo.sh).
 *   ./strip_helper   sleeps 1 ms in strip_exported and 2 ms in strip_local,
 *                    once each, and prints "done".
 * It is linked with -rdynamic (Makefile), so strip_exported, a global
 * function, stays in .dynsym after strip, while strip_local, a static one,
 * is only in .symtab and the DWARF: stripped and without its debug file,
 * the first keeps its name and the second is known only by its module and
 * offset. The lines marked "site:" are the known answers. */
#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>

__attribute__((noinline)) void strip_exported(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL); /* site: exported */
}

__attribute__((noinline)) static void strip_local(void)
{
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL); /* site: local */
}

int main(void)
{
    strip_exported();
    strip_local();
    puts("done");
    return 0;
}
