/* test_waits_io.c: the schemas of the wait wrappers (FDOP, SLEEP, MMAP,
 * MREMAP, and SELECT/IO as the polls, sockets and stdio use them): each
 * decodes to the values written, every truncation of a body is refused
 * without reading past it, a damaged record in a trace is a warning, and
 * the model sums bytes and errors with known answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/model.h"
#include "tb.h"

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

static void test_table(void **st)
{
    (void)st;
    static const struct {
        unsigned f;
        const char *name;
        int fam, sch;
    } want[] = {
        {LW_F_poll, "poll", LW_FAM_EVENT, LW_S_SELECT},
        {LW_F_epoll_wait, "epoll_wait", LW_FAM_EVENT, LW_S_SELECT},
        {LW_F_pselect, "pselect", LW_FAM_EVENT, LW_S_SELECT},
        {LW_F_pread, "pread", LW_FAM_IO, LW_S_IO},
        {LW_F_recvmsg, "recvmsg", LW_FAM_IO, LW_S_IO},
        {LW_F_accept4, "accept4", LW_FAM_IO, LW_S_FDOP},
        {LW_F_close, "close", LW_FAM_IO, LW_S_FDOP},
        {LW_F_nanosleep, "nanosleep", LW_FAM_SLEEP, LW_S_SLEEP},
        {LW_F_sleep, "sleep", LW_FAM_SLEEP, LW_S_SLEEP},
        {LW_F_mmap, "mmap", LW_FAM_MMAP, LW_S_MMAP},
        {LW_F_mremap, "mremap", LW_FAM_MMAP, LW_S_MREMAP},
        {LW_F_getdelim, "getdelim", LW_FAM_IO, LW_S_IO},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const struct lw_func_info *fi = lw_func_info_of(want[i].f);
        assert_non_null(fi);
        assert_string_equal(fi->name, want[i].name);
        assert_int_equal(fi->family, want[i].fam);
        assert_int_equal(fi->schema, want[i].sch);
    }
    assert_int_equal(LW_F_poll, 19);
    assert_true(LW_F_getdelim <= 69); /* 70..99 are the sync family's */
    for (unsigned f = 19; f <= LW_F_getdelim; f++)
        assert_non_null(lw_func_info_of(f));
    for (unsigned f = LW_F_getdelim + 1; f < 70; f++) /* a gap up to the sync family: no entry */
        assert_null(lw_func_info_of(f));
    assert_null(lw_func_info_of(LW_F_COUNT));
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
        cmocka_unit_test(test_table),       cmocka_unit_test(test_fdop),        cmocka_unit_test(test_sleep),
        cmocka_unit_test(test_mmap_mremap), cmocka_unit_test(test_poll_select), cmocka_unit_test(test_model_and_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
