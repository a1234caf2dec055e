/* test_analyses.c: histograms, lock holds, holder blame and the live heap
 * on synthetic traces with known answers (2 ticks per ns). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "model/hist.h"
#include "output/fmt.h"
#include "tb.h"

#define T0 TB_T0

static void open_model(struct tb *b, struct wr_trace *t, struct wr_model *m)
{
    char err[256];
    t->quiet = 1;
    assert_int_equal(wr_trace_open_mem(t, b->buf, b->size, "synthetic", err, sizeof err), 0);
    assert_int_equal(wr_model_build(m, t), 0);
}

static void close_model(struct tb *b, struct wr_trace *t, struct wr_model *m)
{
    assert_int_equal(t->warnings, 0);
    wr_model_free(m);
    wr_trace_close(t);
    free(b->buf);
}

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
    open_model(&b, &tr, &m);
    struct wr_site *s = tb_site(&m, LW_F_malloc, 1);
    assert_int_equal(s->hist.n, 100);
    assert_true(within(wr_hist_quantile(&s->hist, 0.5), 50000, 7));
    assert_true(within(wr_hist_quantile(&s->hist, 0.99), 99000, 7));
    assert_int_equal(wr_hist_quantile(&s->hist, 1), 100000);
    close_model(&b, &tr, &m);
}

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
    open_model(&b, &tr, &m);
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
    close_model(&b, &tr, &m);
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
    open_model(&b, &tr, &m);
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
    close_model(&b, &tr, &m);
}

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
    open_model(&b, &tr, &m);
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
    close_model(&b, &tr, &m);
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
    open_model(&b, &tr, &m);
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
    close_model(&b, &tr, &m);
}

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
    open_model(&b, &tr, &m);
    assert_int_equal(m.heap.peak_bytes, 300);
    assert_int_equal(m.heap.peak_ns, 1010 / 2);
    assert_int_equal(m.heap.leaked, 0);
    assert_int_equal(m.heap.foreign_frees, 0);
    assert_int_equal(tb_site(&m, LW_F_malloc, 1)->calls, 2);
    assert_int_equal(m.threads[0].calls, 2);
    assert_int_equal(m.threads[1].calls, 2);
    close_model(&b, &tr, &m);
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
    open_model(&b, &tr, &m);
    assert_int_equal(tb_site(&m, LW_F_malloc, 1)->calls, N);
    assert_int_equal(tb_site(&m, LW_F_free, 2)->calls, N);
    assert_int_equal(m.heap.peak_bytes, 16);
    assert_int_equal(m.heap.peak_count, 1);
    assert_int_equal(m.heap.leaked, 0);
    assert_int_equal(m.heap.foreign_frees, 0);
    assert_int_equal(tb_site(&m, LW_F_malloc, 1)->peak_bytes, 16);
    close_model(&b, &tr, &m);
}

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

/* wr_fit: a name that fits is kept; a longer one keeps its start and its
 * whole location (with [inlined]) around an ellipsis, in exactly width
 * columns; without room for the location, only the start. */
static void test_fit(void **state)
{
    (void)state;
    char b[256];
    assert_int_equal(wr_fit(b, sizeof b, "lock at f (x.c:12)", 18), 18);
    assert_string_equal(b, "lock at f (x.c:12)");
    assert_int_equal(wr_fit(b, sizeof b, "lock at a_long_function_name (x.c:12)", 30), 30);
    assert_string_equal(b, "lock at a_long_funct\xe2\x80\xa6 (x.c:12)");
    assert_int_equal(wr_fit(b, sizeof b, "lock at a_long_function_name (x.c:12) [inlined]", 36), 36);
    assert_string_equal(b, "lock at a_long_f\xe2\x80\xa6 (x.c:12) [inlined]");
    assert_int_equal(wr_fit(b, sizeof b, "lock at f (libsqlite3.so.0+0xa6a6c)", 20), 20);
    assert_string_equal(b, "lock at f (libsqlit\xe2\x80\xa6");
    assert_int_equal(wr_cols("\u2026ab"), 3);
    assert_int_equal(wr_fit(b, 8, "abcdefghijkl", 100), 12); /* a short buffer cuts, never overflows */
    assert_string_equal(b, "abcdefg");
}

/* wr_fmt_quantile: 0, the duration of calls recorded with one stamp, reads
 * untimed; any other value as wr_fmt_ns; the byte sizes scale by 1024 */
static void test_fmt(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(wr_fmt_quantile(b, sizeof b, 0), "untimed");
    assert_string_equal(wr_fmt_quantile(b, sizeof b, 1), "1 ns");
    assert_string_equal(wr_fmt_quantile(b, sizeof b, 12345), "12.3 us");
    assert_string_equal(wr_fmt_bytes(b, sizeof b, 1023), "1023 bytes");
    assert_string_equal(wr_fmt_bytes(b, sizeof b, 5246976), "5.00 MiB");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_buckets),
        cmocka_unit_test(test_hist_quantiles),
        cmocka_unit_test(test_site_quantiles),
        cmocka_unit_test(test_hold_matching),
        cmocka_unit_test(test_holder_blame),
        cmocka_unit_test(test_woken_runnable),
        cmocka_unit_test(test_heap),
        cmocka_unit_test(test_merge_chunks),
        cmocka_unit_test(test_merge_batches),
        cmocka_unit_test(test_distortion),
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_fmt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
