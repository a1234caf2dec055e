/* test_codec.c: every record schema of include/lw_codec.h round-trips
 * through its encoder and decoder, at edge values (0, the widest varints,
 * addresses and stamps going backwards), and every decoder refuses each
 * truncation of a valid body without reading past its end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lw_codec.h"

/* Edge values of a 64-bit field: 0, the largest one-byte varint and the
 * smallest two-byte one, a sign flip, and the widest. */
static const uint64_t U[] = {0,         1, 0x7f, 0x80, 0x3fff, 0x4000, 0x7fffffffffffffffull, 0x8000000000000000ull,
                             UINT64_MAX};
#define NU (sizeof U / sizeof U[0])
static const int64_t S[] = {0, 1, -1, 63, -64, 64, -65, INT64_MAX, INT64_MIN};
#define NS (sizeof S / sizeof S[0])

/* vlen: the bytes of v as a varint. */
static size_t vlen(uint64_t v)
{
    uint8_t b[LW_VARINT_MAX];
    return (size_t)(lw_put_uv(b, v) - b);
}

/* Each decoder is run on every proper prefix of a body (it must say 0)
 * from a heap copy of exactly that length, so that ASan catches a read
 * past the end, and on the whole body (it must say 1 and stop at its end). */
typedef int (*dec_fn)(const uint8_t **pp, const uint8_t *e, void *out);

static void check_prefixes(const uint8_t *body, size_t len, dec_fn dec, void *out)
{
    for (size_t n = 0; n < len; n++) {
        uint8_t *c = malloc(n ? n : 1);
        memcpy(c, body, n);
        const uint8_t *p = c;
        assert_int_equal(dec(&p, c + n, out), 0);
        free(c);
    }
}

/* ---- the common part and the address deltas ---- */

static void test_call_head(void **state)
{
    (void)state;
    for (size_t i = 0; i < NU; i++)
        for (size_t j = 0; j < NU; j++) {
            uint8_t b[3 * LW_VARINT_MAX];
            uint64_t wlast = U[j], rlast = U[j];
            uint32_t stack = (uint32_t)U[i];
            uint64_t t0 = U[(i + j) % NU], t1 = t0 + U[i]; /* durations of every width */
            uint8_t *end = lw_enc_call(b, &wlast, stack, t0, t1);
            assert_true(end - b <= 3 * LW_VARINT_MAX);
            assert_int_equal(wlast, t0);
            const uint8_t *p = b;
            uint32_t st;
            uint64_t ts, dur;
            assert_int_equal(lw_dec_call(&p, end, &rlast, &st, &ts, &dur), 1);
            assert_ptr_equal(p, end);
            assert_int_equal(st, stack);
            assert_int_equal(ts, t0);
            assert_int_equal(dur, t1 - t0);
            assert_int_equal(rlast, wlast);
        }
    /* a stack id above 32 bits is refused */
    uint8_t b[3 * LW_VARINT_MAX], *e = lw_put_uv(b, 1ull << 32);
    e = lw_put_sv(e, 0);
    e = lw_put_uv(e, 0);
    const uint8_t *p = b;
    uint64_t last = 0, ts, dur;
    uint32_t st;
    assert_int_equal(lw_dec_call(&p, e, &last, &st, &ts, &dur), 0);
}

static void test_addr_sequence(void **state)
{
    (void)state;
    /* a run of addresses going up and down, across the sign, through one
     * delta state each way */
    uint8_t b[NU * NU * LW_VARINT_MAX], *e = b;
    uint64_t wlast = 0, rlast = 0;
    for (size_t i = 0; i < NU; i++)
        for (size_t j = 0; j < NU; j++)
            e = lw_enc_addr(e, &wlast, U[i] ^ U[j]);
    const uint8_t *p = b;
    for (size_t i = 0; i < NU; i++)
        for (size_t j = 0; j < NU; j++) {
            uint64_t a;
            assert_int_equal(lw_dec_addr(&p, e, &rlast, &a), 1);
            assert_int_equal(a, U[i] ^ U[j]);
        }
    assert_ptr_equal(p, e);
    assert_int_equal(rlast, wlast);
}

/* ---- call schemas ---- */

struct args {
    uint64_t last;
    uint64_t a[5];
    int64_t s[2];
};

static int dec_alloc(const uint8_t **pp, const uint8_t *e, void *o)
{
    struct args *x = o;
    return lw_dec_alloc(pp, e, &x->last, &x->a[0], &x->a[1]);
}
static int dec_realloc(const uint8_t **pp, const uint8_t *e, void *o)
{
    struct args *x = o;
    return lw_dec_realloc(pp, e, &x->last, &x->a[0], &x->a[1], &x->a[2]);
}
static int dec_free(const uint8_t **pp, const uint8_t *e, void *o)
{
    struct args *x = o;
    return lw_dec_free(pp, e, &x->last, &x->a[0]);
}
static int dec_memalign(const uint8_t **pp, const uint8_t *e, void *o)
{
    struct args *x = o;
    return lw_dec_memalign(pp, e, &x->last, &x->a[0], &x->a[1], &x->a[2]);
}
static int dec_cond(const uint8_t **pp, const uint8_t *e, void *o)
{
    struct args *x = o;
    return lw_dec_cond(pp, e, &x->last, &x->a[0], &x->a[1], &x->a[2]);
}
static int dec_mmap(const uint8_t **pp, const uint8_t *e, void *o)
{
    struct args *x = o;
    return lw_dec_mmap(pp, e, &x->last, &x->a[0], &x->a[1], &x->a[2]);
}
static int dec_mremap(const uint8_t **pp, const uint8_t *e, void *o)
{
    struct args *x = o;
    return lw_dec_mremap(pp, e, &x->last, &x->a[0], &x->a[1], &x->a[2], &x->a[3], &x->a[4]);
}
static int dec_io(const uint8_t **pp, const uint8_t *e, void *o)
{
    struct args *x = o;
    return lw_dec_io(pp, e, &x->a[0], &x->s[0]);
}
static int dec_select(const uint8_t **pp, const uint8_t *e, void *o)
{
    struct args *x = o;
    return lw_dec_select(pp, e, &x->a[0], &x->s[0], &x->a[1]);
}
static int dec_eventfd(const uint8_t **pp, const uint8_t *e, void *o)
{
    struct args *x = o;
    return lw_dec_eventfd(pp, e, &x->a[0], &x->a[1], &x->s[0]);
}
static int dec_fdop(const uint8_t **pp, const uint8_t *e, void *o)
{
    struct args *x = o;
    return lw_dec_fdop(pp, e, &x->s[1], &x->s[0]);
}
static int dec_sleep(const uint8_t **pp, const uint8_t *e, void *o)
{
    struct args *x = o;
    return lw_dec_sleep(pp, e, &x->a[0], &x->s[0]);
}

/* decode: the whole body [b, e) with dec from delta state last; checks it
 * ends at e and that its delta state ends as the encoder's (wlast). */
static struct args decode(const uint8_t *b, const uint8_t *e, dec_fn dec, uint64_t last, uint64_t wlast)
{
    struct args x;
    memset(&x, 0, sizeof x);
    x.last = last;
    const uint8_t *p = b;
    assert_int_equal(dec(&p, e, &x), 1);
    assert_ptr_equal(p, e);
    assert_int_equal(x.last, wlast);
    struct args y = {.last = last};
    check_prefixes(b, (size_t)(e - b), dec, &y);
    return x;
}

static void test_memory_schemas(void **state)
{
    (void)state;
    for (size_t i = 0; i < NU; i++)
        for (size_t j = 0; j < NU; j++) {
            uint64_t u = U[i], v = U[j], w = U[(i + 3 * j + 1) % NU], last0 = U[(2 * i + j) % NU];
            uint8_t b[8 * LW_VARINT_MAX], *e;
            uint64_t wl;
            struct args x;

            wl = last0;
            e = lw_enc_alloc(b, &wl, u, v);
            x = decode(b, e, dec_alloc, last0, wl);
            assert_int_equal(x.a[0], u);
            assert_int_equal(x.a[1], v);

            wl = last0;
            e = lw_enc_free(b, &wl, u);
            x = decode(b, e, dec_free, last0, wl);
            assert_int_equal(x.a[0], u);

            /* the schemas of three fields: (u, v, w) */
            static const struct {
                uint8_t *(*enc)(uint8_t *, uint64_t *, uint64_t, uint64_t, uint64_t);
                dec_fn dec;
            } three[] = {{lw_enc_realloc, dec_realloc},
                         {lw_enc_memalign, dec_memalign},
                         {lw_enc_cond, dec_cond},
                         {lw_enc_mmap, dec_mmap}};
            for (size_t k = 0; k < sizeof three / sizeof three[0]; k++) {
                wl = last0;
                e = three[k].enc(b, &wl, u, v, w);
                x = decode(b, e, three[k].dec, last0, wl);
                assert_int_equal(x.a[0], u);
                assert_int_equal(x.a[1], v);
                assert_int_equal(x.a[2], w);
            }

            wl = last0;
            e = lw_enc_mremap(b, &wl, u, v, w, last0, ~u);
            assert_true(e - b <= LW_REC_CALL_MAX - 2 - 3 * LW_VARINT_MAX);
            x = decode(b, e, dec_mremap, last0, wl);
            assert_int_equal(x.a[0], u);
            assert_int_equal(x.a[1], v);
            assert_int_equal(x.a[2], w);
            assert_int_equal(x.a[3], last0);
            assert_int_equal(x.a[4], ~u);
        }
}

static void test_fd_schemas(void **state)
{
    (void)state;
    for (size_t i = 0; i < NU; i++)
        for (size_t j = 0; j < NS; j++) {
            uint64_t u = U[i];
            int64_t s = S[j], s2 = S[(i + j) % NS];
            uint8_t b[4 * LW_VARINT_MAX], *e;
            struct args x;

            e = lw_enc_io(b, (unsigned)u, s);
            x = decode(b, e, dec_io, 0, 0);
            assert_int_equal(x.a[0], (unsigned)u);
            assert_int_equal(x.s[0], s);

            e = lw_enc_select(b, u, s, (unsigned)i);
            x = decode(b, e, dec_select, 0, 0);
            assert_int_equal(x.a[0], u);
            assert_int_equal(x.s[0], s);
            assert_int_equal(x.a[1], i);

            e = lw_enc_eventfd(b, (unsigned)u, (unsigned)~u, s);
            x = decode(b, e, dec_eventfd, 0, 0);
            assert_int_equal(x.a[0], (unsigned)u);
            assert_int_equal(x.a[1], (unsigned)~u);
            assert_int_equal(x.s[0], s);

            e = lw_enc_fdop(b, s2, s);
            x = decode(b, e, dec_fdop, 0, 0);
            assert_int_equal(x.s[1], s2);
            assert_int_equal(x.s[0], s);

            e = lw_enc_sleep(b, u, s);
            x = decode(b, e, dec_sleep, 0, 0);
            assert_int_equal(x.a[0], u);
            assert_int_equal(x.s[0], s);
        }
}

/* LOCK and SYNC: flags are written only when set; a decoder tells a record
 * with flags (even an explicit 0) from one without. */
static void test_obj_flags(void **state)
{
    (void)state;
    for (size_t i = 0; i < NU; i++)
        for (size_t j = 0; j < NU; j++) {
            uint8_t b[4 * LW_VARINT_MAX], *e;
            uint64_t wl = U[j], rl = U[j], obj, err, fl = 99, has = 0;
            e = lw_enc_obj(b, &wl, U[i], U[j], U[(i + j) % NU]);
            const uint8_t *p = b;
            assert_int_equal(lw_dec_obj(&p, e, &rl, &obj, &err, &fl, &has), 1);
            assert_ptr_equal(p, e);
            assert_int_equal(rl, wl);
            assert_int_equal(obj, U[i]);
            assert_int_equal(err, U[j]);
            assert_int_equal(has, U[(i + j) % NU] != 0);
            if (has)
                assert_int_equal(fl, U[(i + j) % NU]);
        }
    uint8_t b[4 * LW_VARINT_MAX], *e;
    uint64_t wl = 0, rl = 0, obj, err, fl = 7, has = 0;
    e = lw_put_uv(lw_enc_obj(b, &wl, 0x1000, 0, 0), 0); /* an explicit 0 */
    const uint8_t *p = b;
    assert_int_equal(lw_dec_obj(&p, e, &rl, &obj, &err, &fl, &has), 1);
    assert_int_equal(has, 1);
    assert_int_equal(fl, 0);
    /* a truncated object or error number is refused; the optional flags of
     * a body cut inside them read as absent */
    e = lw_enc_obj(b, &wl, 0x2000, 0, LW_LOCK_CONTENDED);
    for (size_t n = 0; n < (size_t)(e - b); n++) {
        uint8_t *c = malloc(n ? n : 1);
        memcpy(c, b, n);
        const uint8_t *q = c;
        uint64_t l = 0x1000;
        has = 0;
        int ok = lw_dec_obj(&q, c + n, &l, &obj, &err, &fl, &has);
        assert_int_equal(ok, n + vlen(LW_LOCK_CONTENDED) >= (size_t)(e - b));
        assert_int_equal(has, 0);
        free(c);
    }
}

/* Every call schema's widest body fits LW_REC_CALL_MAX with the common
 * part, kind and length: the length is then one byte. The widest are
 * MREMAP and SELECT with a full ready. */
static void test_widest_call_fits(void **state)
{
    (void)state;
    uint8_t rec[LW_REC_CALL_MAX + 8 * LW_VARINT_MAX];
    for (int k = 0; k < 2; k++) {
        uint64_t lt = UINT64_MAX, la = 1, v[LW_READY_MAX];
        memset(v, 0xff, sizeof v);
        uint8_t *b = lw_enc_call(rec + 2, &lt, UINT32_MAX, 0, UINT64_MAX);
        uint8_t *e = k ? lw_enc_ready(lw_enc_select(b, UINT64_MAX, INT64_MIN, UINT32_MAX), INT64_MIN, LW_READY_MAX, v)
                       : lw_enc_mremap(b, &la, 0, UINT64_MAX, UINT64_MAX, 1ull << 63, UINT64_MAX);
        assert_true(e - rec <= LW_REC_CALL_MAX);
        lw_enc_call_len(rec, e);
        rec[0] = k ? LW_F_epoll_wait : LW_F_mremap;
        const uint8_t *body, *be;
        assert_int_equal(lw_dec_len(rec, e, &body, &be), 1);
        assert_ptr_equal(body, rec + 2);
        assert_ptr_equal(be, e);
    }
}

/* SELECT's ready round-trips after the three fields, for every n up to
 * LW_READY_MAX; a body without it, with a truncated one, or with n over
 * LW_READY_MAX reads as having none. */
static void test_select_ready(void **state)
{
    (void)state;
    for (size_t i = 0; i < NU; i++)
        for (unsigned n = 0; n <= LW_READY_MAX; n++) {
            uint8_t b[LW_REC_CALL_MAX], *e;
            uint64_t v[LW_READY_MAX], nfds, tmo;
            int64_t ret;
            for (unsigned k = 0; k < LW_READY_MAX; k++)
                v[k] = U[(i + k) % NU];
            uint8_t *mid = lw_enc_select(b, U[i], S[i % NS], 2);
            e = lw_enc_ready(mid, S[(i + n) % NS], n, v);
            const uint8_t *p = b;
            struct lw_ready r;
            assert_int_equal(lw_dec_select(&p, e, &nfds, &ret, &tmo), 1);
            assert_ptr_equal(p, mid);
            assert_int_equal(lw_dec_ready(&p, e, &r), 1);
            assert_ptr_equal(p, e);
            assert_int_equal(r.epfd, S[(i + n) % NS]);
            assert_int_equal(r.n, n);
            for (unsigned k = 0; k < n; k++)
                assert_int_equal(r.v[k], v[k]);
            /* absent, and every truncation: none, and nothing read past the end */
            for (size_t len = 0; len < (size_t)(e - mid); len++) {
                uint8_t *c = malloc(len ? len : 1);
                memcpy(c, mid, len);
                p = c;
                assert_int_equal(lw_dec_ready(&p, c + len, &r), 0);
                free(c);
            }
        }
    uint8_t b[4 * LW_VARINT_MAX], *e = lw_put_uv(lw_put_sv(b, -1), LW_READY_MAX + 1);
    e = lw_put_uv(lw_put_uv(lw_put_uv(lw_put_uv(lw_put_uv(e, 1), 2), 3), 4), 5);
    const uint8_t *p = b;
    struct lw_ready r;
    assert_int_equal(lw_dec_ready(&p, e, &r), 0);
}

/* ---- the frame ---- */

static void test_frame(void **state)
{
    (void)state;
    uint8_t chunk[400] = {0};
    uint8_t *r = chunk;
    r[0] = LW_REC_TIME;
    uint8_t *b = lw_enc_len(r, 300); /* a two-byte length */
    assert_ptr_equal(b, r + 3);
    const uint8_t *body, *be;
    assert_int_equal(lw_dec_len(r, chunk + sizeof chunk, &body, &be), 1);
    assert_ptr_equal(body, chunk + 3);
    assert_ptr_equal(be, chunk + 303);
    /* a length past the chunk's end, or cut by it */
    assert_int_equal(lw_dec_len(r, chunk + 302, &body, &be), 0);
    assert_int_equal(lw_dec_len(r, chunk + 2, &body, &be), 0);
    /* a call record's one-byte length */
    uint8_t rec[2 + 0x7f];
    lw_enc_call_len(rec, rec + sizeof rec);
    assert_int_equal(rec[1], 0x7f);
}

/* ---- meta and control records ---- */

static void test_thread(void **state)
{
    (void)state;
    static const unsigned flags[] = {0, LW_THR_END, LW_THR_BORN, LW_THR_END | LW_THR_FAULTS, 0x80};
    for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++)
        for (size_t i = 0; i < NU; i++) {
            struct lw_thread_rec w = {.tid = U[i],
                                      .flags = flags[f],
                                      .tsc = U[(i + 1) % NU],
                                      .self = U[i],
                                      .creator = ~U[i],
                                      .minflt = U[(i + 2) % NU],
                                      .majflt = U[(i + 4) % NU]};
            w.name_len = i % 17; /* 0 to 16 bytes, control bytes and NULs included */
            for (size_t k = 0; k < w.name_len; k++)
                w.name[k] = (char)(k * 37);
            uint8_t b[LW_THREAD_REC_MAX];
            uint64_t wl = U[(i + 5) % NU], rl = wl;
            uint8_t *e = lw_enc_thread(b, &wl, &w);
            assert_true(e - b <= LW_THREAD_REC_MAX);
            struct lw_thread_rec r;
            memset(&r, 0xaa, sizeof r);
            const uint8_t *p = b;
            assert_int_equal(lw_dec_thread_head(&p, e, &rl, &r), 1);
            assert_int_equal(r.tid, w.tid);
            assert_int_equal(r.flags, w.flags);
            assert_int_equal(r.tsc, w.tsc);
            assert_int_equal(rl, wl);
            assert_int_equal(lw_dec_thread_name(&p, e, &r), 1);
            assert_int_equal(r.name_len, w.name_len);
            assert_memory_equal(r.name, w.name, w.name_len);
            assert_int_equal(r.name[r.name_len], 0);
            if (w.flags & LW_THR_BORN) {
                assert_int_equal(lw_dec_thread_born(&p, e, &r), 1);
                assert_int_equal(r.self, w.self);
                assert_int_equal(r.creator, w.creator);
            }
            if (w.flags & LW_THR_FAULTS) {
                assert_int_equal(lw_dec_thread_faults(&p, e, &r), 1);
                assert_int_equal(r.minflt, w.minflt);
                assert_int_equal(r.majflt, w.majflt);
            }
            assert_ptr_equal(p, e);
            /* cut anywhere in the name or before it: the name is refused */
            for (const uint8_t *c = b; c < e && !(w.flags & (LW_THR_BORN | LW_THR_FAULTS)); c++) {
                size_t n = (size_t)(c - b);
                uint8_t *cp = malloc(n ? n : 1);
                memcpy(cp, b, n);
                const uint8_t *q = cp;
                uint64_t l = 0;
                int ok = lw_dec_thread_head(&q, cp + n, &l, &r) && lw_dec_thread_name(&q, cp + n, &r);
                assert_int_equal(ok, 0);
                free(cp);
            }
        }
    /* a name longer than 16 bytes is refused */
    uint8_t b[64], *e = lw_put_uv(lw_put_uv(lw_put_sv(lw_put_uv(lw_put_uv(b, 1), 0), 0), 17), 0);
    memset(e, 'x', 17);
    e += 17;
    const uint8_t *p = b;
    struct lw_thread_rec r;
    uint64_t l = 0;
    assert_int_equal(lw_dec_thread_head(&p, e, &l, &r), 1);
    assert_int_equal(lw_dec_thread_name(&p, e, &r), 0);
}

static int dec_time(const uint8_t **pp, const uint8_t *e, void *o)
{
    uint64_t *x = o;
    return lw_dec_time(pp, e, &x[0], &x[1]);
}
static int dec_switch(const uint8_t **pp, const uint8_t *e, void *o)
{
    uint64_t *x = o;
    return lw_dec_switch(pp, e, x[2], &x[0], &x[1]);
}
static int dec_count(const uint8_t **pp, const uint8_t *e, void *o)
{
    uint64_t *x = o;
    return lw_dec_count(pp, e, &x[0]);
}

static void test_clock_records(void **state)
{
    (void)state;
    for (size_t i = 0; i < NU; i++)
        for (size_t j = 0; j < NU; j++) {
            uint8_t b[3 * LW_VARINT_MAX], *e;
            uint64_t x[3] = {0, 0, U[j]};
            const uint8_t *p;

            e = lw_enc_time(b, U[i], U[j]);
            p = b;
            assert_int_equal(dec_time(&p, e, x), 1);
            assert_ptr_equal(p, e);
            assert_int_equal(x[0], U[i]);
            assert_int_equal(x[1], U[j]);
            check_prefixes(b, (size_t)(e - b), dec_time, x);

            /* a switch before and after the chunk's base */
            x[2] = U[j];
            e = lw_enc_switch(b, U[j], LW_SW_OUT | LW_SW_PREEMPT, U[i]);
            p = b;
            assert_int_equal(dec_switch(&p, e, x), 1);
            assert_ptr_equal(p, e);
            assert_int_equal(x[0], LW_SW_OUT | LW_SW_PREEMPT);
            assert_int_equal(x[1], U[i]);
            check_prefixes(b, (size_t)(e - b), dec_switch, x);

            e = lw_enc_count(b, U[i]);
            p = b;
            assert_int_equal(dec_count(&p, e, x), 1);
            assert_int_equal(x[0], U[i]);
            check_prefixes(b, (size_t)(e - b), dec_count, x);
        }
}

static void test_stack(void **state)
{
    (void)state;
    uintptr_t frames[LW_MAX_DEPTH];
    for (size_t i = 0; i < LW_MAX_DEPTH; i++) /* up, down, across the sign */
        frames[i] = (uintptr_t)U[i % NU] ^ (uintptr_t)(i * 0x1000);
    for (uint32_t depth = 0; depth <= LW_MAX_DEPTH; depth += depth < 4 ? 1 : 63) {
        uint8_t b[LW_STACK_REC_MAX];
        uint8_t *e = lw_enc_stack(b, UINT32_MAX - depth, frames, depth);
        assert_true(e - b <= LW_STACK_REC_MAX);
        const uint8_t *p = b;
        uint32_t id, d;
        assert_int_equal(lw_dec_stack_head(&p, e, &id, &d), 1);
        assert_int_equal(id, UINT32_MAX - depth);
        assert_int_equal(d, depth);
        uint64_t prev = 0;
        for (uint32_t k = 0; k < d; k++) {
            assert_int_equal(lw_dec_stack_frame(&p, e, &prev), 1);
            assert_int_equal(prev, (uint64_t)frames[k]);
        }
        assert_ptr_equal(p, e);
        if (depth)
            assert_int_equal(lw_dec_stack_frame(&p, e, &prev), 0);
    }
    /* a depth over LW_MAX_DEPTH, or an id over 32 bits, is refused */
    uint8_t b[32], *e = lw_put_uv(lw_put_uv(b, 1), LW_MAX_DEPTH + 1);
    const uint8_t *p = b;
    uint32_t id, d;
    assert_int_equal(lw_dec_stack_head(&p, e, &id, &d), 0);
    e = lw_put_uv(lw_put_uv(b, 1ull << 32), 1);
    p = b;
    assert_int_equal(lw_dec_stack_head(&p, e, &id, &d), 0);
}

static int dec_module(const uint8_t **pp, const uint8_t *e, void *o) { return lw_dec_module(pp, e, o); }

static void test_module(void **state)
{
    (void)state;
    char path[LW_PATH_MAX];
    uint8_t bid[LW_MODULE_BUILD_ID];
    memset(path, '/', sizeof path);
    for (size_t i = 0; i < sizeof bid; i++)
        bid[i] = (uint8_t)(i * 7);
    static const size_t plens[] = {0, 1, LW_PATH_MAX - 1, LW_PATH_MAX};
    static const size_t blens[] = {0, 20, LW_MODULE_BUILD_ID};
    static const size_t nrs[] = {0, 1, LW_MODULE_RANGES};
    for (size_t a = 0; a < 4; a++)
        for (size_t c = 0; c < 3; c++)
            for (size_t k = 0; k < 3; k++) {
                static uint8_t b[LW_MODULE_REC_MAX];
                uint64_t first = U[(a + c + k) % NU] & UINT32_MAX;
                uint8_t *e = lw_enc_module_head(b, U[a + c], path, plens[a], bid, blens[c], nrs[k]);
                for (size_t r = 0; r < nrs[k]; r++)
                    e = lw_enc_module_range(e, U[r % NU], U[(r + 1) % NU]);
                e = lw_enc_module_first(e, first);
                assert_true(e - b <= LW_MODULE_REC_MAX);
                static struct lw_module_rec m;
                const uint8_t *p = b;
                assert_int_equal(lw_dec_module(&p, e, &m), 1);
                assert_ptr_equal(p, e);
                assert_int_equal(m.base, U[a + c]);
                assert_int_equal(m.path_len, plens[a]);
                assert_memory_equal(m.path, path, plens[a]);
                assert_int_equal(m.build_id_len, blens[c]);
                assert_memory_equal(m.build_id, bid, blens[c]);
                assert_int_equal(m.nranges, nrs[k]);
                for (size_t r = 0; r < nrs[k]; r++) {
                    assert_int_equal(m.ranges[r][0], U[r % NU]);
                    assert_int_equal(m.ranges[r][1], U[(r + 1) % NU]);
                }
                assert_int_equal(m.first, first);
                /* first is optional: a body without it reads as 0 */
                const uint8_t *q = b, *e2 = e - 1;
                if (first < 0x80) {
                    assert_int_equal(lw_dec_module(&q, e2, &m), 1);
                    assert_int_equal(m.first, 0);
                }
                /* every cut before the ranges end is refused */
                check_prefixes(b, (size_t)(e - b) - vlen(first), dec_module, &m);
            }
}

static void test_control(void **state)
{
    (void)state;
    char name[LW_MARK_MAX];
    memset(name, 'm', sizeof name);
    for (size_t i = 0; i < NU; i++) {
        uint8_t b[LW_CTL_REC_MAX], *e;
        uint64_t tsc, arg;
        const uint8_t *p;
        size_t n = i * LW_MARK_MAX / (NU - 1); /* 0 to LW_MARK_MAX */
        e = lw_enc_mark(b, U[i], name, n);
        assert_true(e - b <= LW_CTL_REC_MAX);
        p = b;
        assert_int_equal(lw_dec_control(&p, e, LW_REC_MARK, &tsc, &arg), 1);
        assert_int_equal(tsc, U[i]);
        assert_int_equal(arg, n);
        assert_ptr_equal(p + n, e);
        if (n) { /* a name cut short */
            p = b;
            assert_int_equal(lw_dec_control(&p, e - 1, LW_REC_MARK, &tsc, &arg), 0);
        }
        e = lw_enc_pause(b, U[i], LW_CTL_SIGNAL);
        p = b;
        assert_int_equal(lw_dec_control(&p, e, LW_REC_PAUSE, &tsc, &arg), 1);
        assert_int_equal(tsc, U[i]);
        assert_int_equal(arg, LW_CTL_SIGNAL);
        assert_ptr_equal(p, e);
    }
    /* a MARK name longer than LW_MARK_MAX is refused */
    uint8_t b[LW_CTL_REC_MAX + 8], *e = lw_put_uv(lw_put_uv(b, 5), LW_MARK_MAX + 1);
    memset(e, 'x', LW_MARK_MAX + 1);
    e += LW_MARK_MAX + 1;
    const uint8_t *p = b;
    uint64_t tsc, arg;
    assert_int_equal(lw_dec_control(&p, e, LW_REC_MARK, &tsc, &arg), 0);
}

static int dec_fdid(const uint8_t **pp, const uint8_t *e, void *o) { return lw_dec_fdid(pp, e, o); }

static void test_fdid(void **state)
{
    (void)state;
    for (unsigned type = LW_FD_PIPE; type <= LW_FD_LISTEN; type++)
        for (size_t i = 0; i < NU; i++) {
            struct lw_fdid_rec w = {U[i],
                                    S[i % NS],
                                    type,
                                    U[(i + 1) % NU],
                                    U[(i + 2) % NU],
                                    U[(i + 3) % NU],
                                    U[(i + 4) % NU],
                                    U[(i + 5) % NU],
                                    U[(i + 6) % NU],
                                    U[(i + 7) % NU]};
            int sock = type == LW_FD_SOCKET || type == LW_FD_LISTEN;
            if (!sock)
                w.family = w.local = w.peer = w.pid = 0;
            uint8_t b[LW_FDID_REC_MAX];
            uint8_t *e = lw_enc_fdid(b, &w);
            struct lw_fdid_rec r;
            const uint8_t *p = b;
            assert_int_equal(lw_dec_fdid(&p, e, &r), 1);
            assert_ptr_equal(p, e);
            assert_memory_equal(&r, &w, sizeof r);
            size_t need = (size_t)(e - b);
            if (sock) { /* the peer pid is optional */
                size_t pid_len = vlen(w.pid);
                need -= pid_len;
                p = b;
                assert_int_equal(lw_dec_fdid(&p, e - pid_len, &r), 1);
                assert_int_equal(r.pid, 0);
            }
            check_prefixes(b, need, dec_fdid, &r);
        }
}

static int dec_epctl(const uint8_t **pp, const uint8_t *e, void *o) { return lw_dec_epctl(pp, e, o); }

static void test_epctl(void **state)
{
    (void)state;
    for (size_t i = 0; i < NU; i++) {
        struct lw_epctl_rec w = {U[i], S[i % NS], S[(i + 3) % NS], U[(i + 1) % NU], U[(i + 2) % NU]}, r;
        uint8_t b[LW_EPCTL_REC_MAX];
        uint8_t *e = lw_enc_epctl(b, &w);
        const uint8_t *p = b;
        assert_int_equal(lw_dec_epctl(&p, e, &r), 1);
        assert_ptr_equal(p, e);
        assert_memory_equal(&r, &w, sizeof r);
        check_prefixes(b, (size_t)(e - b), dec_epctl, &r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_call_head),      cmocka_unit_test(test_addr_sequence),
        cmocka_unit_test(test_memory_schemas), cmocka_unit_test(test_fd_schemas),
        cmocka_unit_test(test_obj_flags),      cmocka_unit_test(test_widest_call_fits),
        cmocka_unit_test(test_frame),          cmocka_unit_test(test_thread),
        cmocka_unit_test(test_clock_records),  cmocka_unit_test(test_stack),
        cmocka_unit_test(test_module),         cmocka_unit_test(test_control),
        cmocka_unit_test(test_fdid),           cmocka_unit_test(test_select_ready),
        cmocka_unit_test(test_epctl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
