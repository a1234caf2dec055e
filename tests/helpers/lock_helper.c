/* lock_helper: mutex calls with known contention, for test_mutex.
 * main: 100 lock/unlock of a free normal mutex (uncontended);
 * holder thread holds `busy` for 150 ms while main locks it (1 contended
 * lock); errorcheck relock must return EDEADLK, recursive relock 0, and
 * timedlock on a mutex held by another thread ETIMEDOUT (contended).
 * Exits 1 when a return value differs from POSIX's. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static volatile int go;

static void *holder(void *a)
{
    (void)a;
    pthread_mutex_lock(&busy);
    pthread_mutex_lock(&held);
    go = 1;
    usleep(150000);
    pthread_mutex_unlock(&busy);
    usleep(150000);
    pthread_mutex_unlock(&held);
    return NULL;
}

int main(void)
{
    int bad = 0;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    for (int i = 0; i < 100; i++) {
        bad |= pthread_mutex_lock(&m) != 0;
        bad |= pthread_mutex_unlock(&m) != 0;
    }
    pthread_t t;
    pthread_create(&t, NULL, holder, NULL);
    while (!go)
        usleep(1000);
    bad |= pthread_mutex_lock(&busy) != 0; /* contended, ~150 ms */
    bad |= pthread_mutex_unlock(&busy) != 0;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    bad |= pthread_mutex_timedlock(&held, &ts) != ETIMEDOUT; /* contended, ~20 ms */
    pthread_join(t, NULL);
    pthread_mutexattr_t at;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_settype(&at, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_t ec;
    pthread_mutex_init(&ec, &at);
    bad |= pthread_mutex_lock(&ec) != 0;
    bad |= pthread_mutex_lock(&ec) != EDEADLK; /* own mutex: EDEADLK, never EBUSY */
    bad |= pthread_mutex_unlock(&ec) != 0;
    pthread_mutexattr_settype(&at, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_t rc;
    pthread_mutex_init(&rc, &at);
    bad |= pthread_mutex_lock(&rc) != 0;
    bad |= pthread_mutex_lock(&rc) != 0;
    bad |= pthread_mutex_unlock(&rc) != 0;
    bad |= pthread_mutex_unlock(&rc) != 0;
    bad |= pthread_mutex_unlock(&rc) != EPERM;
    printf("%s\n", bad ? "bad" : "ok");
    return bad;
}
