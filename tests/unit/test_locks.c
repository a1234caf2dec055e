/* test_locks.c: the lock analysis (analyses/locks.c) on synthetic traces
 * with known answers (2 ticks per ns): holds (recursion, interleaved
 * mutexes, trylock and timedlock, unmatched unlocks), holder blame, a
 * condvar wait splitting its mutex's hold, failed condvar waits, and
 * rwlock holds and blame. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tb_model.h"

#define T0 TB_T0

/* Holds: recursion, interleaved mutexes, trylock/timedlock, unmatched. */
static void test_hold_matching(void **st)
{
    (void)st;
    const uint64_t M = 0x5000, N = 0x6000;
    struct tb b;
    tb_init(&b, 1);
    tb_chunk(&b, 0, 0, 0, 100);
    tb_call(&b, LW_F_pthread_mutex_lock, 1, T0 + 1000, 100, M, 0, 0);
    tb_call(&b, LW_F_pthread_mutex_lock, 2, T0 + 2000, 100, M, 0, 0); /* recursive */
    tb_call(&b, LW_F_pthread_mutex_unlock, 3, T0 + 3000, 50, M, 0, 0);
    tb_call(&b, LW_F_pthread_mutex_lock, 4, T0 + 4000, 100, N, 0, 0);
    tb_call(&b, LW_F_pthread_mutex_unlock, 3, T0 + 5000, 50, M, 0, 0); /* M: 5000 - 1100 */
    tb_call(&b, LW_F_pthread_mutex_unlock, 3, T0 + 6000, 50, N, 0, 0); /* N: 6000 - 4100 */
    tb_call(&b, LW_F_pthread_mutex_trylock, 5, T0 + 7000, 40, M, 0, 0);
    tb_call(&b, LW_F_pthread_mutex_unlock, 3, T0 + 8000, 50, M, 0, 0); /* 8000 - 7040 */
    tb_call(&b, LW_F_pthread_mutex_trylock, 6, T0 + 9000, 40, M, EBUSY, 0);
    tb_call(&b, LW_F_pthread_mutex_unlock, 3, T0 + 10000, 50, M, 0, 0); /* nothing open */
    tb_call(&b, LW_F_pthread_mutex_timedlock, 7, T0 + 11000, 100, M, 0, 0);
    tb_call(&b, LW_F_pthread_mutex_unlock, 3, T0 + 12000, 50, M, 0, 0); /* 12000 - 11100 */
    tb_call(&b, LW_F_pthread_mutex_timedlock, 8, T0 + 13000, 4000, M, ETIMEDOUT, LW_LOCK_CONTENDED);
    tb_call(&b, LW_F_pthread_mutex_lock, 9, T0 + 20000, 100, M, 0, 0); /* never unlocked */
    tb_end(&b);
    struct wr_trace tr = {.quiet = 1};
    struct wr_model m;
    tb_open_model(&b, &tr, &m);
    struct wr_site *s1 = tb_site(&m, LW_F_pthread_mutex_lock, 1), *s2 = tb_site(&m, LW_F_pthread_mutex_lock, 2),
                   *s4 = tb_site(&m, LW_F_pthread_mutex_lock, 4), *s5 = tb_site(&m, LW_F_pthread_mutex_trylock, 5),
                   *s6 = tb_site(&m, LW_F_pthread_mutex_trylock, 6), *s7 = tb_site(&m, LW_F_pthread_mutex_timedlock, 7),
                   *s8 = tb_site(&m, LW_F_pthread_mutex_timedlock, 8), *s9 = tb_site(&m, LW_F_pthread_mutex_lock, 9);
    assert_int_equal(s1->holds, 1);
    assert_int_equal(s1->hold_ns, 1950);
    assert_int_equal(s1->hold_max_ns, 1950);
    assert_int_equal(s2->holds, 0);
    assert_int_equal(s4->holds, 1);
    assert_int_equal(s4->hold_ns, 950);
    assert_int_equal(s5->hold_ns, 480);
    assert_int_equal(s6->holds, 0);
    assert_int_equal(s6->contended, 1); /* EBUSY */
    assert_int_equal(s7->hold_ns, 450);
    assert_int_equal(s7->contended, 0); /* the flag field says no */
    assert_int_equal(s8->contended, 1);
    assert_int_equal(s8->holds, 0);
    assert_int_equal(s9->holds, 0);
    assert_int_equal(s1->contended + s2->contended + s4->contended + s5->contended, 0); /* 50 ns, no switches */
    assert_int_equal(m.unmatched_unlocks, 1);
    assert_int_equal(m.nmutexes, 2);
    const struct wr_mutex *mu = m.mutex_sorted[0]->addr == M ? m.mutex_sorted[0] : m.mutex_sorted[1];
    assert_int_equal(mu->locks, 7);
    assert_int_equal(mu->holds, 3);
    assert_int_equal(mu->hold_ns, 1950 + 480 + 450);
    assert_int_equal(mu->contended, 2);
    tb_close_model(&b, &tr, &m);
}

/* A waiter (stream 0, walked first) waits while A then B hold the mutex. */
static void test_holder_blame(void **st)
{
    (void)st;
    const uint64_t M = 0x7000, N = 0x8000;
    struct tb b;
    tb_init(&b, 3);
    tb_chunk(&b, 0, 0, 0, 200); /* waiter */
    tb_call(&b, LW_F_pthread_mutex_lock, 20, T0 + 2500100, 2500300, M, 0, LW_LOCK_CONTENDED);
    tb_call(&b, LW_F_pthread_mutex_unlock, 23, T0 + 5000500, 50, M, 0, 0);
    tb_call(&b, LW_F_pthread_mutex_lock, 21, T0 + 6000000, 1000, N, 0, TB_NOFLAGS); /* 500 ns: not contended */
    tb_call(&b, LW_F_pthread_mutex_unlock, 23, T0 + 6002000, 50, N, 0, 0);
    tb_call(&b, LW_F_pthread_mutex_lock, 22, T0 + 6010000, 4000, N, 0, TB_NOFLAGS); /* 2 us: contended */
    tb_call(&b, LW_F_pthread_mutex_unlock, 23, T0 + 6020000, 50, N, 0, 0);
    tb_end(&b);
    tb_chunk(&b, 1, 1, 0, 201); /* holder A: 1 ms */
    tb_call(&b, LW_F_pthread_mutex_lock, 10, T0 + 2000000, 100, M, 0, 0);
    tb_call(&b, LW_F_pthread_mutex_unlock, 11, T0 + 4000100, 50, M, 0, 0);
    tb_end(&b);
    tb_chunk(&b, 2, 2, 0, 202); /* holder B: 0.5 ms */
    tb_call(&b, LW_F_pthread_mutex_lock, 12, T0 + 4000200, 100, M, 0, 0);
    tb_call(&b, LW_F_pthread_mutex_unlock, 11, T0 + 5000300, 50, M, 0, 0);
    tb_end(&b);
    struct wr_trace tr = {.quiet = 1};
    struct wr_model m;
    tb_open_model(&b, &tr, &m);
    struct wr_site *w = tb_site(&m, LW_F_pthread_mutex_lock, 20), *a = tb_site(&m, LW_F_pthread_mutex_lock, 10),
                   *bs = tb_site(&m, LW_F_pthread_mutex_lock, 12);
    assert_int_equal(w->contended, 1);
    assert_int_equal(w->nholders, 2);
    assert_ptr_equal(w->holders[0].site, a);
    assert_int_equal(w->holders[0].ns, 750000);
    assert_ptr_equal(w->holders[1].site, bs);
    assert_int_equal(w->holders[1].ns, 500000);
    assert_int_equal(w->blamed_ns, 1250000);
    assert_int_equal(a->hold_ns, 1000000);
    assert_int_equal(bs->hold_ns, 500000);
    assert_int_equal(a->nholders + bs->nholders, 0);
    assert_int_equal(tb_site(&m, LW_F_pthread_mutex_lock, 21)->contended, 0);
    assert_int_equal(tb_site(&m, LW_F_pthread_mutex_lock, 22)->contended, 1);
    assert_int_equal(m.unattributed_wait_ns, 150 + 2000);
    const struct wr_mutex *mu = m.mutex_sorted[0];
    assert_int_equal(mu->addr, M);
    assert_int_equal(mu->blamed_ns, 1250000);
    assert_int_equal(mu->nheld, 3);
    assert_ptr_equal(mu->held_by[0].site, a);
    assert_int_equal(mu->held_by[0].blame_ns, 750000);
    assert_ptr_equal(mu->held_by[1].site, bs);
    assert_int_equal(mu->held_by[1].blame_ns, 500000);
    assert_int_equal(mu->nwaited, 1);
    assert_ptr_equal(mu->waited_by[0].site, w);
    assert_int_equal(mu->waited_by[0].ns, 1250150);
    tb_close_model(&b, &tr, &m);
}

/* Thread A: lock M at T0 (stack 1), cond_wait on C/M from +2000 ticks for
 * 20000 (stack 2, returns ETIMEDOUT), unlock at +24000 (stack 3). Thread B
 * waits for M from +4000 to +6000 (contended, stack 4), inside A's wait,
 * and unlocks at +8000 (stack 5). A's holds: 1000 ns before the wait
 * (lock site), 1000 ns after it (cond site); B's wait overlaps no hold of
 * A's, so nothing is blamed on A. */
static void test_cond_wait_splits_the_hold(void **st)
{
    (void)st;
    struct tb b;
    struct wr_trace t = {0};
    struct wr_model m;
    const uint64_t M = 0x1000, C = 0x2000;
    tb_init(&b, 2);
    tb_chunk(&b, 0, 1, 0, 100);
    tb_call(&b, LW_F_pthread_mutex_lock, 1, T0, 0, M, 0, TB_NOFLAGS);
    tb_call(&b, LW_F_pthread_cond_timedwait, 2, T0 + 2000, 20000, C, M, ETIMEDOUT);
    tb_call(&b, LW_F_pthread_mutex_unlock, 3, T0 + 24000, 0, M, 0, TB_NOFLAGS);
    tb_end(&b);
    tb_chunk(&b, 1, 2, 0, 101);
    tb_call(&b, LW_F_pthread_mutex_lock, 4, T0 + 4000, 2000, M, 0, LW_LOCK_CONTENDED);
    tb_call(&b, LW_F_pthread_mutex_unlock, 5, T0 + 8000, 0, M, 0, TB_NOFLAGS);
    tb_end(&b);
    tb_open_model(&b, &t, &m);
    assert_int_equal(t.warnings, 0);
    struct wr_site *lk = tb_site(&m, LW_F_pthread_mutex_lock, 1), *cw = tb_site(&m, LW_F_pthread_cond_timedwait, 2);
    struct wr_site *bl = tb_site(&m, LW_F_pthread_mutex_lock, 4);
    assert_non_null(lk);
    assert_non_null(cw);
    assert_non_null(bl);
    assert_int_equal(lk->holds, 1);
    assert_int_equal(lk->hold_ns, 1000);
    assert_int_equal(cw->holds, 1);
    assert_int_equal(cw->hold_ns, 1000);
    assert_int_equal(cw->calls, 1);
    assert_int_equal(cw->errors, 1); /* ETIMEDOUT */
    assert_int_equal(bl->contended, 1);
    assert_int_equal(bl->blamed_ns, 0);
    assert_int_equal(bl->holds, 1);
    assert_int_equal(bl->hold_ns, 1000);
    assert_int_equal(m.unmatched_unlocks, 0);
    assert_int_equal(m.unattributed_wait_ns, 1000);
    wr_model_free(&m);
    wr_trace_close(&t);
    free(b.buf);
}

/* A wait that returns EINVAL did not take the mutex again: the unlock after
 * it has no hold to end. A cancelled one (ECANCELED) did. */
static void test_cond_wait_errors(void **st)
{
    (void)st;
    struct tb b;
    struct wr_trace t = {0};
    struct wr_model m;
    tb_init(&b, 1);
    tb_chunk(&b, 0, 1, 0, 100);
    tb_call(&b, LW_F_pthread_mutex_lock, 1, T0, 0, 0x10, 0, TB_NOFLAGS);
    tb_call(&b, LW_F_pthread_cond_wait, 2, T0 + 200, 100, 0x20, 0x10, EINVAL);
    tb_call(&b, LW_F_pthread_mutex_unlock, 3, T0 + 400, 0, 0x10, 0, TB_NOFLAGS);
    tb_call(&b, LW_F_pthread_cond_wait, 4, T0 + 600, 100, 0x20, 0x10, ECANCELED);
    tb_call(&b, LW_F_pthread_mutex_unlock, 5, T0 + 1000, 0, 0x10, 0, TB_NOFLAGS);
    tb_end(&b);
    tb_open_model(&b, &t, &m);
    assert_int_equal(t.warnings, 0);
    assert_int_equal(m.unmatched_unlocks, 1);
    struct wr_site *c = tb_site(&m, LW_F_pthread_cond_wait, 4);
    assert_non_null(c);
    assert_int_equal(c->holds, 1);
    assert_int_equal(c->hold_ns, 150); /* 700 to 1000 ticks */
    wr_model_free(&m);
    wr_trace_close(&t);
    free(b.buf);
}

/* rwlocks: two readers hold at once (+0..+10000 and +1000..+9000 ticks), a
 * writer waits +2000..+10100 (4050 ns): reader 1's hold overlaps 4000 ns of
 * it, reader 2's 3500 ns; the blame given to the readers (newest hold
 * first) never exceeds the wait: 4000 + 50. */
static void test_rwlock_holds_and_blame(void **st)
{
    (void)st;
    struct tb b;
    struct wr_trace t = {0};
    struct wr_model m;
    const uint64_t L = 0x3000;
    tb_init(&b, 3);
    tb_chunk(&b, 0, 1, 0, 100);
    tb_call(&b, LW_F_pthread_rwlock_rdlock, 1, T0, 0, L, 0, TB_NOFLAGS);
    tb_call(&b, LW_F_pthread_rwlock_unlock, 2, T0 + 10000, 0, L, 0, TB_NOFLAGS);
    tb_end(&b);
    tb_chunk(&b, 1, 2, 0, 101);
    tb_call(&b, LW_F_pthread_rwlock_rdlock, 3, T0 + 1000, 0, L, 0, TB_NOFLAGS);
    tb_call(&b, LW_F_pthread_rwlock_unlock, 2, T0 + 9000, 0, L, 0, TB_NOFLAGS);
    tb_end(&b);
    tb_chunk(&b, 2, 3, 0, 102);
    tb_call(&b, LW_F_pthread_rwlock_wrlock, 4, T0 + 2000, 8100, L, 0, LW_LOCK_CONTENDED);
    tb_call(&b, LW_F_pthread_rwlock_unlock, 2, T0 + 12000, 0, L, 0, TB_NOFLAGS);
    tb_end(&b);
    tb_open_model(&b, &t, &m);
    assert_int_equal(t.warnings, 0);
    struct wr_site *r1 = tb_site(&m, LW_F_pthread_rwlock_rdlock, 1), *w = tb_site(&m, LW_F_pthread_rwlock_wrlock, 4);
    assert_non_null(r1);
    assert_non_null(w);
    assert_int_equal(r1->holds, 1);
    assert_int_equal(r1->hold_ns, 5000);
    assert_int_equal(w->holds, 1);
    assert_int_equal(w->hold_ns, 950);
    assert_int_equal(w->contended, 1);
    assert_int_equal(w->blamed_ns, 4050);
    assert_int_equal(w->nholders, 2);
    for (size_t i = 0; i < w->nholders; i++)
        assert_int_equal(w->holders[i].ns, w->holders[i].site == r1 ? 4000 : 50);
    assert_int_equal(m.unmatched_unlocks, 0);
    wr_model_free(&m);
    wr_trace_close(&t);
    free(b.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hold_matching),
        cmocka_unit_test(test_holder_blame),
        cmocka_unit_test(test_cond_wait_splits_the_hold),
        cmocka_unit_test(test_cond_wait_errors),
        cmocka_unit_test(test_rwlock_holds_and_blame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
