/* fuzz_live.c: libFuzzer target for top's incremental reader (live.c) and
 * model (top_model.c). The input is written to a memory file in two steps
 * (the first part, then all of it), as a trace that grows while it is read,
 * then cut to a quarter (a trace that shrinks under the reader), and then
 * the whole input replayed up to a few horizons. Any input must give an error or a
 * view, never a crash, a hang or an out-of-bounds access. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model/top_model.h"

/* view: what top would show: labels (stacks only; no module files are
 * opened for fuzz input) and quantiles of every site. */
static void view(struct wr_top *t)
{
    for (struct wr_top_site *s = t->sites; s; s = s->hh.next)
        (void)wr_hist_quantile(&s->cum.hist, 0.99);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_live", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    size_t half = size > LW_HEADER_SIZE ? LW_HEADER_SIZE + (size - LW_HEADER_SIZE) / 2 : size;
    if (write(fd, data, half) == (ssize_t)half) {
        struct wr_top t;
        char err[256];
        if (wr_top_open(&t, path, err, sizeof err) == 0) {
            uint64_t t0 = t.t_start;
            if (wr_top_update(&t, UINT64_MAX, t0 + 1000) == 0 &&
                pwrite(fd, data + half, size - half, (off_t)half) == (ssize_t)(size - half)) {
                wr_top_update(&t, UINT64_MAX, t0 + 2000);
                wr_top_update(&t, UINT64_MAX, t0 + 3000);
                view(&t);
                /* then it shrinks (cut short): must be noticed, never read past */
                if (ftruncate(fd, (off_t)(size > LW_HEADER_SIZE ? LW_HEADER_SIZE + (size - LW_HEADER_SIZE) / 4
                                                                : size / 2)) == 0)
                    wr_top_update(&t, UINT64_MAX, t0 + 4000);
                view(&t);
            }
            wr_top_close(&t);
        }
        if (pwrite(fd, data, size, 0) != (ssize_t)size) /* all of it again */
            goto out;
        if (wr_top_open(&t, path, err, sizeof err) == 0) {
            uint64_t t0 = t.t_start;
            for (uint64_t h = 1; h < 4; h++)
                if (wr_top_update(&t, t0 + h * 1000000, t0 + h * 1000000) != 0)
                    break;
            view(&t);
            wr_top_close(&t);
        }
    }
out:
    close(fd);
    return 0;
}
