/* test_reader.c: the trace reader (trace/reader.c) on synthetic traces:
 * each call schema (FDOP, SLEEP, MMAP, MREMAP, SELECT/IO as the polls,
 * sockets and stdio use them; COND and SYNC) decodes to the values
 * written, every truncation of a body is refused without reading past it;
 * a torn record is not read, bad headers are errors, address bases carry
 * across records, a chunk count past the file is clamped, and random
 * damage is a warning, never a crash. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tb_model.h"

#define T0 TB_T0

#define CHUNK TB_CHUNK

/* body: a call body [stack][s start delta][duration][args] as the preload
 * writes it (wrap/wrap.h, wrap/sleep.c, wrap/mmap.c), the address delta against 0. */
struct body {
    uint8_t b[128];
    size_t n;
};

static uint8_t *common(uint8_t *p, uint64_t stack, int64_t dt, uint64_t dur)
{
    p = lw_put_uv(p, stack);
    p = lw_put_sv(p, dt);
    return lw_put_uv(p, dur);
}

/* decode: wr_decode_call over an exact-size heap copy of [p, p + n) (so a
 * sanitizer sees any read past it); 1 when it decoded. */
static int decode(unsigned f, const uint8_t *p, size_t n, struct wr_event *ev)
{
    uint8_t *c = malloc(n ? n : 1);
    memcpy(c, p, n);
    uint64_t tsc = 1000, addr = 0, obj = 0;
    memset(ev, 0, sizeof *ev);
    int ok = wr_decode_call(lw_func_info_of(f), c, c + n, &tsc, &addr, &obj, ev);
    free(c);
    return ok;
}

/* every_cut_fails: each strict prefix of the body fails to decode. */
static void every_cut_fails(unsigned f, const struct body *b)
{
    struct wr_event ev;
    for (size_t k = 0; k < b->n; k++)
        assert_int_equal(decode(f, b->b, k, &ev), 0);
    assert_int_equal(decode(f, b->b, b->n, &ev), 1);
}

static void test_fdop(void **st)
{
    (void)st;
    struct body b;
    uint8_t *p = common(b.b, 7, 100, 50);
    p = lw_put_sv(p, -100); /* AT_FDCWD */
    p = lw_put_sv(p, -2);   /* -ENOENT */
    b.n = (size_t)(p - b.b);
    struct wr_event ev;
    assert_int_equal(decode(LW_F_open, b.b, b.n, &ev), 1);
    assert_int_equal(ev.stack, 7);
    assert_int_equal(ev.tsc, 1100);
    assert_int_equal(ev.dur, 50);
    assert_int_equal((int64_t)ev.fd, -100);
    assert_int_equal(ev.ret, -2);
    every_cut_fails(LW_F_open, &b);
    p = common(b.b, 1, 0, 9);
    p = lw_put_sv(p, 5);
    p = lw_put_sv(p, 1023); /* accept4 on 5 gave fd 1023 */
    b.n = (size_t)(p - b.b);
    assert_int_equal(decode(LW_F_accept4, b.b, b.n, &ev), 1);
    assert_int_equal(ev.fd, 5);
    assert_int_equal(ev.ret, 1023);
    every_cut_fails(LW_F_accept4, &b);
}

static void test_sleep(void **st)
{
    (void)st;
    struct body b;
    uint8_t *p = common(b.b, 3, -20, 300000000);
    p = lw_put_uv(p, 150000000); /* 150 ms asked */
    p = lw_put_sv(p, -4);        /* -EINTR */
    b.n = (size_t)(p - b.b);
    struct wr_event ev;
    assert_int_equal(decode(LW_F_nanosleep, b.b, b.n, &ev), 1);
    assert_int_equal(ev.tsc, 980);
    assert_int_equal(ev.size, 150000000);
    assert_int_equal(ev.ret, -4);
    every_cut_fails(LW_F_nanosleep, &b);
}

static void test_mmap_mremap(void **st)
{
    (void)st;
    struct body b;
    uint8_t *p = common(b.b, 2, 5, 40);
    p = lw_put_uv(p, 65536);
    p = lw_put_sv(p, 0x7f0000000000); /* address delta against 0 */
    p = lw_put_uv(p, 0);
    b.n = (size_t)(p - b.b);
    struct wr_event ev;
    assert_int_equal(decode(LW_F_mmap, b.b, b.n, &ev), 1);
    assert_int_equal(ev.size, 65536);
    assert_int_equal(ev.ptr, 0x7f0000000000);
    assert_int_equal(ev.err, 0);
    every_cut_fails(LW_F_mmap, &b);
    p = common(b.b, 2, 5, 40);
    p = lw_put_sv(p, 0x7f0000000000);
    p = lw_put_uv(p, 65536);
    p = lw_put_uv(p, 131072);
    p = lw_put_sv(p, 0x1000); /* new = old + 0x1000 */
    p = lw_put_uv(p, 0);
    b.n = (size_t)(p - b.b);
    assert_int_equal(decode(LW_F_mremap, b.b, b.n, &ev), 1);
    assert_int_equal(ev.old, 0x7f0000000000);
    assert_int_equal(ev.aux, 65536);
    assert_int_equal(ev.size, 131072);
    assert_int_equal(ev.ptr, 0x7f0000001000);
    assert_int_equal(ev.err, 0);
    every_cut_fails(LW_F_mremap, &b);
}

static void test_poll_select(void **st)
{
    (void)st;
    struct body b;
    uint8_t *p = common(b.b, 4, 1, 2);
    p = lw_put_uv(p, 64); /* maxevents */
    p = lw_put_sv(p, 3);  /* 3 ready */
    p = lw_put_uv(p, 2);  /* finite timeout */
    b.n = (size_t)(p - b.b);
    struct wr_event ev;
    assert_int_equal(decode(LW_F_epoll_wait, b.b, b.n, &ev), 1);
    assert_int_equal(ev.fd, 64);
    assert_int_equal(ev.ret, 3);
    assert_int_equal(ev.aux, 2);
    every_cut_fails(LW_F_epoll_wait, &b);
}

/* call_body: the body of one call record of f made with tb_call, into out. */
static size_t call_body(unsigned f, uint64_t a0, uint64_t a1, uint64_t a2, uint8_t *out)
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

/* decode_from_t0: wr_decode_call of [p, p + n) in place, the previous
 * stamp T0 (call_body's records start from it). */
static int decode_from_t0(unsigned f, const uint8_t *p, size_t n, struct wr_event *ev)
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
    size_t n = call_body(LW_F_pthread_cond_timedwait, 0x7f0000001000ull, 0x7f0000000040ull, ETIMEDOUT, b);
    struct wr_event ev;
    assert_true(decode_from_t0(LW_F_pthread_cond_timedwait, b, n, &ev));
    assert_int_equal(ev.stack, 3);
    assert_int_equal(ev.tsc, T0 + 100);
    assert_int_equal(ev.dur, 50);
    assert_int_equal(ev.ptr, 0x7f0000001000ull);
    assert_int_equal(ev.old, 0x7f0000000040ull);
    assert_int_equal(ev.err, ETIMEDOUT);
    for (size_t k = 0; k < n; k++) /* every truncation is refused */
        assert_false(decode_from_t0(LW_F_pthread_cond_timedwait, b, k, &ev));
    b[n - 1] |= 0x80; /* the last varint never ends */
    assert_false(decode_from_t0(LW_F_pthread_cond_timedwait, b, n, &ev));
}

static void test_sync_schema(void **st)
{
    (void)st;
    uint8_t b[128];
    struct wr_event ev;
    size_t n = call_body(LW_F_pthread_barrier_wait, 0x55000000a000ull, 0, LW_SYNC_SERIAL, b);
    assert_true(decode_from_t0(LW_F_pthread_barrier_wait, b, n, &ev));
    assert_int_equal(ev.ptr, 0x55000000a000ull);
    assert_int_equal(ev.err, 0);
    assert_int_equal(ev.fd, 1);
    assert_int_equal(ev.aux, LW_SYNC_SERIAL);
    /* without the flags byte: still whole, flags absent */
    assert_true(decode_from_t0(LW_F_pthread_barrier_wait, b, n - 1, &ev));
    assert_int_equal(ev.fd, 0);
    for (size_t k = 0; k < n - 1; k++) /* cut inside the object or err: refused */
        assert_false(decode_from_t0(LW_F_pthread_barrier_wait, b, k, &ev));
    n = call_body(LW_F_sem_wait, 0x55000000a000ull, ECANCELED, TB_NOFLAGS, b);
    assert_true(decode_from_t0(LW_F_sem_wait, b, n, &ev));
    assert_int_equal(ev.err, ECANCELED);
    b[n - 1] |= 0x80; /* err's varint cut short */
    assert_false(decode_from_t0(LW_F_sem_wait, b, n, &ev));
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
    tb_open_model(&b, &tr, &m);
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
    tb_open_model(&b, &tr, &m);
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
        cmocka_unit_test(test_fdop),
        cmocka_unit_test(test_sleep),
        cmocka_unit_test(test_mmap_mremap),
        cmocka_unit_test(test_poll_select),
        cmocka_unit_test(test_cond_schema),
        cmocka_unit_test(test_sync_schema),
        cmocka_unit_test(test_cond_truncated_in_trace),
        cmocka_unit_test(test_torn_record_is_not_read),
        cmocka_unit_test(test_bad_headers_are_errors),
        cmocka_unit_test(test_address_bases),
        cmocka_unit_test(test_chunk_count_clamped),
        cmocka_unit_test(test_random_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
