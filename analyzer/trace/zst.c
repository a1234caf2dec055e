/* zst.c: a zstd-compressed trace decompressed into memory, with libzstd's
 * streaming decoder: it takes one frame or several (files concatenated),
 * with or without their content size in the header, and checks each
 * frame's checksum when it has one. The output grows by doubling, from the
 * size the first frame declares when it does; a frame that declares a size
 * and holds more is an error in libzstd itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "trace/zst.h"

int wr_zst_is(const uint8_t *p, size_t n)
{
    return n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd;
}

/* limit: the most a trace may decompress to: half the machine's memory. */
static size_t limit(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0)
        return (size_t)1 << 32;
    return (size_t)pages / 2 * (size_t)size;
}

int wr_zst_load(const uint8_t *src, size_t n, const char *name, uint8_t **out, size_t *outlen, char *err, size_t errlen)
{
    *out = NULL;
    *outlen = 0;
    size_t max = limit();
    unsigned long long declared = ZSTD_getFrameContentSize(src, n); /* the first frame's */
    size_t cap = declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != ZSTD_CONTENTSIZE_ERROR && declared < max
                     ? (size_t)declared + 1 /* + 1: the end is seen without another round */
                 : n < max / 8 ? 8 * n + 4096
                               : max;
    ZSTD_DCtx *z = ZSTD_createDCtx();
    uint8_t *buf = malloc(cap);
    ZSTD_inBuffer in = {src, n, 0};
    size_t used = 0, r = 1;
    const char *why = !z || !buf ? "out of memory" : NULL;
    while (!why && (in.pos < in.size || r != 0)) {
        if (used == cap) {
            size_t nc = cap < max / 2 ? 2 * cap : max;
            uint8_t *nb = nc > cap ? realloc(buf, nc) : NULL;
            if (!nb) {
                why = nc > cap ? "out of memory" : "it holds more than half this machine's memory";
                break;
            }
            buf = nb;
            cap = nc;
        }
        ZSTD_outBuffer o = {buf, cap, used};
        size_t before = in.pos;
        r = ZSTD_decompressStream(z, &o, &in);
        if (ZSTD_isError(r)) {
            why = ZSTD_getErrorName(r);
            break;
        }
        if (in.pos == before && o.pos == used && o.pos < cap) {
            why = "the compressed data ends inside a frame";
            break;
        }
        used = o.pos;
    }
    ZSTD_freeDCtx(z);
    if (why) {
        snprintf(err, errlen, "%s: cannot decompress (zstd): %s", name, why);
        free(buf);
        return -1;
    }
    *out = buf;
    *outlen = used;
    return 0;
}
