/* test_lives.c: the threads' lives (model/lives.c): libwait's own time
 * against them summed, on a model made by hand, with and without the
 * wait/CPU split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tb.h"

/* distortion: libwait's own time against the threads' lives summed, on a
 * model made by hand (1 ns per tick), with and without the wait/CPU split. */
static void test_distortion(void **st)
{
    (void)st;
    struct wr_trace tr = {.quiet = 1};
    struct wr_thread th[2] = {{.life_ns = 600, .first_tsc = 1000, .last_tsc = 1400},
                              {.life_ns = 400, .first_tsc = 2000, .last_tsc = 2100}};
    struct wr_model m = {.trace = &tr, .threads = th, .nthreads = 2, .ns_per_tick = 1.0, .have_switches = 1};
    struct wr_distortion d;

    tr.hdr.stats.self_ticks = 300; /* 30% of 1000 ns: over the threshold */
    wr_model_distortion(&m, &d);
    assert_int_equal(d.self_ns, 300);
    assert_int_equal(d.thread_ns, 1000);
    assert_true(d.share > 0.2999 && d.share < 0.3001);
    assert_int_equal(d.distorted, 1);

    tr.hdr.stats.self_ticks = 200; /* 20%: under it */
    wr_model_distortion(&m, &d);
    assert_int_equal(d.distorted, 0);
    tr.incomplete = 1; /* under it, but the counters may be partial */
    wr_model_distortion(&m, &d);
    assert_int_equal(d.distorted, -1);
    tr.hdr.stats.self_ticks = 400; /* over it even so: a lower bound */
    wr_model_distortion(&m, &d);
    assert_int_equal(d.distorted, 1);
    tr.incomplete = 0;

    /* without the split the lives are the stamps' spans: 400 + 100 ns */
    m.have_switches = 0;
    tr.hdr.stats.self_ticks = 100;
    wr_model_distortion(&m, &d);
    assert_int_equal(d.thread_ns, 500);
    assert_true(d.share > 0.1999 && d.share < 0.2001);
    assert_int_equal(d.distorted, 0);

    /* an estimate over the lives is capped at the whole */
    tr.hdr.stats.self_ticks = 900;
    wr_model_distortion(&m, &d);
    assert_true(d.share == 1.0);
    assert_int_equal(d.distorted, 1);

    /* no thread time at all: no share, no warning */
    m.nthreads = 0;
    wr_model_distortion(&m, &d);
    assert_int_equal(d.thread_ns, 0);
    assert_true(d.share == 0.0);
    assert_int_equal(d.distorted, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distortion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
