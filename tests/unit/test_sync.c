/* test_sync.c: the COND and SYNC record schemas through the
 * reader, whole and truncated, and the lock analysis around condvar waits
 * and rwlocks on synthetic traces with known answers (2 ticks per ns). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tb.h"

#define T0 TB_T0

/* body: the body of one call record of f made with tb_call, into out. */
static size_t body(unsigned f, uint64_t a0, uint64_t a1, uint64_t a2, uint8_t *out)
{
    struct tb b;
    tb_init(&b, 1);
    tb_chunk(&b, 0, 1, 0, 7);
    uint8_t *rec = b.cur;
    tb_call(&b, f, 3, T0 + 100, 50, a0, a1, a2);
    const uint8_t *p = rec + 1;
    uint64_t len = 0;
    assert_true(lw_get_uv(&p, b.cur, &len));
    memcpy(out, p, len);
    free(b.buf);
    return (size_t)len;
}

static int decode(unsigned f, const uint8_t *p, size_t n, struct wr_event *ev)
{
    uint64_t tsc = T0, addr = 0, obj = 0;
    memset(ev, 0, sizeof *ev);
    ev->kind = f;
    return wr_decode_call(lw_func_info_of(f), p, p + n, &tsc, &addr, &obj, ev);
}

static void test_cond_schema(void **st)
{
    (void)st;
    uint8_t b[128];
    size_t n = body(LW_F_pthread_cond_timedwait, 0x7f0000001000ull, 0x7f0000000040ull, ETIMEDOUT, b);
    struct wr_event ev;
    assert_true(decode(LW_F_pthread_cond_timedwait, b, n, &ev));
    assert_int_equal(ev.stack, 3);
    assert_int_equal(ev.tsc, T0 + 100);
    assert_int_equal(ev.dur, 50);
    assert_int_equal(ev.ptr, 0x7f0000001000ull);
    assert_int_equal(ev.old, 0x7f0000000040ull);
    assert_int_equal(ev.err, ETIMEDOUT);
    for (size_t k = 0; k < n; k++) /* every truncation is refused */
        assert_false(decode(LW_F_pthread_cond_timedwait, b, k, &ev));
    b[n - 1] |= 0x80; /* the last varint never ends */
    assert_false(decode(LW_F_pthread_cond_timedwait, b, n, &ev));
}

static void test_sync_schema(void **st)
{
    (void)st;
    uint8_t b[128];
    struct wr_event ev;
    size_t n = body(LW_F_pthread_barrier_wait, 0x55000000a000ull, 0, LW_SYNC_SERIAL, b);
    assert_true(decode(LW_F_pthread_barrier_wait, b, n, &ev));
    assert_int_equal(ev.ptr, 0x55000000a000ull);
    assert_int_equal(ev.err, 0);
    assert_int_equal(ev.fd, 1);
    assert_int_equal(ev.aux, LW_SYNC_SERIAL);
    /* without the flags byte: still whole, flags absent */
    assert_true(decode(LW_F_pthread_barrier_wait, b, n - 1, &ev));
    assert_int_equal(ev.fd, 0);
    for (size_t k = 0; k < n - 1; k++) /* cut inside the object or err: refused */
        assert_false(decode(LW_F_pthread_barrier_wait, b, k, &ev));
    n = body(LW_F_sem_wait, 0x55000000a000ull, ECANCELED, TB_NOFLAGS, b);
    assert_true(decode(LW_F_sem_wait, b, n, &ev));
    assert_int_equal(ev.err, ECANCELED);
    b[n - 1] |= 0x80; /* err's varint cut short */
    assert_false(decode(LW_F_sem_wait, b, n, &ev));
}

/* The reader on a whole trace of COND records cut anywhere: never a crash,
 * a warning for the damaged record. */
static void test_cond_truncated_in_trace(void **st)
{
    (void)st;
    struct tb b;
    tb_init(&b, 1);
    tb_chunk(&b, 0, 1, 0, 7);
    uint8_t *rec = b.cur;
    tb_call(&b, LW_F_pthread_cond_wait, 1, T0 + 10, 5, 0x1000, 0x2000, 0);
    size_t full = (size_t)(b.cur - rec);
    tb_end(&b);
    for (size_t cut = 2; cut < full; cut++) {
        uint8_t *save = malloc(full);
        memcpy(save, rec, full);
        rec[1] = (uint8_t)(cut - 2); /* the length says the body is shorter */
        struct wr_trace t = {.quiet = 1};
        struct wr_model m;
        char err[256];
        assert_int_equal(wr_trace_open_mem(&t, b.buf, b.size, "cut", err, sizeof err), 0);
        assert_int_equal(wr_model_build(&m, &t), 0);
        assert_true(t.warnings > 0);
        assert_int_equal(m.calls, 0);
        wr_model_free(&m);
        wr_trace_close(&t);
        memcpy(rec, save, full);
        free(save);
    }
    free(b.buf);
}

static void open_model(struct tb *b, struct wr_trace *t, struct wr_model *m)
{
    char err[256];
    t->quiet = 1;
    assert_int_equal(wr_trace_open_mem(t, b->buf, b->size, "synthetic", err, sizeof err), 0);
    assert_int_equal(wr_model_build(m, t), 0);
    assert_int_equal(t->warnings, 0);
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
    open_model(&b, &t, &m);
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
    open_model(&b, &t, &m);
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
    open_model(&b, &t, &m);
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
        cmocka_unit_test(test_cond_schema),
        cmocka_unit_test(test_sync_schema),
        cmocka_unit_test(test_cond_truncated_in_trace),
        cmocka_unit_test(test_cond_wait_splits_the_hold),
        cmocka_unit_test(test_cond_wait_errors),
        cmocka_unit_test(test_rwlock_holds_and_blame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
