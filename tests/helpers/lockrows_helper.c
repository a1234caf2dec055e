/* lockrows_helper: locks whose report rows must merge, and locks nobody
 * waited on, with known answers for tests/integration/locks.sh.
 *
 *   busy: a holder thread holds it twice for HOLD_MS, once through hold_a
 *     and once through hold_b, both in take_busy (one file:line, two
 *     stacks); the waiter locks it at one site (one return address, one
 *     stack) in a loop, both times while it is held: 2 contended calls,
 *     ~2 x HOLD_MS blamed on the two take_busy sites.
 *   pair: the holder holds it twice from one source line (two return
 *     addresses at one file:line, as an unrolled loop gives), the waiter
 *     waits twice, also from one line: 2 holds and 2 contended calls.
 *   quiet, and the one locked in the function with the long name: main
 *     locks and unlocks each QUIET times alone, after the threads ended:
 *     no thread waits on them; their locks find them free (one stamp,
 *     untimed).
 * `lockrows_helper quiet` only takes the last two: 2 locks, none waited on.
 * Semaphores order the rounds, so each wait starts while the lock is held. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define HOLD_MS 100
#define QUIET   10

static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER, pair = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t quiet = PTHREAD_MUTEX_INITIALIZER, quiet_long = PTHREAD_MUTEX_INITIALIZER;
static sem_t held, done;

/* one round of the holder: take the lock, let the waiter go, hold it */
#define ROUND(m) pthread_mutex_lock(&m), sem_post(&held), usleep(HOLD_MS * 1000), pthread_mutex_unlock(&m)
/* one round of the waiter: wait until the lock is held, then take it */
#define WAIT(m) sem_wait(&held), pthread_mutex_lock(&m), pthread_mutex_unlock(&m), sem_post(&done)

__attribute__((noinline)) static void take_busy(void) { ROUND(busy); }
__attribute__((noinline)) static void hold_a(void) { take_busy(); }
__attribute__((noinline)) static void hold_b(void) { take_busy(); }

// clang-format off
__attribute__((noinline)) static void pair_holder(void) { ROUND(pair); sem_wait(&done); ROUND(pair); }
__attribute__((noinline)) static void pair_waiter(void) { WAIT(pair); WAIT(pair); }
// clang-format on

static void *holder(void *arg)
{
    (void)arg;
    hold_a();
    sem_wait(&done);
    hold_b();
    sem_wait(&done);
    pair_holder();
    sem_wait(&done);
    return NULL;
}

static volatile int rounds = 2; /* read at run time: the loop is not unrolled */

__attribute__((noinline)) static void waiter(void)
{
    for (int i = 0; i < rounds; i++)
        WAIT(busy);
}

__attribute__((noinline)) static void
quiet_lock_taken_in_a_function_whose_name_is_longer_than_the_hundred_columns_that_a_lock_row_can_give_its_name(void)
{
    for (int i = 0; i < QUIET; i++) {
        pthread_mutex_lock(&quiet_long);
        pthread_mutex_unlock(&quiet_long);
    }
}

__attribute__((noinline)) static void quiet_locks(void)
{
    for (int i = 0; i < QUIET; i++) {
        pthread_mutex_lock(&quiet);
        pthread_mutex_unlock(&quiet);
    }
}

int main(int argc, char **argv)
{
    sem_init(&held, 0, 0);
    sem_init(&done, 0, 0);
    pthread_t t;
    if (argc < 2 || strcmp(argv[1], "quiet")) { /* "quiet": only the locks nobody waits on */
        if (pthread_create(&t, NULL, holder, NULL))
            return 1;
        waiter();
        pair_waiter();
        pthread_join(t, NULL);
    }
    quiet_locks();
    quiet_lock_taken_in_a_function_whose_name_is_longer_than_the_hundred_columns_that_a_lock_row_can_give_its_name();
    printf("done\n");
    return 0;
}
