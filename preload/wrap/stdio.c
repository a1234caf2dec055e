/* stdio.c: fread, fwrite, fgets, fputs, fflush, getline and getdelim (and
 * the fortified __fread_chk/__fgets_chk, recorded as fread/fgets). stdio
 * does its read(2)/write(2) inside libc, past the PLT, so the I/O is
 * recorded here at the stdio call: family io, IO schema, fd = fileno of the
 * stream (-1 for fflush(NULL)), ret = bytes moved, or -errno when the call
 * failed with the stream's error flag set. A call served from the stream's
 * buffer is recorded too (a fast call with no switch). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "wrap/wrap.h"

/* lw_fd: the stream's fd without taking its lock (-1 for NULL). */
static inline int lw_fd(FILE *fp) { return fp ? fileno_unlocked(fp) : -1; }

/* lw_stdio_ret: bytes moved, or -e when the stream's error flag is set and
 * the call came up short. */
static inline int64_t lw_stdio_ret(FILE *fp, int shortc, uint64_t bytes, int e)
{
    return shortc && fp && ferror_unlocked(fp) ? -(int64_t)(e ? e : EIO) : (int64_t)bytes;
}

#define LW_WRAP_STDIO(rtype, sym, f, params, args, shortc, bytes)                                                      \
    LW_WRAP(rtype, sym, params, args, lw_rec_io(t, f, t0, t1, lw_fd(fp), lw_stdio_ret(fp, shortc, bytes, e)))

LW_WRAP_STDIO(size_t, fread, LW_F_fread, (void *p, size_t s, size_t n, FILE *fp), (p, s, n, fp), r < n, s *(uint64_t)r)
LW_WRAP_STDIO(size_t, __fread_chk, LW_F_fread, (void *p, size_t pl, size_t s, size_t n, FILE *fp), (p, pl, s, n, fp),
              r < n, s *(uint64_t)r)
LW_WRAP_STDIO(size_t, fwrite, LW_F_fwrite, (const void *p, size_t s, size_t n, FILE *fp), (p, s, n, fp), r < n,
              s *(uint64_t)r)
LW_WRAP_STDIO(char *, fgets, LW_F_fgets, (char *s, int n, FILE *fp), (s, n, fp), !r, r ? strlen(r) : 0)
LW_WRAP_STDIO(char *, __fgets_chk, LW_F_fgets, (char *s, size_t sl, int n, FILE *fp), (s, sl, n, fp), !r,
              r ? strlen(r) : 0)
LW_WRAP_STDIO(int, fputs, LW_F_fputs, (const char *s, FILE *fp), (s, fp), r == EOF, r == EOF ? 0 : strlen(s))
LW_WRAP_STDIO(int, fflush, LW_F_fflush, (FILE * fp), (fp), r == EOF, 0)
LW_WRAP_STDIO(ssize_t, getline, LW_F_getline, (char **l, size_t *n, FILE *fp), (l, n, fp), r < 0,
              r < 0 ? 0 : (uint64_t)r)
LW_WRAP_STDIO(ssize_t, getdelim, LW_F_getdelim, (char **l, size_t *n, int d, FILE *fp), (l, n, d, fp), r < 0,
              r < 0 ? 0 : (uint64_t)r)
