/* secret_helper.c: moves the value of env LW_SECRET through every wrapped
 * family (write and read on a pipe, malloc'd, calloc'd and realloc'd
 * buffers, a buffer whose address is passed to a mutex call's neighbour),
 * so a test can grep the trace for it: libwait records sizes, fds and
 * addresses, never contents. Prints only whether the round trip held. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    const char *s = getenv("LW_SECRET");
    if (!s || !*s)
        return 2;
    size_t n = strlen(s);
    int p[2];
    if (pipe(p))
        return 1;
    char *a = malloc(n + 1), *b = calloc(1, n + 1);
    if (!a || !b)
        return 1;
    memcpy(a, s, n + 1);
    if (write(p[1], a, n) != (ssize_t)n || read(p[0], b, n) != (ssize_t)n)
        return 1;
    b = realloc(b, 4 * n + 1);
    for (int i = 1; i < 4; i++)
        memcpy(b + i * n, s, n);
    struct {
        pthread_mutex_t m;
        char copy[64];
    } *lk = malloc(sizeof *lk);
    pthread_mutex_init(&lk->m, NULL);
    snprintf(lk->copy, sizeof lk->copy, "%s", s);
    pthread_mutex_lock(&lk->m);
    pthread_mutex_unlock(&lk->m);
    int same = !memcmp(a, b, n) && !memcmp(b + 3 * n, s, n);
    free(lk);
    free(a);
    free(b);
    puts(same ? "secret round trip ok" : "secret round trip broken");
    return !same;
}
