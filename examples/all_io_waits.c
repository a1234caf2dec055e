/* all_io_waits: every poll, I/O, sleep, mmap and stdio call libwait wraps,
 * a known number of times, each kind from its own function (site_<call>),
 * so each site is unambiguous. The table of counts is in the integration
 * test (tests/integration/waits_io_check.py); the constants below are it.
 *
 * Prints the fds it closed and the bytes it moved (the same with or
 * without the preload). EINTR, cancellation and closing every fd are
 * tested by tests/helpers/io_safety_helper.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define N     3 /* most kinds: 3 calls */
#define MAPSZ 65536
#define NOINL __attribute__((noinline))

/* the fortified entry points, called directly (as _FORTIFY_SOURCE would) */
extern ssize_t __read_chk(int, void *, size_t, size_t);
extern ssize_t __pread_chk(int, void *, size_t, off_t, size_t);
extern ssize_t __recv_chk(int, void *, size_t, size_t, int);
extern ssize_t __recvfrom_chk(int, void *, size_t, size_t, int, struct sockaddr *, socklen_t *);
extern int __open_2(const char *, int);
extern int __openat_2(int, const char *, int);
extern int __poll_chk(struct pollfd *, nfds_t, int, size_t);
extern size_t __fread_chk(void *, size_t, size_t, size_t, FILE *);
extern char *__fgets_chk(char *, size_t, int, FILE *);

static long moved; /* bytes moved, printed at the end */
static char dir[] = "/tmp/all_io_waits.XXXXXX";
static char path[64];

static void fail(const char *what)
{
    perror(what);
    exit(1);
}

static void ck(long r, const char *what)
{
    if (r < 0)
        fail(what);
    moved += r;
}

/* REPEAT: n calls of call, each checked by ck (REPEATFD: by ckfd) */
#define REPEAT(n, call, what)                                                                                          \
    for (int i = 0; i < (n); i++)                                                                                      \
    ck(call, what)
#define REPEATFD(n, call, what)                                                                                        \
    for (int i = 0; i < (n); i++)                                                                                      \
    ckfd(call, what)

/* ckfd: an fd result (not added to moved: fd numbers may differ between runs) */
static void ckfd(long r, const char *what)
{
    if (r < 0)
        fail(what);
}

/* ---- polls: pipe p is ready (one byte in it) unless drained ---- */
static int p[2];

NOINL static void site_poll(void) /* 3 fast */
{
    for (int i = 0; i < N; i++) {
        struct pollfd f = {p[0], POLLIN, 0};
        ck(poll(&f, 1, 1000) - 1, "poll");
    }
}

NOINL static void site_poll_chk(void) /* 2 fast, recorded as poll */
{
    for (int i = 0; i < 2; i++) {
        struct pollfd f = {p[0], POLLIN, 0};
        ck(__poll_chk(&f, 1, 0, sizeof f) - 1, "__poll_chk");
    }
}

static int slow_pipe[2];

NOINL static void site_helper_sleep(void) /* the helper: 1 nanosleep of 100 ms */
{
    struct timespec ts = {0, 100000000};
    nanosleep(&ts, NULL);
}

NOINL static void site_helper_write(void) /* the helper: 1 write */ { ck(write(slow_pipe[1], "x", 1), "write"); }

static void *helper(void *arg)
{
    (void)arg;
    site_helper_sleep();
    site_helper_write();
    return NULL;
}

NOINL static void site_poll_wait(void) /* 1 slow: data comes 100 ms later */
{
    struct pollfd f = {slow_pipe[0], POLLIN, 0};
    ck(poll(&f, 1, 5000) - 1, "poll (wait)");
}

NOINL static void site_ppoll(void) /* 2 fast, 1 slow (20 ms timeout) */
{
    struct timespec z = {0, 0}, tmo = {0, 20000000};
    struct pollfd f = {p[0], POLLIN, 0}, g = {slow_pipe[0], POLLIN, 0};
    ck(ppoll(&f, 1, &z, NULL) - 1, "ppoll");
    ck(ppoll(&f, 1, NULL, NULL) - 1, "ppoll");
    ck(ppoll(&g, 1, &tmo, NULL), "ppoll (timeout)");
}

static int ep;

NOINL static void site_epoll_wait(void) /* 3 fast */
{
    struct epoll_event ev;
    for (int i = 0; i < N; i++)
        ck(epoll_wait(ep, &ev, 1, 1000) - 1, "epoll_wait");
}

NOINL static void site_epoll_pwait(void) /* 3 fast */
{
    struct epoll_event ev;
    sigset_t ss;
    sigemptyset(&ss);
    for (int i = 0; i < N; i++)
        ck(epoll_pwait(ep, &ev, 1, 0, &ss) - 1, "epoll_pwait");
}

NOINL static void site_epoll_pwait2(void) /* 3 fast */
{
    struct epoll_event ev;
    struct timespec ts = {1, 0};
    for (int i = 0; i < N; i++)
        ck(epoll_pwait2(ep, &ev, 1, &ts, NULL) - 1, "epoll_pwait2");
}

NOINL static void site_pselect(void) /* 2 fast, 1 slow (20 ms timeout) */
{
    struct timespec z = {0, 0}, tmo = {0, 20000000};
    fd_set rs;
    for (int i = 0; i < 2; i++) {
        FD_ZERO(&rs);
        FD_SET(p[0], &rs);
        ck(pselect(p[0] + 1, &rs, NULL, NULL, &z, NULL) - 1, "pselect");
    }
    FD_ZERO(&rs);
    FD_SET(slow_pipe[0], &rs);
    ck(pselect(slow_pipe[0] + 1, &rs, NULL, NULL, &tmo, NULL), "pselect (timeout)");
}

/* ---- file I/O on path: 3 calls of 100 bytes each ---- */
static int fd;
static char buf[4096];

NOINL static void site_pwrite(void) { REPEAT(N, pwrite(fd, buf, 100, 100 * i), "pwrite"); }
NOINL static void site_pread(void) { REPEAT(N, pread(fd, buf, 100, 100 * i), "pread"); }
NOINL static void site_pwrite64(void) { REPEAT(2, pwrite64(fd, buf, 100, 0), "pwrite64"); }
NOINL static void site_pread64(void) { REPEAT(2, pread64(fd, buf, 100, 0), "pread64"); }
NOINL static void site_pread_chk(void) { REPEAT(2, __pread_chk(fd, buf, 100, 0, sizeof buf), "__pread_chk"); }

static struct iovec iov[2] = {{buf, 40}, {buf + 40, 60}};
NOINL static void site_writev(void) { REPEAT(N, writev(fd, iov, 2), "writev"); }
NOINL static void site_readv(void)
{
    lseek(fd, 0, SEEK_SET);
    for (int i = 0; i < N; i++)
        ck(readv(fd, iov, 2), "readv");
}
NOINL static void site_pwritev(void) { REPEAT(N, pwritev(fd, iov, 2, 0), "pwritev"); }
NOINL static void site_preadv(void) { REPEAT(N, preadv(fd, iov, 2, 0), "preadv"); }
NOINL static void site_pwritev2(void) { REPEAT(N, pwritev2(fd, iov, 2, 0, 0), "pwritev2"); }
NOINL static void site_preadv2(void) { REPEAT(N, preadv2(fd, iov, 2, 0, 0), "preadv2"); }
NOINL static void site_read_chk(void)
{
    lseek(fd, 0, SEEK_SET);
    for (int i = 0; i < 2; i++)
        ck(__read_chk(fd, buf, 100, sizeof buf), "__read_chk");
}
NOINL static void site_fsync(void) { REPEAT(2, fsync(fd), "fsync"); }
NOINL static void site_fdatasync(void) { REPEAT(2, fdatasync(fd), "fdatasync"); }
NOINL static void site_sync_file_range(void)
{
    REPEAT(2, sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE), "sync_file_range");
}

/* ---- open and close: every fd this program opens is closed by site_close ---- */
static int opened[32], nopened;

NOINL static void site_open(void)
{
    for (int i = 0; i < N; i++) /* 2 plain, 1 with O_CREAT and a mode */
        ckfd(opened[nopened++] = open(path, i < 2 ? O_RDONLY : O_RDWR | O_CREAT, 0600), "open");
}
NOINL static void site_open64(void) { ckfd(opened[nopened++] = open64(path, O_RDONLY), "open64"); }
NOINL static void site_open_2(void) { ckfd(opened[nopened++] = __open_2(path, O_RDONLY), "__open_2"); }
NOINL static void site_openat(void) { REPEATFD(N, opened[nopened++] = openat(AT_FDCWD, path, O_RDONLY), "openat"); }
NOINL static void site_openat_2(void) { ckfd(opened[nopened++] = __openat_2(AT_FDCWD, path, O_RDONLY), "__openat_2"); }
NOINL static void site_creat(void)
{
    char q[80];
    snprintf(q, sizeof q, "%s/c", dir);
    for (int i = 0; i < 2; i++)
        ckfd(opened[nopened++] = creat(q, 0600), "creat");
}
NOINL static void site_open_fail(void) /* 1 failed open: errno ENOENT kept */
{
    errno = 0;
    int r = open("/nonexistent/all_io_waits", O_RDONLY);
    if (r != -1 || errno != ENOENT)
        fail("open of a missing file");
}
NOINL static void site_close(int f) { ck(close(f), "close"); }

/* ---- sockets: a stream socketpair s, and TCP over loopback ---- */
static int s[2];

NOINL static void site_send(void) { REPEAT(N, send(s[0], buf, 10, 0), "send"); }
NOINL static void site_recv(void) { REPEAT(N, recv(s[1], buf, 10, MSG_WAITALL), "recv"); }
NOINL static void site_sendto(void) { REPEAT(N, sendto(s[0], buf, 10, 0, NULL, 0), "sendto"); }
NOINL static void site_recvfrom(void) { REPEAT(N, recvfrom(s[1], buf, 10, MSG_WAITALL, NULL, NULL), "recvfrom"); }
/* 2, recorded as recv; sends at site_send_for_chk */
NOINL static void site_recv_chk(void) { REPEAT(2, __recv_chk(s[1], buf, 10, sizeof buf, MSG_WAITALL), "__recv_chk"); }
NOINL static void site_recvfrom_chk(void)
{
    REPEAT(2, __recvfrom_chk(s[1], buf, 10, sizeof buf, MSG_WAITALL, NULL, NULL), "__recvfrom_chk");
}
NOINL static void site_send_for_chk(void) { ck(send(s[0], buf, 40, 0), "send"); }
NOINL static void site_sendmsg(void)
{
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
    for (int i = 0; i < N; i++)
        ck(sendmsg(s[0], &m, 0), "sendmsg");
}
NOINL static void site_recvmsg(void)
{
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
    for (int i = 0; i < N; i++)
        ck(recvmsg(s[1], &m, MSG_WAITALL), "recvmsg");
}

static int lsn, cli[N];
static struct sockaddr_in addr;

NOINL static void site_connect(void)
{
    for (int i = 0; i < N; i++) {
        cli[i] = socket(AF_INET, SOCK_STREAM, 0);
        ckfd(cli[i], "socket");
        ck(connect(cli[i], (struct sockaddr *)&addr, sizeof addr), "connect");
    }
}
NOINL static void site_accept(void) { REPEATFD(2, opened[nopened++] = accept(lsn, NULL, NULL), "accept"); }
NOINL static void site_accept4(void) { ckfd(opened[nopened++] = accept4(lsn, NULL, NULL, SOCK_CLOEXEC), "accept4"); }

/* ---- sleeps ---- */
NOINL static void site_nanosleep(void) /* 1 x 150 ms */
{
    struct timespec ts = {0, 150000000};
    ck(nanosleep(&ts, NULL), "nanosleep");
}
NOINL static void site_clock_nanosleep(void) /* 1 relative 20 ms, 1 absolute +20 ms */
{
    struct timespec ts = {0, 20000000}, now;
    if (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL))
        fail("clock_nanosleep");
    clock_gettime(CLOCK_MONOTONIC, &now);
    now.tv_nsec += 20000000;
    if (now.tv_nsec >= 1000000000)
        now.tv_sec++, now.tv_nsec -= 1000000000;
    if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL))
        fail("clock_nanosleep");
}
NOINL static void site_usleep(void) { REPEAT(2, usleep(10000), "usleep"); }
NOINL static void site_sleep(void) { ck(sleep(1), "sleep"); }

/* ---- anonymous memory: 3 maps of 64 KiB, 1 file map (not recorded) ---- */
static void *maps[N], *fmap;

NOINL static void site_mmap(void)
{
    for (int i = 0; i < N; i++)
        if ((maps[i] = mmap(NULL, MAPSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
            fail("mmap");
    if ((fmap = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) /* a file: not recorded */
        fail("mmap (file)");
}
NOINL static void site_mremap(void) /* 2: 64 KiB -> 128 KiB -> 64 KiB */
{
    if ((maps[0] = mremap(maps[0], MAPSZ, 2 * MAPSZ, MREMAP_MAYMOVE)) == MAP_FAILED ||
        (maps[0] = mremap(maps[0], 2 * MAPSZ, MAPSZ, MREMAP_MAYMOVE)) == MAP_FAILED)
        fail("mremap");
}
NOINL static void site_munmap(void) { REPEAT(N, munmap(maps[i], MAPSZ), "munmap"); }
NOINL static void site_munmap_file(void) { ck(munmap(fmap, 4096), "munmap (file)"); }

/* ---- stdio on a file of its own ---- */
static FILE *fp;

NOINL static void site_fwrite(void) { REPEAT(N, (long)fwrite(buf, 1, 10, fp) - 10, "fwrite"); }
NOINL static void site_fputs(void) { REPEAT(N, fputs("line\n", fp), "fputs"); }
NOINL static void site_fflush(void) { REPEAT(2, fflush(fp), "fflush"); }
NOINL static void site_fread(void) { REPEAT(N, (long)fread(buf, 1, 10, fp) - 10, "fread"); }
NOINL static void site_fread_chk(void) { ck((long)__fread_chk(buf, sizeof buf, 1, 0, fp), "__fread_chk"); }
NOINL static void site_fgets(void)
{
    for (int i = 0; i < N; i++)
        if (!fgets(buf, sizeof buf, fp))
            fail("fgets");
}
NOINL static void site_fgets_chk(void)
{
    if (!__fgets_chk(buf, sizeof buf, sizeof buf, fp))
        fail("__fgets_chk");
}
NOINL static void site_getline(void)
{
    static char *l;
    static size_t n;
    for (int i = 0; i < N; i++)
        ck(getline(&l, &n, fp), "getline");
}
NOINL static void site_getdelim(void)
{
    static char *l;
    static size_t n;
    for (int i = 0; i < 2; i++)
        ck(getdelim(&l, &n, '\n', fp), "getdelim");
}

static void stdio_part(void)
{
    char q[80];
    snprintf(q, sizeof q, "%s/stdio", dir);
    if (!(fp = fopen(q, "w+")))
        fail("fopen");
    site_fwrite();   /* 30 bytes, no newline */
    fputc('\n', fp); /* line 1: the 30 bytes */
    site_fputs();    /* lines 2..4 */
    for (int i = 0; i < 6; i++)
        fprintf(fp, "more %d\n", i); /* lines 5..10 */
    site_fflush();
    rewind(fp);
    site_fread();     /* 30 of line 1 */
    site_fgets();     /* "\n", "line\n" x 2 */
    site_fgets_chk(); /* "line\n" */
    site_getline();   /* "more 0..2\n" */
    site_getdelim();  /* "more 3..4\n" */
    site_fread_chk(); /* 0 items asked */
    fclose(fp);
}

static void socket_part(void)
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s))
        fail("socketpair");
    site_send();
    site_recv();
    site_sendto();
    site_recvfrom();
    site_send_for_chk();
    site_recv_chk();
    site_recvfrom_chk();
    site_sendmsg();
    site_recvmsg();
    lsn = socket(AF_INET, SOCK_STREAM, 0);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof addr;
    if (lsn < 0 || bind(lsn, (struct sockaddr *)&addr, sizeof addr) || listen(lsn, 8) ||
        getsockname(lsn, (struct sockaddr *)&addr, &al))
        fail("listen");
    site_connect();
    site_accept();
    site_accept4();
    for (int i = 0; i < N; i++)
        opened[nopened++] = cli[i];
    opened[nopened++] = lsn;
    opened[nopened++] = s[0];
    opened[nopened++] = s[1];
}

/* ---- errno and results exactly as without libwait: one call per site ---- */

/* want: the call gave r == want_r and left errno == want_e (else exit 1) */
static void want(long r, long want_r, int want_e, const char *what)
{
    if (r != want_r || errno != want_e) {
        fprintf(stderr, "%s: got %ld errno %d, want %ld errno %d\n", what, r, errno, want_r, want_e);
        exit(1);
    }
}
NOINL static void site_err_pread(void) /* a pipe has no offset */ { want(pread(p[0], buf, 1, 0), -1, ESPIPE, "pread"); }
NOINL static void site_err_close(void) { want(close(-1), -1, EBADF, "close"); }
NOINL static void site_err_recv(void) { want(recv(-1, buf, 1, 0), -1, EBADF, "recv"); }
NOINL static void site_err_nanosleep(void)
{
    struct timespec ts = {0, 2000000000};
    want(nanosleep(&ts, NULL), -1, EINVAL, "nanosleep");
}
NOINL static void site_err_clock_nanosleep(void) /* the error is the result; errno stays */
{
    struct timespec ts = {0, -1};
    errno = 777;
    want(clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL), EINVAL, 777, "clock_nanosleep");
}
NOINL static void site_err_mmap(void)
{
    want((long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), (long)MAP_FAILED, EINVAL, "mmap");
}
NOINL static void site_err_poll(void)
{
    struct pollfd f = {p[0], POLLIN, 0};
    volatile nfds_t n = (nfds_t)1 << 30; /* past RLIMIT_NOFILE */
    want(poll(&f, n, 0), -1, EINVAL, "poll");
}
NOINL static void site_errno_kept(void) /* a call that succeeds leaves errno alone */
{
    struct pollfd f = {p[0], POLLIN, 0};
    errno = 777;
    want(poll(&f, 1, 0), 1, 777, "poll (errno kept)");
}

static void errno_part(void)
{
    site_err_pread();
    site_err_close();
    site_err_recv();
    site_err_nanosleep();
    site_err_clock_nanosleep();
    site_err_mmap();
    site_err_poll();
    site_errno_kept();
}

static void run_all(void)
{
    if (!mkdtemp(dir))
        fail("mkdtemp");
    snprintf(path, sizeof path, "%s/f", dir);
    memset(buf, 'a', sizeof buf);
    /* polls */
    if (pipe(p) || pipe(slow_pipe) || write(p[1], "r", 1) != 1)
        fail("pipe");
    site_poll();
    site_poll_chk();
    pthread_t th;
    if (pthread_create(&th, NULL, helper, NULL))
        fail("pthread_create");
    site_poll_wait();
    pthread_join(th, NULL);
    if (read(slow_pipe[0], buf, 1) != 1)
        fail("read");
    site_ppoll();
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev))
        fail("epoll");
    site_epoll_wait();
    site_epoll_pwait();
    site_epoll_pwait2();
    site_pselect();
    /* file I/O */
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600); /* from run_all: not a site of the table */
    if (fd < 0)
        fail("open");
    opened[nopened++] = fd;
    site_pwrite();
    site_pread();
    site_pwrite64();
    site_pread64();
    site_pread_chk();
    site_writev();
    site_readv();
    site_pwritev();
    site_preadv();
    site_pwritev2();
    site_preadv2();
    site_read_chk();
    site_fsync();
    site_fdatasync();
    site_sync_file_range();
    site_open();
    site_open64();
    site_open_2();
    site_openat();
    site_openat_2();
    site_creat();
    site_open_fail();
    errno_part();
    socket_part();
    site_nanosleep();
    site_clock_nanosleep();
    site_usleep();
    site_sleep();
    site_mmap();
    site_mremap();
    site_munmap();
    site_munmap_file();
    stdio_part();
    opened[nopened++] = ep;
    opened[nopened++] = p[0], opened[nopened++] = p[1];
    opened[nopened++] = slow_pipe[0], opened[nopened++] = slow_pipe[1];
    int closed = nopened;
    for (int i = 0; i < nopened; i++)
        site_close(opened[i]);
    char q[80];
    snprintf(q, sizeof q, "%s/stdio", dir);
    unlink(q);
    snprintf(q, sizeof q, "%s/c", dir);
    unlink(q);
    unlink(path);
    rmdir(dir);
    printf("closed %d fds, moved %ld\n", closed, moved);
}

int main(void)
{
    run_all();
    return 0;
}
