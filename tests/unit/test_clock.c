/* test_clock.c: model/clock.c's inline TSC -> monotonic conversion over
 * its memoized segment gives exactly what the original per-stamp formula
 * gives, hostile clock pairs included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tb.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mono_memo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
