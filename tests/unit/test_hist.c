/* test_hist.c: the duration histograms (model/hist.c): buckets, quantiles
 * against known distributions, and a site's quantiles from the durations
 * of its calls in a synthetic trace (2 ticks per ns). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "model/hist.h"
#include "tb_model.h"

#define T0 TB_T0

/* within: |v - want| <= pct% of want */
static int within(uint64_t v, uint64_t want, double pct)
{
    double d = (double)v - (double)want;
    return (d < 0 ? -d : d) <= (double)want * pct / 100.0;
}

static void test_hist_buckets(void **st)
{
    (void)st;
    static struct wr_hist h;
    memset(&h, 0, sizeof h);
    uint64_t prev_hi = 0;
    for (size_t i = 0; i < wr_hist_nbuckets(); i++) {
        uint64_t lo, hi, n;
        wr_hist_bucket(&h, i, &lo, &hi, &n);
        assert_int_equal(lo, prev_hi); /* contiguous from 0 */
        assert_true(hi > lo);
        assert_int_equal(n, 0);
        if (lo >= 8 && i + 1 < wr_hist_nbuckets())
            assert_true((double)(hi - lo) <= (double)lo / 8.0 + 1e-9); /* <= 12.5% wide */
        prev_hi = hi;
    }
    assert_int_equal(prev_hi, UINT64_MAX);
    uint64_t v = 1;
    for (int k = 0; k < 2000; k++, v = v * 6364136223846793005ull + 1442695040888963407ull) {
        uint64_t x = v >> (k % 64), lo, hi, n;
        size_t i = wr_hist_index(x);
        wr_hist_bucket(&h, i, &lo, &hi, &n);
        assert_true(x >= lo && (x < hi || hi == UINT64_MAX));
    }
}

static void test_hist_quantiles(void **st)
{
    (void)st;
    static struct wr_hist h, one, sum;
    memset(&h, 0, sizeof h);
    assert_int_equal(wr_hist_quantile(&h, 0.5), 0);
    for (uint64_t x = 1; x <= 100000; x++)
        wr_hist_add(&h, x);
    assert_int_equal(h.n, 100000);
    assert_true(within(wr_hist_quantile(&h, 0.5), 50000, 7));
    assert_true(within(wr_hist_quantile(&h, 0.95), 95000, 7));
    assert_true(within(wr_hist_quantile(&h, 0.99), 99000, 7));
    assert_true(within(wr_hist_quantile(&h, 0.999), 99900, 7));
    assert_int_equal(wr_hist_quantile(&h, 1.0), 100000);
    assert_int_equal(wr_hist_quantile(&h, 0.0), 1);
    uint64_t total = 0;
    for (size_t i = 0; i < wr_hist_nbuckets(); i++) {
        uint64_t lo, hi, n;
        wr_hist_bucket(&h, i, &lo, &hi, &n);
        total += n;
    }
    assert_int_equal(total, 100000);
    /* a skewed distribution: 990 fast calls and 10 slow ones */
    memset(&one, 0, sizeof one);
    for (int i = 0; i < 990; i++)
        wr_hist_add(&one, 200);
    for (int i = 0; i < 10; i++)
        wr_hist_add(&one, 200000000);                   /* 200 ms */
    assert_int_equal(wr_hist_quantile(&one, 0.5), 200); /* clamped to the exact min */
    assert_int_equal(wr_hist_quantile(&one, 0.99), 200);
    assert_true(within(wr_hist_quantile(&one, 0.999), 200000000, 7));
    memset(&sum, 0, sizeof sum);
    wr_hist_merge(&sum, &h);
    wr_hist_merge(&sum, &one);
    assert_int_equal(sum.n, 101000);
    assert_int_equal(sum.max_ns, 200000000);
    assert_int_equal(sum.min_ns, 1);
}

/* Per-site quantiles come from the call durations of the trace. */
static void test_site_quantiles(void **st)
{
    (void)st;
    struct tb b;
    tb_init(&b, 1);
    tb_chunk(&b, 0, 0, 0, 100);
    uint64_t t = T0 + 1000;
    for (int i = 0; i < 100; i++, t += 100000) /* 1..100 us */
        tb_call(&b, LW_F_malloc, 1, t, 2000 * (uint64_t)(i + 1), 16, 0x1000 + 16 * (uint64_t)i, 0);
    tb_end(&b);
    struct wr_trace tr = {.quiet = 1};
    struct wr_model m;
    tb_open_model(&b, &tr, &m);
    struct wr_site *s = tb_site(&m, LW_F_malloc, 1);
    assert_int_equal(s->hist.n, 100);
    assert_true(within(wr_hist_quantile(&s->hist, 0.5), 50000, 7));
    assert_true(within(wr_hist_quantile(&s->hist, 0.99), 99000, 7));
    assert_int_equal(wr_hist_quantile(&s->hist, 1), 100000);
    tb_close_model(&b, &tr, &m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_buckets),
        cmocka_unit_test(test_hist_quantiles),
        cmocka_unit_test(test_site_quantiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
