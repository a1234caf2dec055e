/* wake_helper.c: the known-answer cases of wakers, causes and thread lives
 * (tests/integration/wake.sh, doc/wakers.md). Each mode prints one line
 * "MODE: ok" and exits 0.
 *   cond      a consumer waits on a condvar while the producer computes
 *             3 x 100 ms between signals
 *   pipe [MS] A reads a pipe fed by B, B reads a pipe fed by C, C sleeps
 *             MS (default 300) ms first
 *   join      main joins a worker that sleeps 300 ms
 *   mutex     a holder sleeps 3 x 200 ms while holding a mutex a waiter
 *             asks for
 *   sem       a waiter's sem_wait ends with a sem_post 200 ms later
 *   eventfd   a waiter's eventfd_read ends with an eventfd_write 200 ms later
 *   socketpair a waiter's read ends with a write on the other end 200 ms later
 *   cycle     two threads hand a token back and forth 10 times (condvars),
 *             each holding it 10 ms
 *   life      a thread computes 100 ms of CPU time before its first wrapped call
 *   fault     a thread mallocs 256 MiB (above the mmap threshold) and
 *             touches it page by page (no huge pages): one minor page
 *             fault per page, outside any wrapped call; prints the pages
 *   barrier   main and two workers meet at a barrier twice; each time one
 *             worker arrives last, after 100 ms of computing
 *   alone     one thread: 50 ms of computing, a 100 ms usleep, 50 ms more
 *   mark      main marks "wait", joins a worker that sleeps 200 ms, marks
 *             "after" and computes 50 ms
 *   busy      main joins a worker that computes 100 ms with a lock and an
 *             unlock every ~20 us (about 10,000 calls), then sleeps 100 ms:
 *             far more calls inside the wait than a thread's first ring of
 *             1,024 holds
 *   poll      main polls a pipe's read end; a writer computes 200 ms, then
 *             writes one byte, which main reads
 *   epoll     main waits in epoll_wait on an eventfd registered with a
 *             pointer as its data (not the fd); a writer sleeps 200 ms,
 *             then eventfd_writes it
 *   listen    main polls a TCP socket listening on 127.0.0.1; a client
 *             thread sleeps 200 ms, then connects, and main accepts */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "libwait.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER, cv2 = PTHREAD_COND_INITIALIZER;
static int ready, turn;
static sem_t sem;
static pthread_barrier_t bar;
static int fds[2], fds2[2];
static volatile uint64_t sink;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* compute: CPU work for ms milliseconds, no wrapped call */
__attribute__((noinline)) static void compute(unsigned ms)
{
    uint64_t end = now_ns() + ms * 1000000ull;
    while (now_ns() < end)
        for (int i = 0; i < 1000; i++)
            sink += (uint64_t)i * i;
}

/* compute_cpu: ms milliseconds of this thread's CPU time, however long a
 * loaded machine makes them last */
__attribute__((noinline)) static void compute_cpu(unsigned ms)
{
    struct timespec ts;
    uint64_t end = 0, t;
    do {
        for (int i = 0; i < 1000; i++)
            sink += (uint64_t)i * i;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
        if (!end)
            end = t + ms * 1000000ull;
    } while (t < end);
}

static void must(int ok, const char *what)
{
    if (!ok) {
        perror(what);
        exit(1);
    }
}

static pthread_t start(void *(*fn)(void *), void *arg)
{
    pthread_t th;
    must(pthread_create(&th, NULL, fn, arg) == 0, "pthread_create");
    return th;
}

/* cond: the producer signals after each 100 ms of CPU */
__attribute__((noinline)) static void *producer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        compute(100);
        pthread_mutex_lock(&mu);
        ready++;
        pthread_cond_signal(&cv);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

__attribute__((noinline)) static void consume(void)
{
    for (int got = 0; got < 3; got++) {
        pthread_mutex_lock(&mu);
        while (ready == 0)
            pthread_cond_wait(&cv, &mu);
        ready--;
        pthread_mutex_unlock(&mu);
    }
}

/* pipe: C sleeps then writes to B; B reads, then writes to A (main) */
__attribute__((noinline)) static void *stage_c(void *arg)
{
    usleep((useconds_t)(uintptr_t)arg);
    must(write(fds2[1], "c", 1) == 1, "write c");
    return NULL;
}

__attribute__((noinline)) static void *stage_b(void *arg)
{
    (void)arg;
    char c;
    must(read(fds2[0], &c, 1) == 1, "read b");
    must(write(fds[1], "b", 1) == 1, "write b");
    return NULL;
}

/* busy: 100 ms of computing made of ~20 us steps, each followed by a
 * lock and an unlock of a mutex of its own, then a 100 ms sleep */
__attribute__((noinline)) static void *busy(void *arg)
{
    static pthread_mutex_t own = PTHREAD_MUTEX_INITIALIZER;
    uint64_t end = now_ns() + 100000000ull;
    (void)arg;
    while (now_ns() < end) {
        uint64_t step = now_ns() + 20000;
        while (now_ns() < step)
            for (int i = 0; i < 100; i++)
                sink += (uint64_t)i * i;
        pthread_mutex_lock(&own);
        pthread_mutex_unlock(&own);
    }
    usleep(100000);
    return NULL;
}

__attribute__((noinline)) static void *sleeper(void *arg)
{
    usleep((useconds_t)(uintptr_t)arg);
    return NULL;
}

/* mutex: the holder sleeps 200 ms inside each of 3 holds */
__attribute__((noinline)) static void *holder(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        pthread_mutex_lock(&mu);
        if (i == 0) {
            ready = 1;
        }
        usleep(200000);
        pthread_mutex_unlock(&mu);
        sched_yield();
    }
    return NULL;
}

__attribute__((noinline)) static void *poster(void *arg)
{
    (void)arg;
    usleep(200000);
    must(sem_post(&sem) == 0, "sem_post");
    return NULL;
}

__attribute__((noinline)) static void *efd_writer(void *arg)
{
    (void)arg;
    usleep(200000);
    must(eventfd_write(fds[0], 1) == 0, "eventfd_write");
    return NULL;
}

__attribute__((noinline)) static void *cpu_writer(void *arg)
{
    (void)arg;
    compute(200);
    must(write(fds[1], "w", 1) == 1, "write poll");
    return NULL;
}

static struct sockaddr_in listen_addr;

__attribute__((noinline)) static void *connector(void *arg)
{
    (void)arg;
    usleep(200000);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    must(s >= 0 && connect(s, (struct sockaddr *)&listen_addr, sizeof listen_addr) == 0, "connect");
    close(s);
    return NULL;
}

__attribute__((noinline)) static void *pair_writer(void *arg)
{
    (void)arg;
    usleep(200000);
    must(write(fds[1], "p", 1) == 1, "write pair");
    return NULL;
}

/* cycle: the token goes 0 -> 1 -> 0 ... ; each side waits for its turn */
__attribute__((noinline)) static void *cycler(void *arg)
{
    int me = (int)(uintptr_t)arg;
    for (int i = 0; i < 10; i++) {
        pthread_mutex_lock(&mu);
        while (turn != me)
            pthread_cond_wait(me ? &cv2 : &cv, &mu);
        pthread_mutex_unlock(&mu);
        /* the token's work, outside the mutex: long enough that the other
         * thread is waiting for the token by its end, however loaded the
         * machine, so that both threads wake each other every time */
        usleep(10000);
        pthread_mutex_lock(&mu);
        turn = !me;
        pthread_cond_signal(me ? &cv : &cv2);
        pthread_mutex_unlock(&mu);
    }
    return NULL;
}

/* life: 100 ms of CPU before the first wrapped call (usleep) */
__attribute__((noinline)) static void *late_caller(void *arg)
{
    (void)arg;
    compute_cpu(100);
    usleep(1000);
    return NULL;
}

/* barrier: worker i computes 100 ms before round i, so it arrives last */
__attribute__((noinline)) static void *barrier_worker(void *arg)
{
    int me = (int)(uintptr_t)arg;
    for (int round = 0; round < 2; round++) {
        if (round == me)
            compute(100);
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

#define FAULT_BYTES (256u << 20)

/* fault: every page of a block malloc maps touched once, after the call */
__attribute__((noinline)) static void *toucher(void *arg)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 0;
    char *p = malloc(FAULT_BYTES);
    must(p != NULL, "malloc");
    uintptr_t lo = ((uintptr_t)p + page - 1) & ~(uintptr_t)(page - 1);
    uintptr_t hi = ((uintptr_t)p + FAULT_BYTES) & ~(uintptr_t)(page - 1);
    madvise((void *)lo, hi - lo, MADV_NOHUGEPAGE); /* else a fault maps 2 MiB at a time */
    for (uintptr_t a = lo; a < hi; a += page, n++)
        *(volatile char *)a = 1;
    free(p);
    *(size_t *)arg = n;
    return NULL;
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "cond")) {
        pthread_t p = start(producer, NULL);
        consume();
        pthread_join(p, NULL);
    } else if (!strcmp(m, "pipe")) {
        must(pipe(fds) == 0 && pipe(fds2) == 0, "pipe");
        unsigned ms = argc > 2 ? (unsigned)atoi(argv[2]) : 300;
        pthread_t c = start(stage_c, (void *)(uintptr_t)(ms * 1000u)), b = start(stage_b, NULL);
        char ch;
        must(read(fds[0], &ch, 1) == 1 && ch == 'b', "read a");
        pthread_join(b, NULL);
        pthread_join(c, NULL);
    } else if (!strcmp(m, "busy")) {
        pthread_join(start(busy, NULL), NULL);
    } else if (!strcmp(m, "join")) {
        pthread_join(start(sleeper, (void *)(uintptr_t)300000), NULL);
    } else if (!strcmp(m, "mutex")) {
        pthread_t h = start(holder, NULL);
        while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
            sched_yield();
        for (int i = 0; i < 2; i++) { /* blocked behind holds 1 and 2 (or 3) */
            pthread_mutex_lock(&mu);
            pthread_mutex_unlock(&mu);
        }
        pthread_join(h, NULL);
    } else if (!strcmp(m, "sem")) {
        must(sem_init(&sem, 0, 0) == 0, "sem_init");
        pthread_t p = start(poster, NULL);
        must(sem_wait(&sem) == 0, "sem_wait");
        pthread_join(p, NULL);
    } else if (!strcmp(m, "eventfd")) {
        fds[0] = eventfd(0, 0);
        must(fds[0] >= 0, "eventfd");
        pthread_t p = start(efd_writer, NULL);
        eventfd_t v;
        must(eventfd_read(fds[0], &v) == 0 && v == 1, "eventfd_read");
        pthread_join(p, NULL);
    } else if (!strcmp(m, "socketpair")) {
        must(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0, "socketpair");
        pthread_t p = start(pair_writer, NULL);
        char ch;
        must(read(fds[0], &ch, 1) == 1, "read pair");
        pthread_join(p, NULL);
    } else if (!strcmp(m, "cycle")) {
        pthread_t a = start(cycler, (void *)0), b = start(cycler, (void *)1);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
    } else if (!strcmp(m, "life")) {
        pthread_join(start(late_caller, NULL), NULL);
    } else if (!strcmp(m, "fault")) {
        size_t pages = 0;
        pthread_join(start(toucher, &pages), NULL);
        printf("pages touched: %zu\n", pages);
    } else if (!strcmp(m, "barrier")) {
        must(pthread_barrier_init(&bar, NULL, 3) == 0, "pthread_barrier_init");
        pthread_t a = start(barrier_worker, (void *)0), b = start(barrier_worker, (void *)1);
        for (int round = 0; round < 2; round++)
            pthread_barrier_wait(&bar);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
    } else if (!strcmp(m, "poll")) {
        must(pipe(fds) == 0, "pipe");
        pthread_t w = start(cpu_writer, NULL);
        struct pollfd pf = {.fd = fds[0], .events = POLLIN};
        char ch;
        must(poll(&pf, 1, -1) == 1 && (pf.revents & POLLIN), "poll");
        must(read(fds[0], &ch, 1) == 1 && ch == 'w', "read poll");
        pthread_join(w, NULL);
    } else if (!strcmp(m, "epoll")) {
        static int token;
        int ep = epoll_create1(0);
        fds[0] = eventfd(0, 0);
        must(ep >= 0 && fds[0] >= 0, "epoll_create1/eventfd");
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &token}, got;
        must(epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev) == 0, "epoll_ctl");
        pthread_t w = start(efd_writer, NULL);
        must(epoll_wait(ep, &got, 1, -1) == 1 && got.data.ptr == &token, "epoll_wait");
        eventfd_t v;
        must(eventfd_read(fds[0], &v) == 0 && v == 1, "eventfd_read");
        pthread_join(w, NULL);
    } else if (!strcmp(m, "listen")) {
        socklen_t len = sizeof listen_addr;
        int l = socket(AF_INET, SOCK_STREAM, 0);
        listen_addr.sin_family = AF_INET;
        listen_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        must(l >= 0 && bind(l, (struct sockaddr *)&listen_addr, sizeof listen_addr) == 0 &&
                 getsockname(l, (struct sockaddr *)&listen_addr, &len) == 0 && listen(l, 1) == 0,
             "listen");
        pthread_t c = start(connector, NULL);
        struct pollfd pf = {.fd = l, .events = POLLIN};
        must(poll(&pf, 1, -1) == 1 && (pf.revents & POLLIN), "poll listen");
        int a = accept(l, NULL, NULL);
        must(a >= 0, "accept");
        close(a);
        pthread_join(c, NULL);
    } else if (!strcmp(m, "alone")) {
        compute(50);
        usleep(100000);
        compute(50);
    } else if (!strcmp(m, "mark")) {
        libwait_mark("wait");
        pthread_join(start(sleeper, (void *)(uintptr_t)200000), NULL);
        libwait_mark("after");
        compute(50);
    } else {
        fprintf(stderr, "usage: wake_helper cond|pipe "
                        "[MS]|join|mutex|sem|eventfd|socketpair|cycle|life|fault|barrier|alone|mark|busy|"
                        "poll|epoll|listen\n");
        return 2;
    }
    printf("%s: ok\n", m);
    return 0;
}
