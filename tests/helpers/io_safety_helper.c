/* io_safety_helper.c: wrapped blocking calls under the program's own
 * disturbances, printing only what is the same with or without libwait.
 *
 *   io_safety_helper eintr     a signal (no SA_RESTART) interrupts poll,
 *                              nanosleep and sleep: -1 EINTR, rem/left set
 *   io_safety_helper cancel    threads cancelled while blocked in read,
 *                              poll and nanosleep; then 200 zero-timeout
 *                              polls at site_after_cancel (100 from a new
 *                              thread, 100 from main)
 *   io_safety_helper closeall  close(3..1023), then 2000 one-byte writes
 *                              at site_after_close into a new file
 *   io_safety_helper closefrom closefrom(3), then the same
 *   io_safety_helper dup2      dup2 of the new file onto every fd open on
 *                              a *.bin file (libwait's trace, if any; none
 *                              natively), then the same
 *   io_safety_helper fork      the parent maps 1 anonymous block at
 *                              site_parent_map, forks; the child maps and
 *                              unmaps 2 at site_child_map, then exits
 *   io_safety_helper forkspare a thread makes 10 zero-timeout polls at
 *                              site_spare and ends, then a second one that
 *                              waited on a semaphore meanwhile; the process
 *                              forks and the child's thread makes the same
 *                              polls (libwait gives it the first thread's
 *                              state, kept across the fork)
 *   io_safety_helper fsize     10 zero-timeout polls at site_before_limit,
 *                              lowers its file size limit to 4 KiB (below
 *                              any trace), then 20000 at site_after_limit
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINL __attribute__((noinline))

static void fail(const char *what)
{
    perror(what);
    exit(1);
}

/* ---- eintr: a signal interrupts poll and nanosleep as it would natively ---- */
static void on_alarm(int sig) { (void)sig; }

static void run_eintr(void)
{
    struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    int q[2];
    if (pipe(q))
        fail("pipe");
    struct pollfd f = {q[0], POLLIN, 0};
    ualarm(50000, 0);
    int r = poll(&f, 1, 5000);
    printf("poll %d %s\n", r, r < 0 ? strerror(errno) : "-");
    struct timespec ts = {5, 0}, rem = {0, 0};
    ualarm(50000, 0);
    r = nanosleep(&ts, &rem);
    printf("nanosleep %d %s rem<5s %d rem>4s %d\n", r, r < 0 ? strerror(errno) : "-", rem.tv_sec < 5, rem.tv_sec >= 4);
    ualarm(50000, 0);
    unsigned left = sleep(5);
    printf("sleep left %u\n", left);
}

/* ---- cancel: threads blocked in read, poll, nanosleep are cancelled ---- */
static int cq[2];

static void *block_read(void *a)
{
    (void)a;
    char c;
    ssize_t r = read(cq[0], &c, 1);
    return (void *)r;
}
static void *block_poll(void *a)
{
    (void)a;
    struct pollfd f = {cq[0], POLLIN, 0};
    return (void *)(long)poll(&f, 1, -1);
}
static void *block_sleep(void *a)
{
    (void)a;
    struct timespec ts = {60, 0};
    return (void *)(long)nanosleep(&ts, NULL);
}
NOINL static void site_after_cancel(void) /* 100 zero-timeout polls */
{
    struct pollfd f = {cq[0], POLLIN, 0};
    for (int i = 0; i < 100; i++)
        if (poll(&f, 1, 0) != 0)
            fail("poll");
}
static void *after_thread(void *a)
{
    (void)a;
    site_after_cancel();
    return NULL;
}

static void run_cancel(void)
{
    if (pipe(cq))
        fail("pipe");
    void *(*fn[3])(void *) = {block_read, block_poll, block_sleep};
    pthread_t t[3];
    int cancelled = 0;
    for (int i = 0; i < 3; i++)
        if (pthread_create(&t[i], NULL, fn[i], NULL))
            fail("pthread_create");
    usleep(100000); /* all three are blocked by now */
    for (int i = 0; i < 3; i++) {
        void *res;
        pthread_cancel(t[i]);
        pthread_join(t[i], &res);
        cancelled += res == PTHREAD_CANCELED;
    }
    pthread_t a;
    pthread_create(&a, NULL, after_thread, NULL);
    pthread_join(a, NULL);
    site_after_cancel();
    printf("%d of 3 threads cancelled\n", cancelled);
}

/* ---- closeall / closefrom: a program that closes every fd ---- */
NOINL static void site_after_close(int f) /* 2000 writes of 1 byte */
{
    for (int i = 0; i < 2000; i++)
        if (write(f, "z", 1) != 1)
            fail("write");
}

/* dup2_onto_bin: dup2 f onto each fd open on a "*.bin" file */
static void dup2_onto_bin(int f)
{
    for (int fd = 3; fd < 1024; fd++) {
        char l[64], t[512];
        snprintf(l, sizeof l, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(l, t, sizeof t - 1);
        if (n > 4 && fd != f && !memcmp(t + n - 4, ".bin", 4) && dup2(f, fd) != fd)
            fail("dup2");
    }
}

static void run_closeall(int how)
{
    if (how == 1)
        closefrom(3);
    else if (how == 0)
        for (int f = 3; f < 1024; f++)
            close(f); /* how many were open may differ: fds the harness leaked */
    char q[] = "/tmp/all_io_waits.closeXXXXXX";
    int f = mkstemp(q);
    if (f < 0)
        fail("mkstemp");
    if (how == 2)
        dup2_onto_bin(f);
    site_after_close(f);
    close(f);
    /* the file holds exactly the program's 2000 bytes, nothing of libwait's */
    FILE *r = fopen(q, "r");
    int c, n = 0, other = 0;
    while (r && (c = getc(r)) != EOF)
        n++, other += c != 'z';
    if (r)
        fclose(r);
    unlink(q);
    printf("file has %d bytes, %d foreign\n", n, other);
}

/* ---- fork: the child drops the parent's chunks with the real munmap ---- */
NOINL static void *site_parent_map(void)
{
    void *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        fail("mmap");
    return m;
}

NOINL static void site_child_map(void)
{
    for (int i = 0; i < 2; i++) {
        void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED || munmap(m, 4096))
            fail("mmap (child)");
    }
}

static void run_fork(void)
{
    void *m = site_parent_map();
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0) {
        site_child_map();
        exit(7);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    munmap(m, 8192);
    printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* ---- forkspare: a thread like one the parent finished, in a fork child ---- */
NOINL static void site_spare(void)
{
    for (int i = 0; i < 10; i++)
        poll(NULL, 0, 0);
}

static void *spare_worker(void *arg)
{
    site_spare();
    return arg;
}

static sem_t spare_sem;

static void *spare_waiter(void *arg)
{
    while (sem_wait(&spare_sem) != 0)
        ;
    return arg;
}

static void spare_thread(void)
{
    pthread_t th;
    if (pthread_create(&th, NULL, spare_worker, NULL) != 0 || pthread_join(th, NULL) != 0)
        fail("pthread");
}

static void run_forkspare(void)
{
    /* the waiter ends after the worker, so its state is the one taken
     * first again (by the child's main thread), and the worker's goes to
     * the child's worker */
    pthread_t w;
    if (sem_init(&spare_sem, 0, 0) != 0 || pthread_create(&w, NULL, spare_waiter, NULL) != 0)
        fail("pthread");
    spare_thread();
    if (sem_post(&spare_sem) != 0 || pthread_join(w, NULL) != 0)
        fail("pthread");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0) {
        spare_thread();
        exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* ---- fsize: the program lowers its own RLIMIT_FSIZE mid-run ---- */
NOINL static void site_before_limit(void)
{
    for (int i = 0; i < 10; i++)
        poll(NULL, 0, 0);
}

NOINL static void site_after_limit(void)
{
    for (int i = 0; i < 20000; i++)
        poll(NULL, 0, 0);
}

static void run_fsize(void)
{
    struct rlimit rl;
    site_before_limit();
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0)
        fail("getrlimit");
    rl.rlim_cur = 4096;
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
        fail("setrlimit");
    site_after_limit();
    printf("20000 polls after the limit\n");
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "eintr"))
        run_eintr();
    else if (!strcmp(mode, "cancel"))
        run_cancel();
    else if (!strcmp(mode, "closeall"))
        run_closeall(0);
    else if (!strcmp(mode, "closefrom"))
        run_closeall(1);
    else if (!strcmp(mode, "dup2"))
        run_closeall(2);
    else if (!strcmp(mode, "fork"))
        run_fork();
    else if (!strcmp(mode, "forkspare"))
        run_forkspare();
    else if (!strcmp(mode, "fsize"))
        run_fsize();
    else
        return 2;
    return 0;
}
