/* fuzz_reader.c: libFuzzer target for the trace reader, the model and the
 * critical path.
 * Any input must be rejected with a message or read without a crash, a
 * hang or an out-of-bounds access. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyses/analyses.h"
#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so the sanitizer sees any read past the end */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    struct wr_trace t = {.quiet = 1};
    char err[256];
    if (wr_trace_open_mem(&t, buf, size, "fuzz", err, sizeof err) == 0) {
        struct wr_model m;
        if (wr_model_build(&m, &t) == 0) {
            for (size_t i = 0; i < m.nsites; i++)
                (void)wr_model_ns(&m, m.sorted[i]->total_ticks);
            (void)wr_crit_path(&m, 1); /* reads the trace again, as the JSON report does */
        }
        wr_model_free(&m);
        wr_trace_close(&t);
    }
    free(buf);
    return 0;
}
