/* all_sync_waits.c: every sync call libwait records, a known number of
 * times, each kind from its own function, with known waits.
 *   all_sync_waits          the counts below (tests/integration/waits_sync.sh)
 *   all_sync_waits cancel   threads cancelled inside pthread_cond_wait,
 *                           sem_wait and pthread_join: their cleanup
 *                           handlers run, and the program goes on recording
 *
 * function            call                         calls  known wait
 * cond_waiter         pthread_cond_wait                5  ~40 ms each (signalled 40 ms after it waits)
 * cond_timed          pthread_cond_timedwait           3  20 ms each (ETIMEDOUT)
 * cond_clocked        pthread_cond_clockwait           2  25 ms each (ETIMEDOUT)
 * cond_signaller      pthread_cond_signal              5
 * cond_broadcaster    pthread_cond_broadcast           2
 * rw_reader           pthread_rwlock_rdlock            6
 * rw_writer           pthread_rwlock_wrlock            4  one waits ~30 ms for rw_holder's hold
 * rw_holder           pthread_rwlock_wrlock            1  (thread: holds it 30 ms)
 * rw_tryreader        pthread_rwlock_tryrdlock         3
 * rw_trywriter        pthread_rwlock_trywrlock         3
 * rw_timedreader      pthread_rwlock_timedrdlock       2
 * rw_timedwriter      pthread_rwlock_timedwrlock       2
 * rw_clockreader      pthread_rwlock_clockrdlock       2
 * rw_clockwriter      pthread_rwlock_clockwrlock       2
 * rw_release          pthread_rwlock_unlock           25
 * sem_waiter          sem_wait                         4  ~30 ms each (posted 30 ms apart)
 * sem_timed           sem_timedwait                    2  20 ms each (ETIMEDOUT)
 * sem_clocked         sem_clockwait                    2  15 ms each (ETIMEDOUT)
 * sem_trier           sem_trywait                      3  (EAGAIN)
 * sem_poster          sem_post                         4
 * spin_locker         pthread_spin_lock                5
 * spin_trier          pthread_spin_trylock             2
 * spin_release        pthread_spin_unlock              7
 * joiner              pthread_join                     5
 * barrier_sync        pthread_barrier_wait             6  (3 rounds of 2 threads)
 * The mutexes of the cond waits are taken in cond_lock and released in
 * cond_unlock (pthread_mutex_lock/unlock). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NI __attribute__((noinline))

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static pthread_cond_t cm; /* CLOCK_MONOTONIC, for the clockwaits */
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t sp;
static pthread_barrier_t bar;
static sem_t s, s0;
static volatile int flag, waiting, held;

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static struct timespec after_ms(clockid_t clk, long ms)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    ts.tv_nsec += (ms % 1000) * 1000000L;
    ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

NI static int cond_lock(pthread_mutex_t *mu) { return pthread_mutex_lock(mu); }
NI static int cond_unlock(pthread_mutex_t *mu) { return pthread_mutex_unlock(mu); }
NI static int cond_waiter(void) { return pthread_cond_wait(&c, &m); }
NI static int cond_timed(void)
{
    struct timespec ts = after_ms(CLOCK_REALTIME, 20);
    return pthread_cond_timedwait(&c, &m, &ts);
}
NI static int cond_clocked(void)
{
    struct timespec ts = after_ms(CLOCK_MONOTONIC, 25);
    return pthread_cond_clockwait(&cm, &m, CLOCK_MONOTONIC, &ts);
}
NI static int cond_signaller(void) { return pthread_cond_signal(&c); }
NI static int cond_broadcaster(void) { return pthread_cond_broadcast(&cm); }
NI static int rw_reader(void) { return pthread_rwlock_rdlock(&rw); }
NI static int rw_writer(void) { return pthread_rwlock_wrlock(&rw); }
NI static int rw_holder_lock(void) { return pthread_rwlock_wrlock(&rw); }
NI static int rw_tryreader(void) { return pthread_rwlock_tryrdlock(&rw); }
NI static int rw_trywriter(void) { return pthread_rwlock_trywrlock(&rw); }
NI static int rw_timedreader(void)
{
    struct timespec ts = after_ms(CLOCK_REALTIME, 1000);
    return pthread_rwlock_timedrdlock(&rw, &ts);
}
NI static int rw_timedwriter(void)
{
    struct timespec ts = after_ms(CLOCK_REALTIME, 1000);
    return pthread_rwlock_timedwrlock(&rw, &ts);
}
NI static int rw_clockreader(void)
{
    struct timespec ts = after_ms(CLOCK_MONOTONIC, 1000);
    return pthread_rwlock_clockrdlock(&rw, CLOCK_MONOTONIC, &ts);
}
NI static int rw_clockwriter(void)
{
    struct timespec ts = after_ms(CLOCK_MONOTONIC, 1000);
    return pthread_rwlock_clockwrlock(&rw, CLOCK_MONOTONIC, &ts);
}
NI static int rw_release(void) { return pthread_rwlock_unlock(&rw); }
NI static int sem_waiter(void) { return sem_wait(&s); }
NI static int sem_timed(void)
{
    struct timespec ts = after_ms(CLOCK_REALTIME, 20);
    return sem_timedwait(&s0, &ts);
}
NI static int sem_clocked(void)
{
    struct timespec ts = after_ms(CLOCK_MONOTONIC, 15);
    return sem_clockwait(&s0, CLOCK_MONOTONIC, &ts);
}
NI static int sem_trier(void) { return sem_trywait(&s0); }
NI static int sem_poster(void) { return sem_post(&s); }
NI static int spin_locker(void) { return pthread_spin_lock(&sp); }
NI static int spin_trier(void) { return pthread_spin_trylock(&sp); }
NI static int spin_release(void) { return pthread_spin_unlock(&sp); }
NI static int joiner(pthread_t th, void **ret) { return pthread_join(th, ret); }
NI static int barrier_sync(void) { return pthread_barrier_wait(&bar); }

/* signaller: 5 rounds: once cond_waiter waits (round i), 40 ms later set
 * the flag and signal. */
static void *signaller(void *a)
{
    (void)a;
    for (int i = 1; i <= 5; i++) {
        for (;;) {
            cond_lock(&m);
            int w = waiting;
            cond_unlock(&m);
            if (w == i)
                break;
            nap_ms(1);
        }
        nap_ms(40);
        cond_lock(&m);
        flag = 1;
        cond_signaller();
        cond_unlock(&m);
    }
    return NULL;
}

static void *poster(void *a)
{
    (void)a;
    for (int i = 0; i < 4; i++) {
        nap_ms(30);
        sem_poster();
    }
    return NULL;
}

static void *rw_holder(void *a)
{
    (void)a;
    rw_holder_lock();
    held = 1;
    nap_ms(30);
    rw_release();
    return NULL;
}

static void *barrier_peer(void *a)
{
    (void)a;
    for (int i = 0; i < 3; i++) {
        nap_ms(10);
        barrier_sync();
    }
    return NULL;
}

static void *quick(void *a) { return a; }

static int run_all(void)
{
    pthread_t th[4];
    int bad = 0;
    /* condvars */
    pthread_create(&th[0], NULL, signaller, NULL);
    cond_lock(&m);
    for (int i = 1; i <= 5; i++) {
        waiting = i;
        while (!flag)
            bad |= cond_waiter();
        flag = 0;
    }
    for (int i = 0; i < 3; i++)
        bad |= cond_timed() != ETIMEDOUT;
    for (int i = 0; i < 2; i++)
        bad |= cond_clocked() != ETIMEDOUT;
    cond_unlock(&m);
    for (int i = 0; i < 2; i++)
        bad |= cond_broadcaster();
    bad |= joiner(th[0], NULL);
    /* rwlocks: 6 + 3 + 2 + 2 read holds, 4 + 3 + 2 + 2 write holds, 1 held by rw_holder */
    for (int i = 0; i < 6; i++)
        bad |= rw_reader() | rw_release();
    pthread_create(&th[1], NULL, rw_holder, NULL);
    while (!held)
        nap_ms(1);
    for (int i = 0; i < 4; i++)
        bad |= rw_writer() | rw_release(); /* the first waits for rw_holder */
    for (int i = 0; i < 3; i++)
        bad |= rw_tryreader() | rw_release();
    for (int i = 0; i < 3; i++)
        bad |= rw_trywriter() | rw_release();
    for (int i = 0; i < 2; i++)
        bad |= rw_timedreader() | rw_release();
    for (int i = 0; i < 2; i++)
        bad |= rw_timedwriter() | rw_release();
    for (int i = 0; i < 2; i++)
        bad |= rw_clockreader() | rw_release();
    for (int i = 0; i < 2; i++)
        bad |= rw_clockwriter() | rw_release();
    bad |= joiner(th[1], NULL);
    /* semaphores */
    pthread_create(&th[2], NULL, poster, NULL);
    for (int i = 0; i < 4; i++)
        bad |= sem_waiter();
    for (int i = 0; i < 2; i++)
        bad |= sem_timed() != -1 || errno != ETIMEDOUT;
    for (int i = 0; i < 2; i++)
        bad |= sem_clocked() != -1 || errno != ETIMEDOUT;
    for (int i = 0; i < 3; i++)
        bad |= sem_trier() != -1 || errno != EAGAIN;
    bad |= joiner(th[2], NULL);
    /* spinlocks */
    for (int i = 0; i < 5; i++)
        bad |= spin_locker() | spin_release();
    for (int i = 0; i < 2; i++)
        bad |= spin_trier() | spin_release();
    /* barrier: 3 rounds, the peer arrives 10 ms late each time */
    pthread_create(&th[3], NULL, barrier_peer, NULL);
    for (int i = 0; i < 3; i++) {
        int r = barrier_sync();
        bad |= r != 0 && r != PTHREAD_BARRIER_SERIAL_THREAD;
    }
    bad |= joiner(th[3], NULL);
    /* one more join, of a thread that has already ended */
    pthread_t last;
    pthread_create(&last, NULL, quick, NULL);
    nap_ms(5);
    bad |= joiner(last, NULL);
    printf("all sync calls made: %s\n", bad ? "with errors" : "ok");
    return bad;
}

/* ---- cancellation: threads cancelled inside cond_wait, sem_wait, join ---- */

static int cleanups;
static pthread_t sleeper_th;

static void cancel_cleanup(void *arg)
{
    cleanups++;
    if (arg)
        cond_unlock(arg); /* the cond wait took the mutex again */
}

static void *cancel_cond(void *a)
{
    (void)a;
    cond_lock(&m);
    pthread_cleanup_push(cancel_cleanup, &m);
    for (;;)
        cond_waiter();
    pthread_cleanup_pop(1);
    return NULL;
}

static void *cancel_sem(void *a)
{
    (void)a;
    pthread_cleanup_push(cancel_cleanup, NULL);
    for (;;)
        sem_waiter();
    pthread_cleanup_pop(1);
    return NULL;
}

static void *sleeper(void *a)
{
    (void)a;
    sem_waiter(); /* posted at the end */
    return NULL;
}

static void *cancel_join(void *a)
{
    (void)a;
    pthread_cleanup_push(cancel_cleanup, NULL);
    joiner(sleeper_th, NULL);
    pthread_cleanup_pop(1);
    return NULL;
}

static int run_cancel(void)
{
    pthread_t th[3];
    void *ret[3];
    pthread_create(&th[0], NULL, cancel_cond, NULL);
    pthread_create(&th[1], NULL, cancel_sem, NULL);
    pthread_create(&sleeper_th, NULL, sleeper, NULL);
    pthread_create(&th[2], NULL, cancel_join, NULL);
    nap_ms(50); /* all three are blocked by now */
    for (int i = 0; i < 3; i++)
        pthread_cancel(th[i]);
    for (int i = 0; i < 3; i++)
        joiner(th[i], &ret[i]);
    sem_poster();
    joiner(sleeper_th, NULL);
    /* the mutex was released by the cleanup: recording goes on here */
    cond_lock(&m);
    int r = cond_timed();
    cond_unlock(&m);
    printf("cancelled: %d %d %d, cleanups %d, timedwait after: %s\n", ret[0] == PTHREAD_CANCELED,
           ret[1] == PTHREAD_CANCELED, ret[2] == PTHREAD_CANCELED, cleanups, strerror(r));
    return 0;
}

int main(int argc, char **argv)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&cm, &ca);
    pthread_spin_init(&sp, PTHREAD_PROCESS_PRIVATE);
    pthread_barrier_init(&bar, NULL, 2);
    sem_init(&s, 0, 0);
    sem_init(&s0, 0, 0);
    if (argc > 1 && strcmp(argv[1], "cancel") == 0)
        return run_cancel();
    return run_all();
}
