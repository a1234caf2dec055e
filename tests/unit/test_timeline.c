/* test_timeline.c: the merge of all threads' records into one time order
 * (model/timeline.h) on synthetic traces: across several chunks per
 * thread, and over more chunks than its buffers hold at once, so chunk
 * walks pause and resume. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tb_model.h"

#define T0 TB_T0

/* The merge across several chunks per thread: p1 (chunk 0 of thread 0) is
 * freed by thread 1 before p2 (chunk 2, thread 0's second) exists, so the
 * peak is one block, not both; a thread walked on its own would see both. */
static void test_merge_chunks(void **st)
{
    (void)st;
    struct tb b;
    tb_init(&b, 3);
    tb_chunk(&b, 0, 0, 0, 400);
    tb_call(&b, LW_F_malloc, 1, T0 + 1000, 10, 300, 0x1000, 0);
    tb_end(&b);
    tb_chunk(&b, 2, 0, 1, 400);
    tb_call(&b, LW_F_malloc, 1, T0 + 5000, 10, 200, 0x2000, 0);
    tb_end(&b);
    tb_chunk(&b, 1, 1, 0, 401);
    tb_call(&b, LW_F_free, 2, T0 + 3000, 10, 0x1000, 0, 0);
    tb_call(&b, LW_F_free, 2, T0 + 6000, 10, 0x2000, 0, 0);
    tb_end(&b);
    struct wr_trace tr = {.quiet = 1};
    struct wr_model m;
    tb_open_model(&b, &tr, &m);
    assert_int_equal(m.heap.peak_bytes, 300);
    assert_int_equal(m.heap.peak_ns, 1010 / 2);
    assert_int_equal(m.heap.leaked, 0);
    assert_int_equal(m.heap.foreign_frees, 0);
    assert_int_equal(tb_site(&m, LW_F_malloc, 1)->calls, 2);
    assert_int_equal(m.threads[0].calls, 2);
    assert_int_equal(m.threads[1].calls, 2);
    tb_close_model(&b, &tr, &m);
}

/* tb_room: start the stream's next chunk when this one is nearly full. */
static void tb_room(struct tb *b, unsigned *chunk, uint32_t stream, uint32_t *seq, uint32_t tid)
{
    if (b->cur + 40 <= b->end)
        return;
    tb_end(b);
    tb_chunk(b, ++*chunk, stream, ++*seq, tid);
}

/* Two threads in lockstep over many chunks: more than the merge buffers at
 * once (TL_BATCH), so chunk walks pause and resume. Thread 0 allocates a
 * block that thread 1 frees before the next one: one block live at most. */
static void test_merge_batches(void **st)
{
    (void)st;
    enum { N = 12000 };
    struct tb b;
    tb_init(&b, 80);
    unsigned chunk = 0;
    uint32_t seq = 0;
    tb_chunk(&b, chunk, 0, seq, 500);
    for (uint64_t i = 0; i < N; i++) {
        tb_room(&b, &chunk, 0, &seq, 500);
        tb_call(&b, LW_F_malloc, 1, T0 + 100 * i + 10, 2, 16, 0x100000 + 16 * i, 0);
    }
    tb_end(&b);
    seq = 0;
    tb_chunk(&b, ++chunk, 1, seq, 501);
    for (uint64_t i = 0; i < N; i++) {
        tb_room(&b, &chunk, 1, &seq, 501);
        tb_call(&b, LW_F_free, 2, T0 + 100 * i + 50, 2, 0x100000 + 16 * i, 0, 0);
    }
    tb_end(&b);
    assert_true(chunk < 80);
    struct wr_trace tr = {.quiet = 1};
    struct wr_model m;
    tb_open_model(&b, &tr, &m);
    assert_int_equal(tb_site(&m, LW_F_malloc, 1)->calls, N);
    assert_int_equal(tb_site(&m, LW_F_free, 2)->calls, N);
    assert_int_equal(m.heap.peak_bytes, 16);
    assert_int_equal(m.heap.peak_count, 1);
    assert_int_equal(m.heap.leaked, 0);
    assert_int_equal(m.heap.foreign_frees, 0);
    assert_int_equal(tb_site(&m, LW_F_malloc, 1)->peak_bytes, 16);
    tb_close_model(&b, &tr, &m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_chunks),
        cmocka_unit_test(test_merge_batches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
