/* lone_churn_helper: 50 rounds of: 100 lock/unlock pairs alone, 2 threads
 * started that make 100 pairs each on a mutex of their own while main
 * makes 100 more, then joined: 40,000 lock and unlock calls in all, some
 * made while the process had one thread (counted under the lone-thread
 * rule), the rest recorded. locks.sh checks that the two add up exactly,
 * so the rule neither loses a call nor counts one twice as threads come
 * and go. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t mm = PTHREAD_MUTEX_INITIALIZER;

static void pairs(pthread_mutex_t *m)
{
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(m);
        pthread_mutex_unlock(m);
    }
}

static void *worker(void *a)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pairs(&m);
    return a;
}

int main(void)
{
    for (int r = 0; r < 50; r++) {
        pairs(&mm);
        pthread_t t[2];
        for (int k = 0; k < 2; k++)
            pthread_create(&t[k], NULL, worker, NULL);
        pairs(&mm);
        for (int k = 0; k < 2; k++)
            pthread_join(t[k], NULL);
    }
    puts("ok");
    return 0;
}
