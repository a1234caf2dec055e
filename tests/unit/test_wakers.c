/* test_wakers.c: the waker analysis (analyses/wakers.c) on a synthetic
 * trace with a known answer (2 ticks per ns): a woken wait's time after
 * the wake-up, off the CPU, is "runnable", not the waker's doing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tb_model.h"

/* A wait whose waiter, once woken, waits for a CPU: from the post to its
 * return it was off the CPU (its switch back in came 4.9 ms after the post),
 * and that part of the wait is "runnable", not the poster's doing. */
static void test_woken_runnable(void **st)
{
    (void)st;
    const uint64_t S = 0x9000, MS = 1000000, mono0 = 5000000000ull;
#define NS(x) (TB_T0 + 2 * (uint64_t)(x)) /* 2 ticks per ns */
    struct tb b;
    tb_init(&b, 2);
    tb_chunk(&b, 0, 0, 0, 300); /* waiter: sem_wait from 1 ms to 11 ms, off the CPU from 1 ms to 10.9 ms */
    tb_call(&b, LW_F_sem_wait, 30, NS(1 * MS), 2 * 10 * MS, S, 0, TB_NOFLAGS);
    tb_switch(&b, LW_SW_OUT, mono0 + 1 * MS + 100);
    tb_switch(&b, 0, mono0 + 10 * MS + 900000);
    tb_end(&b);
    tb_chunk(&b, 1, 1, 0, 301); /* poster: sem_post at 6 ms */
    tb_call(&b, LW_F_sem_post, 31, NS(6 * MS), 2000, S, 0, TB_NOFLAGS);
    tb_end(&b);
#undef NS
    struct wr_trace tr = {.quiet = 1};
    struct wr_model m;
    tb_open_model(&b, &tr, &m);
    struct wr_site *w = tb_site(&m, LW_F_sem_wait, 30);
    assert_non_null(w);
    assert_int_equal(w->nwakers, 1);
    assert_int_equal(w->wakers[0].func, LW_F_sem_post);
    uint64_t runnable = 0, all = 0;
    for (size_t i = 0; i < w->ncauses; i++) {
        all += w->causes[i].ns;
        if (w->causes[i].label && !strcmp(w->causes[i].label, "runnable")) {
            runnable += w->causes[i].ns;
            assert_int_equal(w->causes[i].tid, 300); /* the waiter's own */
        }
    }
    assert_int_equal(all, 10 * MS);
    assert_true(runnable >= 4900000 - 1000 && runnable <= 4900000 + 1000);
    tb_close_model(&b, &tr, &m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_woken_runnable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
