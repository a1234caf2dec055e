/* test_fmt.c: the output's formatting (output/fmt.c): names fitted to a
 * width around their location, quantiles, and byte sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "output/fmt.h"
#include "tb.h"

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
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_fmt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
