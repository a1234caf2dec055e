/* test_heap.c: the live heap (analyses/heap.c) on synthetic traces with
 * known answers: across threads (a free in another thread, realloc, failed
 * and foreign calls; peak and leaks), and its open-addressing table with
 * thousands of blocks freed in a scrambled order, so probe runs grow, wrap
 * and shift back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tb_model.h"

#define T0 TB_T0

static uint64_t rng_state = 88172645463325252ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* The live heap across threads: a free in another thread, realloc, failed
 * and foreign calls; peak and leaks. */
static void test_heap(void **st)
{
    (void)st;
    struct tb b;
    tb_init(&b, 2);
    tb_chunk(&b, 0, 0, 0, 300);
    tb_call(&b, LW_F_malloc, 1, T0 + 1000, 10, 100, 0x1000, 0);       /* live 100 */
    tb_call(&b, LW_F_malloc, 1, T0 + 2000, 10, 200, 0x2000, 0);       /* 300 */
    tb_call(&b, LW_F_calloc, 2, T0 + 3000, 10, 50, 0x3000, 0);        /* 350 */
    tb_call(&b, LW_F_malloc, 1, T0 + 4000, 10, 1 << 20, 0, 0);        /* failed */
    tb_call(&b, LW_F_free, 5, T0 + 5000, 10, 0, 0, 0);                /* free(NULL) */
    tb_call(&b, LW_F_free, 5, T0 + 6000, 10, 0x9990, 0, 0);           /* foreign */
    tb_call(&b, LW_F_realloc, 3, T0 + 8000, 10, 0x2000, 400, 0x4000); /* 250 - 200 + 400 */
    tb_call(&b, LW_F_malloc, 4, T0 + 9000, 10, 1000, 0x5000, 0);      /* 1450: the peak */
    tb_call(&b, LW_F_free, 5, T0 + 10000, 10, 0x5000, 0, 0);          /* 450 */
    tb_call(&b, LW_F_realloc, 3, T0 + 11000, 10, 0x3000, 0, 0);       /* realloc(p, 0): 400 */
    tb_end(&b);
    tb_chunk(&b, 1, 1, 0, 301);
    tb_call(&b, LW_F_free, 6, T0 + 7000, 10, 0x1000, 0, 0);      /* another thread's block: 250 */
    tb_call(&b, LW_F_realloc, 7, T0 + 12000, 10, 0, 64, 0x6000); /* realloc(NULL, 64): 464 */
    tb_end(&b);
    struct wr_trace tr = {.quiet = 1};
    struct wr_model m;
    tb_open_model(&b, &tr, &m);
    assert_int_equal(m.heap.peak_bytes, 1450);
    assert_int_equal(m.heap.peak_count, 3);
    assert_int_equal(m.heap.peak_ns, 9010 / 2);
    assert_int_equal(m.heap.leaked, 2);
    assert_int_equal(m.heap.leaked_bytes, 464);
    assert_int_equal(m.heap.foreign_frees, 1);
    struct wr_site *s1 = tb_site(&m, LW_F_malloc, 1), *s3 = tb_site(&m, LW_F_realloc, 3),
                   *s4 = tb_site(&m, LW_F_malloc, 4), *s7 = tb_site(&m, LW_F_realloc, 7);
    assert_int_equal(s1->allocs, 2);
    assert_int_equal(s1->alloc_bytes, 300);
    assert_int_equal(s1->peak_bytes, 300);
    assert_int_equal(s1->leaked, 0);
    assert_int_equal(s3->allocs, 1);
    assert_int_equal(s3->leaked, 1);
    assert_int_equal(s3->leaked_bytes, 400);
    assert_int_equal(s4->peak_bytes, 1000);
    assert_int_equal(s4->leaked, 0);
    assert_int_equal(s7->leaked_bytes, 64);
    assert_int_equal(tb_site(&m, LW_F_calloc, 2)->leaked, 0);
    tb_close_model(&b, &tr, &m);
}

/* Blocks that stay live at once: 6000 > the table's first size; freed in a
 * scrambled order, some twice (the second a foreign free), a known set kept. */
static void test_heap_table(void **st)
{
    (void)st;
    enum { N = 6000 };
    static uint64_t order[N];
    struct tb b;
    tb_init(&b, 120);
    unsigned chunk = 0;
    uint32_t seq = 0;
    tb_chunk(&b, chunk, 0, seq, 700);
    uint64_t t = T0;
    for (uint64_t i = 0; i < N; i++) { /* addresses 4 KiB apart: hashing spreads them, or not */
        if (b.cur + 40 > b.end)
            tb_end(&b), tb_chunk(&b, ++chunk, 0, ++seq, 700);
        tb_call(&b, LW_F_malloc, 1, t += 10, 2, i + 1, 0x7f0000000000ull + 4096 * i, 0);
    }
    for (uint64_t i = 0; i < N; i++)
        order[i] = i;
    for (uint64_t i = N - 1; i > 0; i--) {
        uint64_t j = rnd() % (i + 1), x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    uint64_t kept = 0, kept_bytes = 0, foreign = 0;
    for (uint64_t k = 0; k < N; k++) {
        uint64_t i = order[k];
        if (i % 7 == 3) { /* never freed */
            kept++, kept_bytes += i + 1;
            continue;
        }
        for (int twice = 0; twice < 1 + (i % 11 == 5); twice++) {
            if (b.cur + 40 > b.end)
                tb_end(&b), tb_chunk(&b, ++chunk, 0, ++seq, 700);
            tb_call(&b, LW_F_free, 2, t += 10, 2, 0x7f0000000000ull + 4096 * i, 0, 0);
            foreign += twice;
        }
    }
    tb_end(&b);
    assert_true(chunk < 120);
    struct wr_trace tr = {.quiet = 1};
    struct wr_model m;
    char err[256];
    assert_int_equal(wr_trace_open_mem(&tr, b.buf, b.size, "synthetic", err, sizeof err), 0);
    assert_int_equal(wr_model_build(&m, &tr), 0);
    assert_int_equal(tr.warnings, 0);
    assert_int_equal(m.heap.peak_count, N);
    assert_int_equal(m.heap.peak_bytes, (uint64_t)N * (N + 1) / 2);
    assert_int_equal(m.heap.leaked, kept);
    assert_int_equal(m.heap.leaked_bytes, kept_bytes);
    assert_int_equal(m.heap.foreign_frees, foreign);
    assert_int_equal(m.heap.live_count, kept);
    struct wr_site *s = tb_site(&m, LW_F_malloc, 1);
    assert_non_null(s);
    assert_int_equal(s->leaked, kept);
    assert_int_equal(s->live_bytes, kept_bytes);
    wr_model_free(&m);
    wr_trace_close(&tr);
    free(b.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heap),
        cmocka_unit_test(test_heap_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
