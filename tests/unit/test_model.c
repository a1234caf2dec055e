/* test_model.c: the model (model/model.c) on synthetic traces with known
 * answers: calls, ticks and bytes summed per site and thread, the site
 * cache (hundreds of sites whose keys share cache slots, each still with
 * exactly its own calls), and the wait wrappers' sums (bytes of mmap and
 * mremap, errors of failed opens and interrupted sleeps, a damaged record
 * a warning, not a crash). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tb_model.h"

#define T0 TB_T0

/* Two threads over three chunks: exact calls, bytes, errors and times. */
static void test_aggregate_known_answer(void **st)
{
    (void)st;
    struct tb b;
    tb_init(&b, 3);
    static const uint64_t f1[] = {0x401000, 0x402000}, f2[] = {0x401100, 0x402000};
    /* stream 0 (tid 100), chunk 0 then chunk 2 */
    tb_chunk(&b, 0, 0, 0, 100);
    tb_stack(&b, 1, f1, 2);
    tb_stack(&b, 2, f2, 2);
    uint64_t t = 2000000;
    for (int i = 0; i < 50; i++, t += 1000)
        tb_call(&b, LW_F_malloc, 1, t, 100 + (uint64_t)i, 64, (int64_t)(0x10000 + i * 64), 0);
    tb_end(&b);
    tb_chunk(&b, 2, 0, 1, 100);
    for (int i = 0; i < 50; i++, t += 1000)
        tb_call(&b, LW_F_malloc, 1, t, 100, 64, 0x20000, 0);
    tb_call(&b, LW_F_malloc, 1, t, 100, 1 << 20, 0, 0); /* failed: NULL */
    /* stream 1 (tid 101), chunk 1: lock waits and reads */
    tb_chunk(&b, 1, 1, 0, 101);
    tb_call(&b, LW_F_pthread_mutex_lock, 2, 3000000, 2000000, 0x601040, 0, TB_NOFLAGS); /* 1 ms */
    tb_call(&b, LW_F_pthread_mutex_lock, 2, 6000000, 6000000, 0x601040, 0, TB_NOFLAGS); /* 3 ms */
    tb_call(&b, LW_F_read, 2, 9000000, 10, 3, 4096, 0);
    tb_call(&b, LW_F_read, 2, 9000100, 10, 3, -11, 0); /* -EAGAIN */
    struct wr_trace tr = {.quiet = 1};
    struct wr_model m;
    tb_open_model(&b, &tr, &m);
    assert_int_equal(tr.nstreams, 2);
    assert_int_equal(m.nsites, 3);
    assert_true(m.ns_per_tick > 0.4999 && m.ns_per_tick < 0.5001);
    assert_int_equal(m.rate_estimated, 0);
    struct wr_site *ms = tb_site(&m, LW_F_malloc, 1);
    assert_non_null(ms);
    assert_int_equal(ms->calls, 101);
    assert_int_equal(ms->bytes, 100 * 64 + (1 << 20));
    assert_int_equal(ms->errors, 1);
    assert_int_equal(ms->max_ticks, 149);
    struct wr_site *ls = tb_site(&m, LW_F_pthread_mutex_lock, 2);
    assert_int_equal(ls->calls, 2);
    assert_int_equal(wr_model_ns(&m, ls->total_ticks), 4000000); /* 4 ms */
    assert_int_equal(wr_model_ns(&m, ls->max_ticks), 3000000);
    struct wr_site *rs = tb_site(&m, LW_F_read, 2);
    assert_int_equal(rs->bytes, 4096);
    assert_int_equal(rs->errors, 1);
    assert_ptr_equal(m.sorted[0], ls); /* sorted by total time */
    assert_int_equal(m.threads[0].calls, 101);
    assert_int_equal(m.threads[1].calls, 4);
    assert_int_equal(m.wall_ns, 1000000000ull);
    assert_false(tr.incomplete);
    assert_int_equal(tr.warnings, 0);
    wr_model_free(&m);
    wr_trace_close(&tr);
    free(b.buf);
}

/* 300 sites called round robin: many share a site cache slot, and each
 * still gets exactly its own calls and ticks. */
static void test_site_cache(void **st)
{
    (void)st;
    enum { S = 300, R = 20 };
    struct tb b;
    tb_init(&b, 40);
    unsigned chunk = 0;
    uint32_t seq = 0;
    tb_chunk(&b, chunk, 0, seq, 800);
    uint64_t t = T0;
    for (int r = 0; r < R; r++)
        for (uint32_t s = 0; s < S; s++) {
            if (b.cur + 40 > b.end)
                tb_end(&b), tb_chunk(&b, ++chunk, 0, ++seq, 800);
            tb_call(&b, s % 2 ? LW_F_pthread_mutex_lock : LW_F_pthread_mutex_trylock, s * 1024 + 1, t += 100, s + 1,
                    0x5000 + 64 * s, 0, 0);
            tb_call(&b, LW_F_pthread_mutex_unlock, s * 1024 + 1, t += 100, 1, 0x5000 + 64 * s, 0, 0);
        }
    tb_end(&b);
    struct wr_trace tr = {.quiet = 1};
    struct wr_model m;
    char err[256];
    assert_int_equal(wr_trace_open_mem(&tr, b.buf, b.size, "synthetic", err, sizeof err), 0);
    assert_int_equal(wr_model_build(&m, &tr), 0);
    assert_int_equal(m.nsites, 2 * S);
    for (uint32_t s = 0; s < S; s++) {
        struct wr_site *x = tb_site(&m, s % 2 ? LW_F_pthread_mutex_lock : LW_F_pthread_mutex_trylock, s * 1024 + 1);
        struct wr_site *u = tb_site(&m, LW_F_pthread_mutex_unlock, s * 1024 + 1);
        assert_non_null(x);
        assert_non_null(u);
        assert_int_equal(x->calls, R);
        assert_int_equal(x->total_ticks, (uint64_t)R * (s + 1));
        assert_int_equal(u->calls, R);
        assert_int_equal(x->holds, R);
    }
    wr_model_free(&m);
    wr_trace_close(&tr);
    free(b.buf);
}

/* emit: a call record of f with a prepared argument part into b. */
static void emit(struct tb *b, unsigned f, uint32_t stack, uint64_t tsc, uint64_t dur, const uint8_t *args, size_t n)
{
    uint8_t body[128], *p = body;
    p = lw_put_uv(p, stack);
    p = lw_put_sv(p, (int64_t)(tsc - b->last_tsc));
    b->last_tsc = tsc;
    p = lw_put_uv(p, dur);
    memcpy(p, args, n);
    p += n;
    size_t len = (size_t)(p - body);
    uint8_t *q = lw_put_uv(b->cur + 1, len);
    memcpy(q, body, len);
    b->cur[0] = (uint8_t)f;
    b->cur = q + len;
}

/* The model: bytes of mmap/mremap/munmap, errors of failed opens and
 * interrupted sleeps, fds of accept never counted as bytes; then a record
 * whose length is too short for its schema is a warning, not a crash. */
static void test_model_and_damage(void **st)
{
    (void)st;
    struct tb b;
    tb_init(&b, 1);
    tb_chunk(&b, 0, 0, 0, 100);
    uint8_t a[64], *p;
    uint64_t t = 2000000;
    for (int i = 0; i < 3; i++, t += 1000) { /* 3 x mmap 64 KiB */
        p = lw_put_uv(a, 65536);
        p = lw_put_sv(p, i ? 65536 : 0x7f0000000000);
        p = lw_put_uv(p, 0);
        emit(&b, LW_F_mmap, 1, t, 100, a, (size_t)(p - a));
    }
    p = lw_put_uv(a, 1 << 30); /* a failed mmap: ENOMEM, no bytes */
    p = lw_put_sv(p, 0);
    p = lw_put_uv(p, 12);
    emit(&b, LW_F_mmap, 1, t, 100, a, (size_t)(p - a));
    for (int i = 0; i < 2; i++, t += 1000) { /* 2 x accept gives fd 900 */
        p = lw_put_sv(a, 5);
        p = lw_put_sv(p, 900);
        emit(&b, LW_F_accept, 2, t, 10, a, (size_t)(p - a));
    }
    p = lw_put_sv(a, -100); /* open failed: -ENOENT */
    p = lw_put_sv(p, -2);
    emit(&b, LW_F_open, 3, t, 10, a, (size_t)(p - a));
    p = lw_put_uv(a, 150000000); /* nanosleep 150 ms (300 M ticks) */
    p = lw_put_sv(p, 0);
    emit(&b, LW_F_nanosleep, 4, t, 300000000, a, (size_t)(p - a));
    p = lw_put_uv(a, 10000000); /* nanosleep interrupted */
    p = lw_put_sv(p, -4);
    emit(&b, LW_F_nanosleep, 4, t + 300000000, 20, a, (size_t)(p - a));
    /* damage: an MREMAP record whose length leaves out its last fields */
    p = lw_put_sv(a, 0x1000);
    p = lw_put_uv(p, 4096);
    emit(&b, LW_F_mremap, 5, t + 400000000, 10, a, (size_t)(p - a));
    tb_end(&b);
    struct wr_trace tr = {.quiet = 1};
    struct wr_model m;
    char err[256];
    assert_int_equal(wr_trace_open_mem(&tr, b.buf, b.size, "synthetic", err, sizeof err), 0);
    assert_int_equal(wr_model_build(&m, &tr), 0);
    struct wr_site *s = tb_site(&m, LW_F_mmap, 1);
    assert_non_null(s);
    assert_int_equal(s->calls, 4);
    assert_int_equal(s->bytes, 3 * 65536);
    assert_int_equal(s->errors, 1);
    s = tb_site(&m, LW_F_accept, 2);
    assert_int_equal(s->calls, 2);
    assert_int_equal(s->bytes, 0);
    assert_int_equal(s->errors, 0);
    s = tb_site(&m, LW_F_open, 3);
    assert_int_equal(s->errors, 1);
    s = tb_site(&m, LW_F_nanosleep, 4);
    assert_int_equal(s->calls, 2);
    assert_int_equal(s->errors, 1);
    assert_int_equal(wr_model_ns(&m, s->max_ticks), 150000000);
    assert_int_equal(s->asked_ns, 160000000);
    assert_null(tb_site(&m, LW_F_mremap, 5)); /* the damaged record is not counted */
    assert_int_equal(tr.warnings, 1);
    wr_model_free(&m);
    wr_trace_close(&tr);
    free(b.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aggregate_known_answer),
        cmocka_unit_test(test_site_cache),
        cmocka_unit_test(test_model_and_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
