/* readwrite.c: read and write. Records fds, sizes and results, never
 * buffer contents. */
#define _GNU_SOURCE
#include <unistd.h>

#include "wrap/wrap.h"

LW_WRAP_IO(ssize_t, read, LW_F_read, (int fd, void *buf, size_t n), (fd, buf, n))
LW_WRAP_IO(ssize_t, write, LW_F_write, (int fd, const void *buf, size_t n), (fd, buf, n))
