/* test_mutex.c: the mutex wrappers (preload/wrap/mutex.c) record
 * trylock-first under the real preload (tests/helpers/lock_helper): return
 * values unchanged for normal, errorcheck and recursive mutexes; a free
 * mutex is one stamp (duration 0, no flags); a busy one is timed and
 * flagged LW_LOCK_CONTENDED. The helper runs twice: with WAIT_LOCKS=all
 * every lock call is recorded; by default the lone-thread rule counts the
 * free locks and unlocks that main makes before its thread starts and after
 * it is joined, and records the rest. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/model.h"

static char trace_all[256], trace_lone[256];

static int run_helper(const char *path, const char *env)
{
    unlink(path);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s WAIT_OUTPUT=%s LD_PRELOAD=%s/libwait.so build/tests/lock_helper > /dev/null", env,
             path, getenv("PWD") ? getenv("PWD") : ".");
    return system(cmd) == 0 ? 0 : -1; /* the helper checks the return values */
}

static int setup(void **st)
{
    (void)st;
    snprintf(trace_all, sizeof trace_all, "/tmp/lw_test_mutex.%d.all.bin", (int)getpid());
    snprintf(trace_lone, sizeof trace_lone, "/tmp/lw_test_mutex.%d.lone.bin", (int)getpid());
    return run_helper(trace_all, "WAIT_LOCKS=all") || run_helper(trace_lone, "");
}

static int teardown(void **st)
{
    (void)st;
    unlink(trace_all);
    unlink(trace_lone);
    return 0;
}

struct tally {
    int free_locks, free_with_dur, contended, contended_ms, timed_out, edeadlk;
};

/* on_ev: decode LOCK bodies of the main thread's lock/timedlock by hand,
 * trailing flags included. */
static int on_ev(void *ctx, const struct wr_event *ev)
{
    struct tally *t = ctx;
    if (ev->kind != LW_F_pthread_mutex_lock && ev->kind != LW_F_pthread_mutex_timedlock)
        return 0;
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    uint64_t id = 0, dur = 0, err = 0, flags = 0;
    int64_t d = 0, a = 0;
    assert_true(lw_get_uv(&p, e, &id) && lw_get_sv(&p, e, &d) && lw_get_uv(&p, e, &dur));
    assert_true(lw_get_sv(&p, e, &a) && lw_get_uv(&p, e, &err));
    if (p < e)
        assert_true(lw_get_uv(&p, e, &flags));
    if (flags & LW_LOCK_CONTENDED) {
        t->contended++;
        if (err == ETIMEDOUT)
            t->timed_out++;
        t->contended_ms += (int)(dur / 1000000); /* ticks: >= 1 GHz, so an upper bound in ms */
    } else {
        t->free_locks++;
        t->free_with_dur += dur != 0;
    }
    t->edeadlk += err == EDEADLK;
    return 0;
}

/* tally_of: the main thread's lock calls of the trace at path; the trace
 * stays open in tr. */
static struct tally tally_of(struct wr_trace *tr, const char *path)
{
    char errbuf[512];
    memset(tr, 0, sizeof *tr);
    if (wr_trace_open(tr, path, errbuf, sizeof errbuf) != 0)
        fail_msg("%s", errbuf);
    struct tally t = {0};
    assert_int_equal(wr_trace_walk(tr, on_ev, &t), 0);
    return t;
}

static void test_flags(void **st)
{
    (void)st;
    struct wr_trace tr;
    struct tally t = tally_of(&tr, trace_all);
    /* main: 100 free + errorcheck 1 + recursive 2; holder: 2 (libc may
     * lock a few of its own) */
    assert_true(t.free_locks >= 100 + 1 + 2 + 2);
    assert_int_equal(t.free_with_dur, 0);
    /* the errorcheck relock found its mutex taken (by itself): EDEADLK,
     * flagged contended like the busy lock and the timed-out timedlock */
    assert_int_equal(t.edeadlk, 1);
    assert_int_equal(t.contended, 3);
    assert_int_equal(t.timed_out, 1);
    assert_true(t.contended_ms >= 100); /* ~170 ms of waiting, in ticks/1e6 */
    assert_int_equal(tr.hdr.lone_locks, 0);
    wr_trace_close(&tr);
}

/* test_lone: the same calls under the lone-thread rule. Main's free locks
 * come before pthread_create or after the join, so only the holder's 2
 * (and any libc takes while both threads live) are recorded; main's 100
 * lock/unlock pairs, the errorcheck lock and unlock and the 2 + 2 of the
 * recursive mutex are counted (206). What found its mutex busy or failed
 * is recorded as with WAIT_LOCKS=all. */
static void test_lone(void **st)
{
    (void)st;
    struct wr_trace tr;
    struct tally t = tally_of(&tr, trace_lone);
    assert_true(t.free_locks >= 2 && t.free_locks < 100);
    assert_int_equal(t.free_with_dur, 0);
    assert_int_equal(t.edeadlk, 1);
    assert_int_equal(t.contended, 3);
    assert_int_equal(t.timed_out, 1);
    assert_true(t.contended_ms >= 100);
    assert_true(tr.hdr.lone_locks >= 206 && tr.hdr.lone_locks < 230);
    wr_trace_close(&tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_flags), cmocka_unit_test(test_lone)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
