/* test_fastpath.c: the analyzer's fast paths give exactly what the plain
 * code gives: the inline TSC -> monotonic conversion over its memoized
 * segment (against the original per-stamp formula, hostile clock pairs
 * included), the open-addressing live heap (thousands of blocks, freed in a
 * scrambled order, so probe runs grow, wrap and shift back), and the site
 * cache (hundreds of sites whose keys share cache slots). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tb.h"

#define T0 TB_T0

/* ref_sat, ref_mono: wr_cpu_mono as it was before the memo, for stamp tsc. */
static int64_t ref_sat(double x)
{
    if (!(x == x))
        return 0;
    if (x >= 9.2e18)
        return INT64_MAX;
    if (x <= -9.2e18)
        return INT64_MIN;
    return (int64_t)x;
}

static uint64_t ref_mono(const struct wr_model *m, uint64_t tsc)
{
    const struct wr_pair *p = m->pairs;
    size_t n = m->npairs, lo = 0, hi = n;
    if (n == 0)
        return m->pair_lo[1] + (uint64_t)ref_sat((double)(int64_t)(tsc - m->pair_lo[0]) * m->ns_per_tick);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p[mid].tsc <= tsc)
            lo = mid + 1;
        else
            hi = mid;
    }
    const struct wr_pair *a, *b;
    if (lo == 0)
        a = &p[0], b = n > 1 ? &p[1] : NULL;
    else if (lo == n)
        a = &p[n - 1], b = n > 1 ? &p[n - 2] : NULL;
    else
        a = &p[lo - 1], b = &p[lo];
    double rate = m->ns_per_tick;
    if (lo > 0 && lo < n) {
        if (b->rate != 0)
            rate = b->rate;
    } else if (b && b->tsc != a->tsc && b->ns != a->ns && (b->tsc > a->tsc) == (b->ns > a->ns)) {
        rate = (double)((int64_t)(b->ns - a->ns)) / (double)((int64_t)(b->tsc - a->tsc));
    }
    return a->ns + (uint64_t)ref_sat((double)(int64_t)(tsc - a->tsc) * rate);
}

/* set_rates: each pair's rate from the previous one, as wr_cpu_prepare does. */
static void set_rates(struct wr_pair *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct wr_pair *a = i ? &p[i - 1] : NULL, *b = &p[i];
        p[i].rate = 0;
        if (a && b->tsc != a->tsc && b->ns != a->ns && (b->tsc > a->tsc) == (b->ns > a->ns))
            p[i].rate = (double)((int64_t)(b->ns - a->ns)) / (double)((int64_t)(b->tsc - a->tsc));
    }
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* check_stamps: in-order runs, jumps back and far stamps all agree. */
static void check_stamps(struct wr_model *m)
{
    uint64_t lo = m->npairs ? m->pairs[0].tsc : 0, hi = m->npairs ? m->pairs[m->npairs - 1].tsc : 1000;
    uint64_t span = hi - lo + 1000;
    uint64_t t = lo > 500 ? lo - 500 : 0;
    for (int i = 0; i < 20000; i++) {
        switch (rnd() % 8) {
        case 0:
            t = lo - 500 + rnd() % (span + 1000); /* anywhere near */
            break;
        case 1:
            t = rnd(); /* anywhere at all */
            break;
        default:
            t += rnd() % (span / 64 + 1); /* mostly forward, as a walk goes */
        }
        uint64_t want = ref_mono(m, t);
        assert_int_equal(wr_cpu_mono(m, t), want);
    }
}

static void test_mono_memo(void **st)
{
    (void)st;
    struct wr_pair sets[][6] = {
        /* a steady clock: 0.5 ns per tick */
        {{1000, 5000, 0}, {3000, 6000, 0}, {5000, 7000, 0}, {9000, 9000, 0}, {13000, 11000, 0}, {20000, 14500, 0}},
        /* rates that change, a pair with the same tsc, time going back */
        {{1000, 5000, 0}, {1000, 5100, 0}, {4000, 5200, 0}, {8000, 4000, 0}, {9000, 9000000, 0}, {9001, 9000001, 0}},
        /* hostile: huge ns jumps, so products saturate */
        {{10, 1, 0},
         {20, UINT64_MAX / 4, 0},
         {30, 2, 0},
         {1ull << 40, UINT64_MAX / 2, 0},
         {(1ull << 40) + 1, 7, 0},
         {UINT64_MAX - 5, 3, 0}},
    };
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        for (size_t n = 0; n <= 6; n++) {
            struct wr_model m;
            memset(&m, 0, sizeof m);
            m.pairs = sets[k];
            m.npairs = n;
            m.ns_per_tick = k == 2 ? 1e12 : 0.5;
            m.pair_lo[0] = 1000, m.pair_lo[1] = 5000;
            set_rates(m.pairs, n);
            check_stamps(&m);
        }
    }
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mono_memo),
        cmocka_unit_test(test_heap_table),
        cmocka_unit_test(test_site_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
