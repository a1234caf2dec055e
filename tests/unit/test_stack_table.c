/* test_stack_table.c: the recorder's table of distinct stacks
 * (preload/runtime/stack_table.c) under the real preload on a known
 * workload (tests/helpers/rec_helper) with 4 KiB chunks: each distinct
 * stack is written once, under one id. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/model.h"

static char trace_path[256];

/* run the helper under the preload once for all tests */
static int setup(void **st)
{
    (void)st;
    snprintf(trace_path, sizeof trace_path, "/tmp/lw_test_stack_table.%d.bin", (int)getpid());
    unlink(trace_path);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "WAIT_OUTPUT=%s WAIT_CHUNK_KB=4 LD_PRELOAD=%s/libwait.so build/tests/rec_helper > /dev/null", trace_path,
             getenv("PWD") ? getenv("PWD") : ".");
    int r = system(cmd);
    return (r == 0) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    unlink(trace_path);
    return 0;
}

static void open_trace(struct wr_trace *t)
{
    char err[512];
    memset(t, 0, sizeof *t);
    if (wr_trace_open(t, trace_path, err, sizeof err) != 0)
        fail_msg("%s", err);
}

struct stack_seen {
    uint32_t ids[4096];
    uint64_t hashes[4096];
    size_t n;
    int dup_id, dup_frames;
};

static int on_rec(void *ctx, const struct wr_event *ev)
{
    struct stack_seen *s = ctx;
    if (ev->kind != LW_REC_STACK)
        return 0;
    const uint8_t *p = ev->body, *e = p + ev->len;
    uint64_t id = 0;
    assert_true(lw_get_uv(&p, e, &id));
    uint64_t h = 1469598103934665603ull;
    for (; p < e; p++)
        h = (h ^ *p) * 1099511628211ull;
    for (size_t i = 0; i < s->n; i++) {
        s->dup_id += s->ids[i] == id;
        s->dup_frames += s->hashes[i] == h;
    }
    assert_true(s->n < 4096);
    s->ids[s->n] = (uint32_t)id;
    s->hashes[s->n++] = h;
    return 0;
}

/* Each distinct stack is written once, under one id. */
static void test_stack_dedup(void **st)
{
    (void)st;
    struct wr_trace t;
    open_trace(&t);
    struct stack_seen *s = calloc(1, sizeof *s);
    assert_int_equal(wr_trace_walk(&t, on_rec, s), 0);
    assert_int_equal(s->dup_id, 0);
    assert_int_equal(s->dup_frames, 0);
    assert_int_equal(s->n, t.hdr.stats.stacks);
    /* 8 threads share the six worker stacks: far fewer stacks than calls */
    assert_true(s->n < 40);
    free(s);
    wr_trace_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stack_dedup),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
