/* test_format.c: include/lw_format.h's varints (round trips at every
 * width, refusal of truncated and overlong ones) and its function table
 * (names, families and schemas, and the ranges with and without entries). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tb.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varint_roundtrip),
        cmocka_unit_test(test_func_table),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
