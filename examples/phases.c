/* phases: regions, marks and run-time control with known counts. Runs
 * unchanged without libwait (the libwait.h calls are then no-ops).
 *
 *   ./phases api     main and a helper thread each make 100 lock/unlock pairs
 *                    in hidden() while paused (libwait_pause), then 50 pairs
 *                    each in shown() after libwait_resume, with marks "start",
 *                    "phase A", "phase B" around them, then pause again and
 *                    make 70 more in hidden(). Prints "api done".
 *                    Known: 100 pthread_mutex_lock at shown, 0 at hidden;
 *                    marks "start" (while paused), "phase A", "phase B".
 *   ./phases stdin   single thread: 30 pairs in first(), then prints "1" and
 *                    waits for a line on stdin; 40 pairs in second(), prints
 *                    "2", waits for a line; 50 pairs in third(), prints "3".
 *                    The test sends SIGUSR2 before each line: with
 *                    WAIT_START=0, only second() is recorded.
 *   ./phases ownsig  installs its own SIGUSR2 handler, raises SIGUSR2 twice,
 *                    prints "own handler ran 2 times".
 *   ./phases run S   for S seconds (default 4): two threads in busy_worker()
 *                    take a shared lock, hold it 1 ms, and sleep 1 ms; main
 *                    marks "tick" every second. Prints "run done". */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libwait.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t bar;
static volatile long counter;
static volatile int stop;

__attribute__((noinline)) static void pairs(int n)
{
    for (int i = 0; i < n; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
}

__attribute__((noinline)) static void hidden(int n) { pairs(n); }
__attribute__((noinline)) static void shown(int n) { pairs(n); }
__attribute__((noinline)) static void first(int n) { pairs(n); }
__attribute__((noinline)) static void second(int n) { pairs(n); }
__attribute__((noinline)) static void third(int n) { pairs(n); }

/* api_thread: the helper of "api"; each step waits on the barrier so that
 * pause and resume happen between the two threads' regions. */
static void *api_thread(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&bar); /* paused */
    hidden(100);
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar); /* resumed */
    shown(50);
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar); /* paused again */
    hidden(70);
    return NULL;
}

static int run_api(void)
{
    pthread_t th;
    pthread_barrier_init(&bar, NULL, 2);
    libwait_pause();
    libwait_mark("start");
    if (pthread_create(&th, NULL, api_thread, NULL) != 0)
        return 1;
    pthread_barrier_wait(&bar);
    hidden(100);
    pthread_barrier_wait(&bar);
    libwait_resume();
    libwait_mark("phase A");
    pthread_barrier_wait(&bar);
    shown(50);
    pthread_barrier_wait(&bar);
    libwait_mark("phase B");
    libwait_pause();
    pthread_barrier_wait(&bar);
    hidden(70);
    pthread_join(th, NULL);
    int paused = libwait_paused(); /* 1 under libwait, 0 without: not printed */
    (void)paused;
    printf("api done %ld\n", counter);
    return 0;
}

/* wait_line: block until a line (or EOF) arrives on stdin. */
static void wait_line(void)
{
    char buf[64];
    fflush(stdout);
    if (!fgets(buf, sizeof buf, stdin))
        return;
}

static volatile sig_atomic_t got_usr2;
static void on_usr2(int sig) { got_usr2 += sig == SIGUSR2; }

/* run_ownsig: the program's own SIGUSR2 handler, installed in main (after
 * libwait's constructor), must get the signal. */
static int run_ownsig(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    raise(SIGUSR2);
    printf("own handler ran %d times\n", (int)got_usr2);
    return got_usr2 == 2 ? 0 : 1;
}

static int run_stdin(void)
{
    first(30);
    printf("1\n");
    wait_line();
    second(40);
    printf("2\n");
    wait_line();
    third(50);
    printf("3\n");
    return 0;
}

__attribute__((noinline)) static void *busy_worker(void *arg)
{
    (void)arg;
    struct timespec ms = {0, 1000000};
    while (!stop) {
        pthread_mutex_lock(&mu);
        counter++;
        nanosleep(&ms, NULL);
        pthread_mutex_unlock(&mu);
        nanosleep(&ms, NULL);
    }
    return NULL;
}

static int run_run(int secs)
{
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&th[i], NULL, busy_worker, NULL) != 0)
            return 1;
    for (int s = 0; s < secs; s++) {
        libwait_mark("tick");
        sleep(1);
    }
    stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    printf("run done\n");
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "api";
    if (!strcmp(mode, "api"))
        return run_api();
    if (!strcmp(mode, "stdin"))
        return run_stdin();
    if (!strcmp(mode, "ownsig"))
        return run_ownsig();
    if (!strcmp(mode, "mark") && argc > 2) { /* one mark named argv[2] */
        libwait_mark(argv[2]);
        printf("mark done\n");
        return 0;
    }
    if (!strcmp(mode, "run"))
        return run_run(argc > 2 ? atoi(argv[2]) : 4);
    fprintf(stderr, "usage: phases [api|stdin|ownsig|run [SECONDS]|mark NAME]\n");
    return 2;
}
