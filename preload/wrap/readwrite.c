/* readwrite.c: reads and writes on an fd: read, write, pread, pwrite,
 * readv, writev, preadv, pwritev, preadv2 and pwritev2 (IO schema: the fd,
 * then the bytes moved or -errno; never buffer contents). The 64 names are
 * the same functions (aliases, as in glibc on LP64); the fortified
 * __read_chk and __pread_chk (and its 64 name) are recorded under the
 * plain name. */
#define _GNU_SOURCE
#include <sys/uio.h>
#include <unistd.h>

#include "wrap/wrap.h"

_Static_assert(sizeof(off_t) == 8, "the 64 names are aliases only where off_t is 64-bit");

LW_WRAP(ssize_t, read, LW_F_read, (int fd, void *buf, size_t n), (fd, buf, n), LW_ENC_IO)
LW_WRAP(ssize_t, write, LW_F_write, (int fd, const void *buf, size_t n), (fd, buf, n), LW_ENC_IO)
LW_WRAP(ssize_t, __read_chk, LW_F_read, (int fd, void *buf, size_t n, size_t bl), (fd, buf, n, bl), LW_ENC_IO)
LW_WRAP(ssize_t, pread, LW_F_pread, (int fd, void *buf, size_t n, off_t o), (fd, buf, n, o), LW_ENC_IO)
LW_WRAP(ssize_t, __pread_chk, LW_F_pread, (int fd, void *buf, size_t n, off_t o, size_t bl), (fd, buf, n, o, bl),
        LW_ENC_IO)
LW_WRAP(ssize_t, pwrite, LW_F_pwrite, (int fd, const void *buf, size_t n, off_t o), (fd, buf, n, o), LW_ENC_IO)
LW_WRAP(ssize_t, readv, LW_F_readv, (int fd, const struct iovec *v, int n), (fd, v, n), LW_ENC_IO)
LW_WRAP(ssize_t, writev, LW_F_writev, (int fd, const struct iovec *v, int n), (fd, v, n), LW_ENC_IO)
LW_WRAP(ssize_t, preadv, LW_F_preadv, (int fd, const struct iovec *v, int n, off_t o), (fd, v, n, o), LW_ENC_IO)
LW_WRAP(ssize_t, pwritev, LW_F_pwritev, (int fd, const struct iovec *v, int n, off_t o), (fd, v, n, o), LW_ENC_IO)
LW_WRAP(ssize_t, preadv2, LW_F_preadv2, (int fd, const struct iovec *v, int n, off_t o, int fl), (fd, v, n, o, fl),
        LW_ENC_IO)
LW_WRAP(ssize_t, pwritev2, LW_F_pwritev2, (int fd, const struct iovec *v, int n, off_t o, int fl), (fd, v, n, o, fl),
        LW_ENC_IO)
LW_ALIAS(pread, pread64);
LW_ALIAS(__pread_chk, __pread64_chk);
LW_ALIAS(pwrite, pwrite64);
LW_ALIAS(preadv, preadv64);
LW_ALIAS(pwritev, pwritev64);
LW_ALIAS(preadv2, preadv64v2);
LW_ALIAS(pwritev2, pwritev64v2);
