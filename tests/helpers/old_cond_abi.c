/* old_cond_abi.c: a program bound to glibc's pre-2.3.2 condvar ABI on
 * x86-64 (pthread_cond_*@GLIBC_2.2.5), as one linked before 2003 is. Under
 * the preload it must run as natively: libwait's wrappers carry version
 * GLIBC_2.3.2, so these calls reach glibc's old functions, unrecorded.
 * Elsewhere (other ABIs have no such version) it only prints the line. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#if defined(__x86_64__) && defined(__GLIBC__)
__asm__(".symver pthread_cond_init,pthread_cond_init@GLIBC_2.2.5");
__asm__(".symver pthread_cond_timedwait,pthread_cond_timedwait@GLIBC_2.2.5");
__asm__(".symver pthread_cond_signal,pthread_cond_signal@GLIBC_2.2.5");
__asm__(".symver pthread_cond_destroy,pthread_cond_destroy@GLIBC_2.2.5");
#endif
int main(void)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c;
    pthread_cond_init(&c, NULL);
    pthread_mutex_lock(&m);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 10000000;
    if (ts.tv_nsec >= 1000000000)
        ts.tv_sec++, ts.tv_nsec -= 1000000000;
    int r = pthread_cond_timedwait(&c, &m, &ts);
    pthread_mutex_unlock(&m);
    pthread_cond_signal(&c);
    pthread_cond_destroy(&c);
    printf("old ABI timedwait: %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : "other");
    return r != ETIMEDOUT;
}
