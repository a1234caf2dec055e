/* fortify_helper.c: built with _FORTIFY_SOURCE=2, as Debian builds its
 * packages, so the compiler turns these calls into the checked entry points
 * (__read_chk, __pread_chk, __recv_chk, __recvfrom_chk, __open_2,
 * __openat_2, __fread_chk, __fgets_chk; poll stays poll, its array being
 * big enough): each must be recorded under its plain name at its own site.
 * argv[1] is a scratch file path.
 *
 *   site_read 3, site_pread 2, site_recv 2, site_recvfrom 2, site_open 2,
 *   site_openat 1, site_poll 2, site_fread 2, site_fgets 2
 *
 * Prints the bytes moved (the same with or without the preload). */
#undef _FORTIFY_SOURCE
#define _FORTIFY_SOURCE 2
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define NOINL __attribute__((noinline))

static int fl;     /* set at run time: open must take the checked path */
static size_t n10; /* 10, set at run time: the reads take the checked path */
static char buf[64];
static long moved;
static const char *path;

static void ck(long r, const char *what)
{
    if (r < 0) {
        perror(what);
        exit(1);
    }
    moved += r;
}

NOINL static void site_read(int fd)
{
    for (int i = 0; i < 3; i++)
        ck(read(fd, buf, n10), "read");
}
NOINL static void site_pread(int fd)
{
    for (int i = 0; i < 2; i++)
        ck(pread(fd, buf, n10, 0), "pread");
}
NOINL static void site_recv(int s)
{
    for (int i = 0; i < 2; i++)
        ck(recv(s, buf, n10, MSG_WAITALL), "recv");
}
NOINL static void site_recvfrom(int s)
{
    for (int i = 0; i < 2; i++)
        ck(recvfrom(s, buf, n10, MSG_WAITALL, NULL, NULL), "recvfrom");
}
NOINL static int site_open(void) { return open(path, fl); }
NOINL static int site_openat(void) { return openat(AT_FDCWD, path, fl); }
NOINL static void site_poll(int fd)
{
    struct pollfd f[1] = {{fd, POLLIN, 0}};
    for (int i = 0; i < 2; i++)
        ck(poll(f, 1, 0) - 1, "poll");
}
NOINL static void site_fread(FILE *fp)
{
    for (int i = 0; i < 2; i++)
        ck((long)fread(buf, 1, n10, fp), "fread");
}
NOINL static void site_fgets(FILE *fp)
{
    for (int i = 0; i < 2; i++)
        ck(fgets(buf, (int)n10, fp) ? 0 : -1, "fgets");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    path = argv[1];
    fl = argc > 3 ? O_RDWR : O_RDONLY;
    n10 = argc > 2 ? (size_t)atoi(argv[2]) : 10;
    FILE *w = fopen(path, "w");
    for (int i = 0; w && i < 20; i++)
        fputs("0123456789abcdefghij\n", w);
    if (!w || fclose(w))
        return 1;
    int a = site_open(), b = site_open(), c = site_openat(), s[2];
    if (a < 0 || b < 0 || c < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, s))
        return 1;
    site_read(a);
    site_pread(a);
    site_poll(b);
    if (write(s[0], buf, 40) != 40)
        return 1;
    site_recv(s[1]);
    site_recvfrom(s[1]);
    FILE *fp = fdopen(c, "r");
    site_fread(fp);
    site_fgets(fp);
    fclose(fp);
    printf("moved %ld\n", moved);
    return 0;
}
