/* stdio.c: fread, fwrite, fgets, fputs, fflush, getline and getdelim (and
 * the fortified __fread_chk/__fgets_chk, recorded as fread/fgets). stdio
 * does its read(2)/write(2) inside libc, past the PLT, so the I/O is
 * recorded here at the stdio call: family io, IO schema, fd = fileno of the
 * stream (-1 for fflush(NULL)), ret = bytes moved, or -errno when the call
 * failed with the stream's error flag set. A call served from the stream's
 * buffer is recorded too (a fast call with no switch). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "wrap/wrap.h"

/* lw_fd: the stream's fd without taking its lock (-1 for NULL). */
static inline int lw_fd(FILE *fp) { return fp ? fileno_unlocked(fp) : -1; }

/* lw_put_stdio: the IO schema's arguments of a stdio call on fp: its fd,
 * and bytes moved, or -errno (EIO when errno is 0) when the call came up
 * short (shortc) with the stream's error flag set. */
static inline uint8_t *lw_put_stdio(const struct lw_thread *t, uint8_t *b, FILE *fp, int shortc, uint64_t bytes)
{
    int e = t->err;
    return lw_enc_io(b, (unsigned)lw_fd(fp),
                     shortc && fp && ferror_unlocked(fp) ? -(int64_t)(e ? e : EIO) : (int64_t)bytes);
}

/* LW_STDIO: LW_WRAP's encoding of a stdio call. */
#define LW_STDIO(shortc, bytes) lw_put_stdio(t, b, fp, shortc, bytes)

LW_WRAP(size_t, fread, LW_F_fread, (void *p, size_t s, size_t n, FILE *fp), (p, s, n, fp),
        LW_STDIO(r < n, s *(uint64_t)r))
LW_WRAP(size_t, __fread_chk, LW_F_fread, (void *p, size_t pl, size_t s, size_t n, FILE *fp), (p, pl, s, n, fp),
        LW_STDIO(r < n, s *(uint64_t)r))
LW_WRAP(size_t, fwrite, LW_F_fwrite, (const void *p, size_t s, size_t n, FILE *fp), (p, s, n, fp),
        LW_STDIO(r < n, s *(uint64_t)r))
LW_WRAP(char *, fgets, LW_F_fgets, (char *s, int n, FILE *fp), (s, n, fp), LW_STDIO(!r, r ? strlen(r) : 0))
LW_WRAP(char *, __fgets_chk, LW_F_fgets, (char *s, size_t sl, int n, FILE *fp), (s, sl, n, fp),
        LW_STDIO(!r, r ? strlen(r) : 0))
LW_WRAP(int, fputs, LW_F_fputs, (const char *s, FILE *fp), (s, fp), LW_STDIO(r == EOF, r == EOF ? 0 : strlen(s)))
/* fflush records the bytes the stream held for writing when it was
 * called, read from glibc's public FILE fields without the stream's lock:
 * those are the bytes it hands to write(2). A stream another thread writes
 * at the same time may give a figure off by that thread's bytes; for
 * fflush(NULL), which flushes every stream, the bytes are not known and
 * recorded as 0. */
static inline uint64_t lw_unflushed(const FILE *fp)
{
    return fp && fp->_IO_write_ptr > fp->_IO_write_base ? (uint64_t)(fp->_IO_write_ptr - fp->_IO_write_base) : 0;
}

LW_EXPORT int fflush(FILE *fp)
{
    struct lw_thread *t = lw_wrap_enter(real_fflush != NULL);
    if (!t)
        return real_fflush(fp);
    uint64_t held = lw_unflushed(fp);
    LW_WRAP_TAIL(int, real_fflush(fp), 0, LW_F_fflush, LW_STDIO(r == EOF, r == EOF ? 0 : held));
}
LW_WRAP(ssize_t, getline, LW_F_getline, (char **l, size_t *n, FILE *fp), (l, n, fp),
        LW_STDIO(r < 0, r < 0 ? 0 : (uint64_t)r))
LW_WRAP(ssize_t, getdelim, LW_F_getdelim, (char **l, size_t *n, int d, FILE *fp), (l, n, d, fp),
        LW_STDIO(r < 0, r < 0 ? 0 : (uint64_t)r))
