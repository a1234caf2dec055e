/* hostile_helper.c: programs that do unusual things to their own process,
 * printing only what is the same with or without libwait.
 *
 *   hostile_helper stderr FILE N  close fd 2, open FILE (it gets fd 2),
 *                                 write a line, N malloc/free pairs, write
 *                                 a second line; prints the fd FILE got
 *   hostile_helper fds N [list]   open /dev/null N times, then a pipe and
 *                                 a dup, printing each fd number (or the
 *                                 error), with malloc/free between (so a
 *                                 preloaded run records and unwinds);
 *                                 with list, then every fd open in the
 *                                 process (from /proc/self/fd)
 *   hostile_helper jumps          a SIGALRM handler siglongjmps out of a
 *                                 blocked read, poll, nanosleep, sleep and
 *                                 pthread_cond_wait (one each); then 1000
 *                                 malloc/free pairs at churn
 *   hostile_helper cancel         a thread cancelled while blocked in read
 *                                 runs a cleanup handler that makes 100
 *                                 malloc/free pairs at cleanup_churn; the
 *                                 same for poll, nanosleep and cond_wait
 *   hostile_helper altstack       a thread whose stack lies below its
 *                                 alternate signal stack blocks in read; a
 *                                 SIGUSR1 handler on the alternate stack
 *                                 makes 50 malloc/free pairs at
 *                                 handler_churn, then writes to the pipe;
 *                                 then 100 pairs at churn
 *   hostile_helper forksig        a SIGALRM handler (every 2 ms) forks;
 *                                 each child locks a mutex and _exits 0;
 *                                 meanwhile the main loop locks and
 *                                 unlocks a mutex at many distinct stacks
 *                                 (no malloc there: glibc's own fork
 *                                 handler would deadlock on an interrupted
 *                                 malloc, with or without libwait), until
 *                                 40 children were forked
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINL __attribute__((noinline))

static void fail(const char *what)
{
    perror(what);
    exit(1);
}

/* churn: n malloc/free pairs of varying sizes, kept from being elided */
static NOINL void churn(long n)
{
    for (long i = 0; i < n; i++) {
        void *volatile p = malloc((size_t)(16 + i % 512));
        free(p);
    }
}

static int mode_stderr(const char *file, long n)
{
    close(2);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        fail("open");
    printf("file fd %d\n", fd);
    fflush(stdout);
    static const char a[] = "program line 1\n", b[] = "program line 2\n";
    if (write(fd, a, sizeof a - 1) != (ssize_t)sizeof a - 1)
        return 1;
    churn(n);
    if (write(fd, b, sizeof b - 1) != (ssize_t)sizeof b - 1)
        return 1;
    return 0;
}

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

static NOINL int mode_fds(long n, int list)
{
    for (long i = 0; i < n; i++) {
        churn(10);
        int fd = open("/dev/null", O_RDONLY);
        printf("open %ld: %d %s\n", i, fd, fd < 0 ? strerror(errno) : "");
    }
    int p[2];
    if (pipe(p) == 0)
        printf("pipe: %d %d\n", p[0], p[1]);
    else
        printf("pipe: %s\n", strerror(errno));
    int d = dup(0);
    printf("dup: %d %s\n", d, d < 0 ? strerror(errno) : "");
    if (list) {
        DIR *dir = opendir("/proc/self/fd");
        if (!dir)
            fail("opendir");
        int own = dirfd(dir), fds[4096], n = 0;
        struct dirent *e;
        while ((e = readdir(dir)) && n < 4096)
            if (e->d_name[0] != '.' && atoi(e->d_name) != own)
                fds[n++] = atoi(e->d_name);
        closedir(dir);
        qsort(fds, (size_t)n, sizeof *fds, cmp_int);
        printf("open fds:");
        for (int i = 0; i < n; i++)
            printf(" %d", fds[i]);
        printf("\n");
    }
    return 0;
}

/* ---- jumps: siglongjmp out of a handler that interrupted a blocked call */

static sigjmp_buf jump_env;
static volatile sig_atomic_t jumped;

static void jump_handler(int sig)
{
    (void)sig;
    jumped++;
    siglongjmp(jump_env, 1);
}

/* arm: SIGALRM in 20 ms, once */
static void arm(void)
{
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static pthread_mutex_t jm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t jc = PTHREAD_COND_INITIALIZER;

static NOINL void block_in(int which, int rfd)
{
    char c;
    struct pollfd pf = {rfd, POLLIN, 0};
    struct timespec ts = {10, 0};
    switch (which) {
    case 0:
        if (read(rfd, &c, 1) != 1)
            break;
        break;
    case 1:
        poll(&pf, 1, 10000);
        break;
    case 2:
        nanosleep(&ts, NULL);
        break;
    case 3:
        sleep(10);
        break;
    case 4:
        pthread_mutex_lock(&jm);
        pthread_cond_wait(&jc, &jm);
        break;
    }
}

static int mode_jumps(void)
{
    static const char *names[] = {"read", "poll", "nanosleep", "sleep", "pthread_cond_wait"};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = jump_handler;
    sigaction(SIGALRM, &sa, NULL);
    int p[2];
    if (pipe(p) != 0)
        fail("pipe");
    for (volatile int i = 0; i < 5; i++) {
        if (sigsetjmp(jump_env, 1) == 0) {
            arm();
            block_in(i, p[0]);
            printf("%s returned\n", names[i]);
        } else {
            printf("jumped out of %s\n", names[i]);
        }
    }
    /* the condvar wait left the mutex unlocked as far as the program knows
     * (it was interrupted before reacquiring it); it is not used again */
    churn(1000);
    printf("jumps: %d\n", (int)jumped);
    return 0;
}

/* ---- cancel: the program's cleanup handlers of a cancelled wrapped call */

static NOINL void cleanup_churn(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        void *volatile q = malloc(32);
        free(q);
    }
}

static int cancel_pipe[2];
static volatile int in_call;

/* unlock_jm: a cancelled pthread_cond_wait returns to its cleanup with
 * the mutex locked (arg: whether this thread waited on the condvar) */
static void unlock_jm(void *arg)
{
    if (arg)
        pthread_mutex_unlock(&jm);
}

static void *cancel_thread(void *arg)
{
    int which = (int)(intptr_t)arg;
    pthread_cleanup_push(cleanup_churn, NULL);
    pthread_cleanup_push(unlock_jm, (void *)(intptr_t)(which == 3));
    in_call = 1;
    block_in(which == 3 ? 4 : which, cancel_pipe[0]);
    pthread_cleanup_pop(1);
    pthread_cleanup_pop(0);
    return NULL;
}

static int mode_cancel(void)
{
    static const char *names[] = {"read", "poll", "nanosleep", "pthread_cond_wait"};
    if (pipe(cancel_pipe) != 0)
        fail("pipe");
    for (int i = 0; i < 4; i++) {
        pthread_t th;
        in_call = 0;
        if (pthread_create(&th, NULL, cancel_thread, (void *)(intptr_t)i) != 0)
            fail("pthread_create");
        while (!in_call)
            sched_yield();
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
        pthread_cancel(th);
        void *res;
        pthread_join(th, &res);
        printf("%s: %s\n", names[i], res == PTHREAD_CANCELED ? "cancelled" : "returned");
    }
    return 0;
}

/* ---- altstack: a handler on an alternate stack above the thread's stack */

static int alt_pipe[2];
static _Alignas(4096) unsigned char low_stack[1 << 20]; /* in .bss: below any mmap */

static NOINL void handler_churn(void)
{
    for (int i = 0; i < 50; i++) {
        void *volatile q = malloc(48);
        free(q);
    }
}

static void alt_handler(int sig)
{
    (void)sig;
    stack_t ss;
    int on = sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK);
    handler_churn();
    char c = on ? 'a' : 'm';
    if (write(alt_pipe[1], &c, 1) != 1)
        _exit(3);
}

static void *alt_thread(void *arg)
{
    (void)arg;
    stack_t ss = {0};
    ss.ss_size = 1 << 16;
    ss.ss_sp = mmap(NULL, ss.ss_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL) != 0)
        fail("sigaltstack");
    printf("alternate stack above the thread's stack: %s\n", (uintptr_t)ss.ss_sp > (uintptr_t)low_stack ? "yes" : "no");
    in_call = 1;
    char c = 0;
    ssize_t n = read(alt_pipe[0], &c, 1);
    printf("read %zd: handler ran on the %s stack\n", n, c == 'a' ? "alternate" : "thread's");
    churn(100);
    return NULL;
}

static int mode_altstack(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = alt_handler;
    sa.sa_flags = SA_ONSTACK | SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    if (pipe(alt_pipe) != 0)
        fail("pipe");
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstack(&a, low_stack, sizeof low_stack);
    pthread_t th;
    if (pthread_create(&th, &a, alt_thread, NULL) != 0)
        fail("pthread_create");
    while (!in_call)
        sched_yield();
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
    pthread_kill(th, SIGUSR1);
    pthread_join(th, NULL);
    return 0;
}

/* ---- forksig: fork in a signal handler that interrupts wrapped calls */

static volatile sig_atomic_t forks, fork_failed;
static pthread_mutex_t fm = PTHREAD_MUTEX_INITIALIZER;

static void fork_handler(int sig)
{
    (void)sig;
    int saved = errno;
    pid_t p = fork();
    if (p == 0) {
        static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
        pthread_mutex_lock(&cm);
        pthread_mutex_unlock(&cm);
        _exit(0);
    }
    if (p < 0)
        fork_failed = 1;
    else if (++forks >= 40) { /* enough: the timer stops, the main loop ends */
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(ITIMER_REAL, &off, NULL);
    }
    errno = saved;
}

/* deep: lock and unlock fm at recursion depth n (a distinct stack each) */
static NOINL int deep(int n)
{
    if (n > 0)
        return deep(n - 1) + 1;
    pthread_mutex_lock(&fm);
    pthread_mutex_unlock(&fm);
    return 0;
}

static int mode_forksig(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fork_handler;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 2000}, {0, 2000}};
    setitimer(ITIMER_REAL, &it, NULL);
    int bad = 0, st;
    for (long i = 0; forks < 40 && !fork_failed; i++) {
        deep((int)(i % 97));
        while (waitpid(-1, &st, WNOHANG) > 0)
            bad += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    while (waitpid(-1, &st, 0) > 0 || errno == EINTR)
        bad += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
    printf("forked at least 40: %s\nevery child exited 0: %s\n", forks >= 40 ? "yes" : "no", bad ? "no" : "yes");
    return fork_failed;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "forksig"))
        return mode_forksig();
    if (argc >= 2 && !strcmp(argv[1], "jumps"))
        return mode_jumps();
    if (argc >= 2 && !strcmp(argv[1], "cancel"))
        return mode_cancel();
    if (argc >= 2 && !strcmp(argv[1], "altstack"))
        return mode_altstack();
    if (argc >= 3 && !strcmp(argv[1], "fds"))
        return mode_fds(atol(argv[2]), argc > 3 && !strcmp(argv[3], "list"));
    if (argc >= 4 && !strcmp(argv[1], "stderr"))
        return mode_stderr(argv[2], atol(argv[3]));
    fprintf(stderr, "usage: hostile_helper stderr FILE N | fds N [list] | jumps | cancel | altstack | forksig\n");
    return 2;
}
