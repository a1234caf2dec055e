/* test_writer.c: the recorder's trace writer (preload/runtime/writer.c)
 * under the real preload on a known workload (tests/helpers/rec_helper)
 * with 4 KiB chunks, so threads cross many chunk boundaries: the file's
 * mode, chunk claiming and per-thread sequences, and exact counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/model.h"

static char trace_path[256];

/* run the helper under the preload once for all tests */
static int setup(void **st)
{
    (void)st;
    snprintf(trace_path, sizeof trace_path, "/tmp/lw_test_writer.%d.bin", (int)getpid());
    unlink(trace_path);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "WAIT_OUTPUT=%s WAIT_CHUNK_KB=4 LD_PRELOAD=%s/libwait.so build/tests/rec_helper > /dev/null", trace_path,
             getenv("PWD") ? getenv("PWD") : ".");
    int r = system(cmd);
    return (r == 0) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    unlink(trace_path);
    return 0;
}

static void open_trace(struct wr_trace *t)
{
    char err[512];
    memset(t, 0, sizeof *t);
    if (wr_trace_open(t, trace_path, err, sizeof err) != 0)
        fail_msg("%s", err);
}

static void test_file_mode_0600(void **st)
{
    (void)st;
    struct stat sb;
    assert_int_equal(stat(trace_path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
}

/* Every claimed chunk belongs to one stream, sequences run 0..n-1. */
static void test_chunk_claiming(void **st)
{
    (void)st;
    struct wr_trace t;
    open_trace(&t);
    assert_false(t.incomplete);
    assert_true(t.nchunks > 8 * 10); /* 8 threads x ~70 KiB each in 4 KiB chunks */
    assert_int_equal(t.nstreams, 9); /* main + 8 workers */
    size_t total = 0;
    for (size_t i = 0; i < t.nstreams; i++) {
        const struct wr_stream *s = &t.streams[i];
        for (size_t k = 0; k < s->count; k++)
            assert_int_equal(t.chunks[s->first + k].seq, k);
        total += s->count;
    }
    assert_int_equal(total, t.nused);
    /* the unused chunks are at most the one each thread had mapped ahead */
    assert_true(t.nchunks - t.nused <= t.nstreams);
    for (size_t i = 1; i < t.nused; i++)
        for (size_t j = 0; j < i; j++)
            assert_true(t.chunks[i].index != t.chunks[j].index);
    wr_trace_close(&t);
}

/* Exact counts per site: 8 threads x 3000 per site, and nothing lost. */
static void test_exact_counts(void **st)
{
    (void)st;
    struct wr_trace t;
    open_trace(&t);
    t.quiet = 0;
    struct wr_model m;
    assert_int_equal(wr_model_build(&m, &t), 0);
    assert_int_equal(t.warnings, 0);
    unsigned found = 0;
    for (size_t i = 0; i < m.nsites; i++) {
        const struct wr_site *s = m.sorted[i];
        if (s->func == LW_F_malloc && s->calls == 24000 &&
            (s->bytes == 24000 * 16 || s->bytes == 24000 * 32 || s->bytes == 24000 * 48))
            found++;
    }
    assert_int_equal(found, 3);
    assert_int_equal(m.calls, t.hdr.stats.records);
    assert_int_equal(t.hdr.stats.dropped, 0);
    wr_model_free(&m);
    wr_trace_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_mode_0600),
        cmocka_unit_test(test_chunk_claiming),
        cmocka_unit_test(test_exact_counts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
