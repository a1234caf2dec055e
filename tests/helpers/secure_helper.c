/* secure_helper.c: linked against libwait.so itself (not preloaded: the
 * loader ignores LD_PRELOAD paths in setuid programs), so libwait's
 * constructor runs in this program whatever its privileges. The tests run a
 * setuid copy (AT_SECURE set) and a plain copy (traced, as a control).
 * Makes a few known calls and prints whether AT_SECURE was set. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>

static void *volatile sink;

int main(void)
{
    for (int i = 0; i < 10; i++) {
        sink = malloc(32);
        free(sink);
    }
    printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
    return 0;
}
