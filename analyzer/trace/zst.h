/* zst.h: traces compressed with zstd (`zstd wait.bin` makes wait.bin.zst),
 * read back whole into memory (zst.c). */
#ifndef WR_ZST_H
#define WR_ZST_H

#include <stddef.h>
#include <stdint.h>

/* wr_zst_is: whether the n bytes at p start with a zstd frame's magic. */
int wr_zst_is(const uint8_t *p, size_t n);

/* wr_zst_load: the n bytes at src (untrusted: one or more zstd frames)
 * decompressed into a malloc'ed buffer *out of *outlen bytes. The output
 * is bounded by half the machine's memory, so a small hostile file cannot
 * make it grow without end. 0, or -1 with a message naming name in err. */
int wr_zst_load(const uint8_t *src, size_t n, const char *name, uint8_t **out, size_t *outlen, char *err,
                size_t errlen);

#endif
