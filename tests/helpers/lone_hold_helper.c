/* lone_hold_helper: a mutex locked while the process has one thread and
 * held across pthread_create: the new thread waits ~200 ms for it. Under
 * the lone-thread rule the lock is not recorded, so only its unlock (in
 * hold_then_start) can be blamed for the wait; with WAIT_LOCKS=all the
 * lock in hold_then_start is. locks.sh checks both. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *waiter(void *a)
{
    (void)a;
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    return NULL;
}

__attribute__((noinline)) static void hold_then_start(void)
{
    pthread_mutex_lock(&m);
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    usleep(200000);
    pthread_mutex_unlock(&m);
    pthread_join(t, NULL);
}

int main(void)
{
    hold_then_start();
    puts("done");
    return 0;
}
