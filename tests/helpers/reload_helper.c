/* reload_helper: dlopen liba, call it, dlclose; then the same with libb,
 * then liba again. The loader maps each where the last one was, so the
 * libraries' stacks are the same words; a report must still charge each
 * call to the library that made it. Prints whether each load took the
 * last one's address (the case under test). Usage: reload_helper LIBA LIBB N */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static void *load_and_call(const char *path, const char *fn, int n)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        exit(2);
    }
    void (*work)(int) = (void (*)(int))dlsym(h, fn);
    Dl_info info;
    if (!work || !dladdr((void *)work, &info)) {
        fprintf(stderr, "dlsym %s: %s\n", fn, dlerror());
        exit(2);
    }
    work(n);
    if (dlclose(h) != 0) {
        fprintf(stderr, "dlclose %s: %s\n", path, dlerror());
        exit(2);
    }
    return info.dli_fbase;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    int n = atoi(argv[3]);
    void *a = load_and_call(argv[1], "reload_work_a", n);
    void *b = load_and_call(argv[2], "reload_work_b", n);
    void *a2 = load_and_call(argv[1], "reload_work_a", n);
    printf("libb where liba was: %s\n", a == b ? "yes" : "no");
    printf("liba again where libb was: %s\n", b == a2 ? "yes" : "no");
    return 0;
}
