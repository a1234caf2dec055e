/* test_live.c: top's incremental reader and model on a trace file that grows
 * while it is read (records committed later, chunks claimed later, the file
 * extended later), with known answers; and top's histogram. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/top_model.h"

#define CHUNK 4096u
#define T0    1000000ull /* start tsc */
#define M0    m0         /* start mono ns: now (the writer, this process, started before) */
static uint64_t m0;
#define HZ 1000000000ull /* 1 tick per ns: stamps read as ns */

struct lf {
    int fd;
    char path[64];
    uint8_t chunk[CHUNK];
    unsigned idx; /* file chunk index being built */
    size_t off;
    uint64_t last_tsc, last_obj; /* the chunk's delta state: every call here is a lock */
};

static void put_header(struct lf *f, uint32_t flags, uint64_t next_chunk)
{
    struct lw_file_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, LW_MAGIC, sizeof LW_MAGIC);
    h.version = LW_VERSION;
    h.header_size = LW_HEADER_SIZE;
    h.chunk_size = CHUNK;
    h.pid = (uint32_t)getpid(); /* alive: the trace is "running" until CLOSED */
    h.flags = flags;
    h.start_tsc = T0;
    h.start_mono_ns = M0;
    h.tsc_hz_hint = HZ;
    h.next_chunk = next_chunk;
    if (flags & LW_HF_CLOSED) {
        h.end_tsc = T0 + 1000000000ull;
        h.end_mono_ns = M0 + 1000000000ull;
    }
    strcpy(h.command, "growing");
    assert_int_equal(pwrite(f->fd, &h, sizeof h, 0), (ssize_t)sizeof h);
}

/* flush: write the chunk being built to the file (extending it). */
static void flush(struct lf *f)
{
    off_t at = (off_t)LW_HEADER_SIZE + (off_t)f->idx * CHUNK;
    assert_int_equal(pwrite(f->fd, f->chunk, CHUNK, at), (ssize_t)CHUNK);
}

static void start_chunk(struct lf *f, unsigned idx, uint32_t stream, uint32_t seq, uint64_t base)
{
    memset(f->chunk, 0, sizeof f->chunk);
    struct lw_chunk_header ch = {.magic = LW_CHUNK_MAGIC,
                                 .stream = stream,
                                 .seq = seq,
                                 .tid = 100 + stream,
                                 .base_tsc = T0 + base,
                                 .base_mono_ns = M0 + base};
    memcpy(f->chunk, &ch, sizeof ch);
    f->idx = idx;
    f->off = sizeof ch;
    f->last_tsc = T0 + base;
    f->last_obj = 0;
}

/* rec: append a record; commit = 0 leaves its kind byte 0 (not published). */
static size_t rec(struct lf *f, unsigned kind, const uint8_t *body, size_t len, int commit)
{
    size_t at = f->off;
    uint8_t *p = lw_put_uv(f->chunk + at + 1, len);
    memcpy(p, body, len);
    f->chunk[at] = commit ? (uint8_t)kind : 0;
    f->off = (size_t)(p + len - f->chunk);
    return at;
}

static size_t call(struct lf *f, uint64_t start, uint64_t dur, int commit)
{
    uint8_t b[64], *p = b;
    p = lw_put_uv(p, 1); /* stack 1 */
    p = lw_put_sv(p, (int64_t)(T0 + start - f->last_tsc));
    f->last_tsc = T0 + start;
    p = lw_put_uv(p, dur);
    p = lw_put_sv(p, (int64_t)(0x1000 - f->last_obj));
    f->last_obj = 0x1000;
    p = lw_put_uv(p, 0);
    return rec(f, LW_F_pthread_mutex_lock, b, (size_t)(p - b), commit);
}

static void sw(struct lf *f, uint64_t ns, unsigned fl)
{
    uint8_t b[32], *p = b;
    struct lw_chunk_header ch;
    memcpy(&ch, f->chunk, sizeof ch);
    p = lw_put_uv(p, fl);
    p = lw_put_sv(p, (int64_t)(M0 + ns - ch.base_mono_ns));
    rec(f, LW_REC_SWITCH, b, (size_t)(p - b), 1);
}

static void timerec(struct lf *f, uint64_t ns)
{
    uint8_t b[32], *p = b;
    p = lw_put_uv(p, T0 + ns);
    p = lw_put_uv(p, M0 + ns);
    rec(f, LW_REC_TIME, b, (size_t)(p - b), 1);
}

static void stack1(struct lf *f)
{
    uint8_t b[16], *p = b;
    p = lw_put_uv(p, 1);
    p = lw_put_uv(p, 1);
    p = lw_put_sv(p, 0x401000);
    rec(f, LW_REC_STACK, b, (size_t)(p - b), 1);
}

static struct wr_top_site *only_site(struct wr_top *t)
{
    assert_int_equal(t->nsites, 1);
    return t->sites;
}

static void lf_open(struct lf *f)
{
    strcpy(f->path, "/tmp/lw_test_live.XXXXXX");
    f->fd = mkstemp(f->path);
    assert_true(f->fd >= 0);
}

static void lf_close(struct lf *f)
{
    close(f->fd);
    unlink(f->path);
}

/* A trace grows under the reader: uncommitted records are not taken, a
 * chunk claimed before the file is extended is waited for, counts are
 * exact per interval and since the start, and the end is noticed. */
static void test_growing_file(void **st)
{
    (void)st;
    struct lf f;
    lf_open(&f);
    put_header(&f, 0, 1);
    start_chunk(&f, 0, 0, 0, 0);
    stack1(&f);
    call(&f, 100, 1000, 1);
    call(&f, 2000, 3000, 1);
    call(&f, 6000, 5000, 1);
    size_t torn = call(&f, 12000, 7000, 0); /* written, not yet published */
    flush(&f);
    struct wr_top t;
    char err[256];
    assert_int_equal(wr_top_open(&t, f.path, err, sizeof err), 0);
    assert_int_equal(wr_top_update(&t, UINT64_MAX, M0 + 100000), 0);
    struct wr_top_site *s = only_site(&t);
    assert_int_equal(s->last.calls, 3);
    assert_int_equal(s->last.total_ns, 9000);
    assert_int_equal(s->cum.calls, 3);
    assert_false(t.live.finished);
    /* publish the 4th, end the chunk, claim chunk 1 without extending the file */
    f.chunk[torn] = LW_F_pthread_mutex_lock;
    f.chunk[f.off] = LW_REC_CHUNK_END;
    flush(&f);
    put_header(&f, 0, 2);
    assert_int_equal(wr_top_update(&t, UINT64_MAX, M0 + 200000), 0);
    assert_int_equal(s->last.calls, 1);
    assert_int_equal(s->last.total_ns, 7000);
    assert_int_equal(s->cum.calls, 4);
    /* the file grows by chunk 1 with two calls */
    start_chunk(&f, 1, 0, 1, 30000);
    call(&f, 31000, 100, 1);
    call(&f, 32000, 200, 1);
    flush(&f);
    assert_int_equal(wr_top_update(&t, UINT64_MAX, M0 + 300000), 0);
    assert_int_equal(s->last.calls, 2);
    assert_int_equal(s->cum.calls, 6);
    assert_int_equal(s->cum.total_ns, 9000 + 7000 + 300);
    assert_int_equal(wr_hist_quantile(&s->cum.hist, 1.0), 7000); /* the exact max */
    assert_int_equal(wr_hist_quantile(&s->cum.hist, 0.5),
                     992); /* the 3rd of 6 (1000): its bucket [960, 1024)'s middle */
    assert_false(t.live.finished);
    /* the process exits */
    put_header(&f, LW_HF_CLOSED, 2);
    assert_int_equal(wr_top_update(&t, UINT64_MAX, M0 + 400000), 0);
    assert_int_equal(wr_top_update(&t, UINT64_MAX, M0 + 500000), 0);
    assert_true(t.live.finished);
    assert_int_equal(s->cum.calls, 6);
    assert_int_equal(t.live.t.warnings, 0);
    wr_top_close(&t);
    lf_close(&f);
}

/* With switch records a call waits until its thread's switches are known
 * to be in; then its blocked and runnable time are exact. */
static void test_split_waits_for_switches(void **st)
{
    (void)st;
    struct lf f;
    lf_open(&f);
    put_header(&f, LW_HF_SWITCHES, 1);
    start_chunk(&f, 0, 0, 0, 0);
    stack1(&f);
    call(&f, 10000, 10000, 1); /* [10 us, 20 us) */
    flush(&f);
    struct wr_top t;
    char err[256];
    assert_int_equal(wr_top_open(&t, f.path, err, sizeof err), 0);
    assert_int_equal(wr_top_update(&t, UINT64_MAX, M0 + 50000), 0);
    struct wr_top_site *s = only_site(&t);
    assert_int_equal(s->cum.calls, 0); /* its switches are not in yet */
    /* the drain: blocked 12..15 us, preempted 16..17 us; then a sync at
     * 25 us and the drain after it, then the next call (completes it) */
    sw(&f, 12000, LW_SW_OUT);
    sw(&f, 15000, 0);
    sw(&f, 16000, LW_SW_OUT | LW_SW_PREEMPT);
    sw(&f, 17000, 0);
    timerec(&f, 25000);
    flush(&f);
    assert_int_equal(wr_top_update(&t, UINT64_MAX, M0 + 60000), 0);
    assert_int_equal(s->cum.calls, 0); /* the drain after the sync may still be going on */
    call(&f, 30000, 1000, 1);
    flush(&f);
    assert_int_equal(wr_top_update(&t, UINT64_MAX, M0 + 70000), 0);
    assert_int_equal(s->cum.calls, 1); /* the drain is complete: covered up to 25 us */
    assert_int_equal(s->cum.blocked_ns, 3000);
    assert_int_equal(s->cum.runnable_ns, 1000);
    assert_int_equal(s->cum.total_ns, 10000);
    timerec(&f, 40000);
    call(&f, 41000, 1000, 1);
    flush(&f);
    assert_int_equal(wr_top_update(&t, UINT64_MAX, M0 + 80000), 0);
    assert_int_equal(s->cum.calls, 2); /* the 30 us call, no switches in it */
    assert_int_equal(s->cum.blocked_ns, 3000);
    put_header(&f, LW_HF_SWITCHES | LW_HF_CLOSED, 1);
    assert_int_equal(wr_top_update(&t, UINT64_MAX, M0 + 90000), 0);
    assert_int_equal(wr_top_update(&t, UINT64_MAX, M0 + 90000), 0);
    assert_int_equal(s->cum.calls, 3); /* the process ended: everything settles */
    wr_top_close(&t);
    lf_close(&f);
}

/* Replay: records past the horizon wait. */
static void test_replay_horizon(void **st)
{
    (void)st;
    struct lf f;
    lf_open(&f);
    put_header(&f, LW_HF_CLOSED, 1);
    start_chunk(&f, 0, 0, 0, 0);
    stack1(&f);
    for (int i = 0; i < 10; i++)
        call(&f, 100000ull * (uint64_t)i, 1000, 1); /* ends at i*100 us + 1 us */
    f.chunk[f.off] = LW_REC_CHUNK_END;
    flush(&f);
    struct wr_top t;
    char err[256];
    assert_int_equal(wr_top_open(&t, f.path, err, sizeof err), 0);
    t.replay = 1;
    assert_int_equal(wr_top_update(&t, M0 + 250000, M0 + 250000), 0);
    assert_int_equal(only_site(&t)->cum.calls, 3);
    assert_int_equal(wr_top_update(&t, M0 + 450000, M0 + 450000), 0);
    assert_int_equal(only_site(&t)->last.calls, 2);
    assert_int_equal(wr_top_update(&t, M0 + 2000000, M0 + 2000000), 0);
    assert_int_equal(only_site(&t)->cum.calls, 10);
    wr_top_close(&t);
    lf_close(&f);
}

/* A trace that shrinks while it is followed was cut short: the poll says so
 * and reads nothing past the new end (the stream was in chunk 1, which is
 * gone; or the file is cut to its header, or to nothing). */
static void shrink_case(off_t to)
{
    struct lf f;
    lf_open(&f);
    put_header(&f, 0, 2);
    start_chunk(&f, 0, 0, 0, 0);
    stack1(&f);
    call(&f, 100, 1000, 1);
    f.chunk[f.off] = LW_REC_CHUNK_END;
    flush(&f);
    start_chunk(&f, 1, 0, 1, 30000);
    call(&f, 31000, 100, 1);
    flush(&f);
    struct wr_top t;
    char err[256];
    assert_int_equal(wr_top_open(&t, f.path, err, sizeof err), 0);
    assert_int_equal(wr_top_update(&t, UINT64_MAX, M0 + 100000), 0);
    assert_int_equal(only_site(&t)->cum.calls, 2);
    assert_int_equal(ftruncate(f.fd, to), 0);
    assert_int_equal(wr_top_update(&t, UINT64_MAX, M0 + 200000), -1);
    assert_true(t.live.cut);
    assert_int_equal(wr_top_update(&t, UINT64_MAX, M0 + 300000), -1); /* stays cut */
    assert_int_equal(only_site(&t)->cum.calls, 2);
    wr_top_close(&t);
    lf_close(&f);
}

static void test_shrink(void **st)
{
    (void)st;
    shrink_case(LW_HEADER_SIZE + CHUNK); /* header + chunk 0: the stream is in chunk 1 */
    shrink_case(LW_HEADER_SIZE);
    shrink_case(4096);
    shrink_case(0);
}

/* pauserec: a PAUSE or RESUME record at ns (source: the API). */
static void pauserec(struct lf *f, unsigned kind, uint64_t ns)
{
    uint8_t b[32], *p = b;
    p = lw_put_uv(p, T0 + ns);
    p = lw_put_uv(p, LW_CTL_API);
    rec(f, kind, b, (size_t)(p - b), 1);
}

/* A replay's pause state comes from the PAUSE/RESUME records up to its
 * horizon, not from the file's control word (paused at the end here). */
static void test_replay_pause_state(void **st)
{
    (void)st;
    struct lf f;
    lf_open(&f);
    put_header(&f, LW_HF_CLOSED, 1);
    start_chunk(&f, 0, 0, 0, 0);
    stack1(&f);
    call(&f, 50000, 1000, 1);
    pauserec(&f, LW_REC_PAUSE, 100000);
    pauserec(&f, LW_REC_RESUME, 300000);
    call(&f, 350000, 1000, 1);
    pauserec(&f, LW_REC_PAUSE, 500000);
    f.chunk[f.off] = LW_REC_CHUNK_END;
    flush(&f);
    uint32_t one = 1;
    assert_int_equal(pwrite(f.fd, &one, sizeof one, LW_CONTROL_OFFSET), (ssize_t)sizeof one);
    struct wr_top t;
    char err[256];
    assert_int_equal(wr_top_open(&t, f.path, err, sizeof err), 0);
    t.replay = 1;
    static const uint64_t at[] = {60000, 200000, 400000, 600000};
    static const int want[] = {0, 1, 0, 1};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(wr_top_update(&t, M0 + at[i], M0 + at[i]), 0);
        assert_int_equal(t.rec_paused, want[i]);
    }
    assert_true(wr_live_paused(&t.live)); /* the file's word: its state at the end */
    wr_top_close(&t);
    lf_close(&f);
}

int main(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    m0 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_growing_file),       cmocka_unit_test(test_split_waits_for_switches),
        cmocka_unit_test(test_replay_horizon),     cmocka_unit_test(test_shrink),
        cmocka_unit_test(test_replay_pause_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
