/* test_trace.c: record encoding, the reader and the model on synthetic
 * traces with known answers, and the reader on damaged traces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tb.h"

#define CHUNK TB_CHUNK

/* open_model: reader + model over b; asserts success. */
static void open_model(struct tb *b, struct wr_trace *t, struct wr_model *m)
{
    char err[256];
    t->quiet = 1;
    assert_int_equal(wr_trace_open_mem(t, b->buf, b->size, "synthetic", err, sizeof err), 0);
    assert_int_equal(wr_model_build(m, t), 0);
}

static void test_varint_roundtrip(void **st)
{
    (void)st;
    static const uint64_t u[] = {0, 1, 127, 128, 300, 1ull << 32, UINT64_MAX};
    static const int64_t s[] = {0, -1, 1, -64, 64, INT64_MIN, INT64_MAX};
    uint8_t buf[LW_VARINT_MAX];
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
        uint8_t *e = lw_put_uv(buf, u[i]);
        const uint8_t *p = buf;
        uint64_t v = 0;
        assert_true(lw_get_uv(&p, e, &v));
        assert_true(v == u[i] && p == e);
        p = buf; /* one byte short: must fail without reading past the end */
        if (e - buf > 1)
            assert_false(lw_get_uv(&p, e - 1, &v));
        e = lw_put_sv(buf, s[i]);
        p = buf;
        int64_t w;
        assert_true(lw_get_sv(&p, e, &w));
        assert_true(w == s[i]);
    }
    /* an 11-byte varint is over-long and rejected */
    uint8_t bad[11];
    memset(bad, 0x80, sizeof bad);
    const uint8_t *p = bad;
    uint64_t v = 0;
    assert_false(lw_get_uv(&p, bad + sizeof bad, &v));
}

static void test_func_table(void **st)
{
    (void)st;
    assert_string_equal(lw_func_info_of(LW_F_pthread_mutex_lock)->name, "pthread_mutex_lock");
    assert_int_equal(lw_func_info_of(LW_F_read)->family, LW_FAM_IO);
    assert_null(lw_func_info_of(0));
    assert_null(lw_func_info_of(LW_F_COUNT));
    assert_true((unsigned)LW_F_COUNT < (unsigned)LW_REC_CHUNK_END); /* calls stay below meta kinds */
}

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
    open_model(&b, &tr, &m);
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

/* A record whose kind byte was never stored (torn) ends the stream there. */
static void test_torn_record_is_not_read(void **st)
{
    (void)st;
    struct tb b;
    tb_init(&b, 1);
    tb_chunk(&b, 0, 0, 0, 7);
    tb_call(&b, LW_F_free, 0, 2000000, 5, 0x1000, 0, 0);
    uint8_t *torn = b.cur;
    tb_call(&b, LW_F_free, 0, 2000100, 5, 0x2000, 0, 0);
    torn[0] = 0; /* the writer was killed before publishing it */
    ((struct lw_file_header *)b.buf)->flags = 0;
    struct wr_trace tr = {.quiet = 1};
    struct wr_model m;
    open_model(&b, &tr, &m);
    assert_int_equal(m.calls, 1);
    assert_true(tr.incomplete);
    wr_model_free(&m);
    wr_trace_close(&tr);
    free(b.buf);
}

static void test_bad_headers_are_errors(void **st)
{
    (void)st;
    struct tb b;
    tb_init(&b, 1);
    struct wr_trace tr = {.quiet = 1};
    char err[256];
    assert_int_equal(wr_trace_open_mem(&tr, b.buf, 100, "short", err, sizeof err), -1);
    assert_non_null(strstr(err, "short"));
    struct lw_file_header *h = (struct lw_file_header *)b.buf;
    h->chunk_size = 12345;
    assert_int_equal(wr_trace_open_mem(&tr, b.buf, b.size, "x", err, sizeof err), -1);
    h->chunk_size = CHUNK;
    h->version = 99;
    assert_int_equal(wr_trace_open_mem(&tr, b.buf, b.size, "x", err, sizeof err), -1);
    h->version = LW_VERSION;
    h->magic[0] = 'X';
    assert_int_equal(wr_trace_open_mem(&tr, b.buf, b.size, "x", err, sizeof err), -1);
    free(b.buf);
}

/* collect: a walk's call records' kinds and addresses (ev.ptr). */
struct collect {
    unsigned n, kind[8];
    uint64_t ptr[8];
};

static int collect_fn(void *ctx, const struct wr_event *ev)
{
    struct collect *c = ctx;
    if (lw_func_info_of(ev->kind) && c->n < 8) {
        c->kind[c->n] = ev->kind;
        c->ptr[c->n++] = ev->ptr;
    }
    return 0;
}

/* Blocks and locks take their deltas from two bases (lw_format.h), and a
 * version 1 trace, which wrote one base for both, still reads the same
 * addresses. The lock's second record then costs one byte for its mutex,
 * where a shared base wrote the heap-to-mutex distance. */
static void test_address_bases(void **st)
{
    (void)st;
    static const unsigned f[] = {LW_F_malloc, LW_F_pthread_mutex_lock, LW_F_free, LW_F_pthread_mutex_unlock};
    static const uint64_t a[] = {0x5555deadb000ull, 0x7f1234567040ull, 0x5555deadb000ull, 0x7f1234567040ull};
    size_t unlock_len[2];
    for (int v = 1; v <= 2; v++) {
        struct tb b;
        tb_init(&b, 1);
        b.one_base = v == 1;
        ((struct lw_file_header *)b.buf)->version = (uint32_t)v;
        tb_chunk(&b, 0, 0, 0, 7);
        for (unsigned i = 0; i < 4; i++) {
            const uint8_t *rec = b.cur;
            if (f[i] == LW_F_malloc)
                tb_call(&b, f[i], 1, 2000000 + i * 100, 5, 64, (int64_t)a[i], 0);
            else
                tb_call(&b, f[i], 1, 2000000 + i * 100, 5, a[i], 0, TB_NOFLAGS);
            unlock_len[v - 1] = rec[1];
        }
        tb_end(&b);
        struct wr_trace tr = {.quiet = 1};
        char err[256];
        assert_int_equal(wr_trace_open_mem(&tr, b.buf, b.size, "bases", err, sizeof err), 0);
        struct collect c = {0};
        assert_int_equal(wr_trace_walk(&tr, collect_fn, &c), 0);
        assert_int_equal(c.n, 4);
        for (unsigned i = 0; i < 4; i++) {
            assert_int_equal(c.kind[i], f[i]);
            assert_int_equal(c.ptr[i], a[i]);
        }
        assert_false(tr.incomplete);
        wr_trace_close(&tr);
        free(b.buf);
    }
    assert_true(unlock_len[1] + 5 <= unlock_len[0]);
}

/* A header claiming more chunks than the file holds is clamped. */
static void test_chunk_count_clamped(void **st)
{
    (void)st;
    struct tb b;
    tb_init(&b, 2);
    tb_chunk(&b, 0, 0, 0, 7);
    tb_call(&b, LW_F_free, 0, 2000000, 5, 0x1000, 0, 0);
    ((struct lw_file_header *)b.buf)->next_chunk = 1u << 30;
    struct wr_trace tr = {.quiet = 1};
    struct wr_model m;
    open_model(&b, &tr, &m);
    assert_int_equal(tr.nchunks, 2);
    assert_int_equal(m.calls, 1);
    assert_true(tr.incomplete);
    wr_model_free(&m);
    wr_trace_close(&tr);
    free(b.buf);
}

/* Random damage anywhere after the header never crashes or over-reads
 * (run under ASan by `make asan`). */
static void test_random_damage(void **st)
{
    (void)st;
    struct tb b;
    tb_init(&b, 2);
    static const uint64_t f1[] = {0x401000, 0x402000, 0x403000};
    tb_chunk(&b, 0, 0, 0, 1);
    tb_stack(&b, 1, f1, 3);
    for (int i = 0; i < 100; i++)
        tb_call(&b, LW_F_pthread_mutex_lock, 1, 2000000 + (uint64_t)i * 50, 20, 0x601040, 0, TB_NOFLAGS);
    tb_end(&b);
    tb_chunk(&b, 1, 0, 1, 1);
    for (int i = 0; i < 100; i++)
        tb_call(&b, LW_F_write, 1, 3000000 + (uint64_t)i * 50, 20, 1, 100, 0);
    uint8_t *copy = malloc(b.size);
    srand(1234);
    for (int round = 0; round < 2000; round++) {
        memcpy(copy, b.buf, b.size);
        int n = 1 + rand() % 16;
        for (int k = 0; k < n; k++)
            copy[LW_HEADER_SIZE + (size_t)rand() % (b.size - LW_HEADER_SIZE)] = (uint8_t)rand();
        size_t size = round % 7 ? b.size : LW_HEADER_SIZE + (size_t)rand() % (b.size - LW_HEADER_SIZE);
        uint8_t *exact = malloc(size); /* exact-size copy so ASan sees over-reads */
        memcpy(exact, copy, size);
        struct wr_trace tr;
        struct wr_model m;
        char err[256];
        tr.quiet = 1;
        if (wr_trace_open_mem(&tr, exact, size, "damaged", err, sizeof err) == 0) {
            assert_int_equal(wr_model_build(&m, &tr), 0);
            /* a damaged length or kind byte can split a record into two
             * that decode as calls (many function ids decode as calls) */
            assert_true(m.calls <= 400);
            wr_model_free(&m);
            wr_trace_close(&tr);
        }
        free(exact);
    }
    free(copy);
    free(b.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint_roundtrip),       cmocka_unit_test(test_func_table),
        cmocka_unit_test(test_aggregate_known_answer), cmocka_unit_test(test_torn_record_is_not_read),
        cmocka_unit_test(test_bad_headers_are_errors), cmocka_unit_test(test_chunk_count_clamped),
        cmocka_unit_test(test_address_bases),          cmocka_unit_test(test_random_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
