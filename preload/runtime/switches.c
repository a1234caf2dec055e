/* switches.c: the kernel's context-switch records for each thread. One
 * perf event per thread (software dummy, context_switch, CLOCK_MONOTONIC
 * stamps) makes the kernel write PERF_RECORD_SWITCH at every switch out and
 * back in, with no syscall of ours per event. The ring is drained into the
 * thread's own stream at chunk boundaries, at thread exit, and whenever it
 * passes half full (checked on the hot path with one load). */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/runtime.h"

#define LW_SW_PAGES 16 /* data pages, a power of two: 64 KiB */

static int lw_sw_refused;

/* lw_switch_open: start collecting for the calling thread. On refusal
 * (perf_event_paranoid, seccomp, no perf), flag the trace once, say so
 * once on stderr, and go on without. */
void lw_switch_open(struct lw_thread *t)
{
    if (!lw_g.switches || __atomic_load_n(&lw_sw_refused, __ATOMIC_RELAXED))
        return;
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_SOFTWARE;
    a.config = PERF_COUNT_SW_DUMMY;
    a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
    a.sample_id_all = 1;
    a.context_switch = 1;
    a.use_clockid = 1;
    a.clockid = CLOCK_MONOTONIC;
    a.exclude_kernel = 1;
    int saved = errno;
    long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (!__atomic_exchange_n(&lw_sw_refused, 1, __ATOMIC_RELAXED)) {
            __atomic_fetch_or(&lw_g.hdr->flags, LW_HF_NO_PERF, __ATOMIC_RELAXED);
            lw_warn("perf_event_open refused (%s); recording without the wait/CPU split", strerror(e));
        }
        errno = saved;
        return;
    }
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    void *m = real_mmap(NULL, (1 + LW_SW_PAGES) * pg, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
    real_close((int)fd); /* the mapping keeps the event alive; the program sees no fd */
    errno = saved;
    if (m == MAP_FAILED)
        return;
    t->sw_page = m;
    t->sw_data = (uint8_t *)m + pg;
    t->sw_size = LW_SW_PAGES * pg;
    t->sw_tail = 0;
    __atomic_fetch_or(&lw_g.hdr->flags, LW_HF_SWITCHES, __ATOMIC_RELAXED);
}

/* lw_ring_copy: n bytes from ring offset pos, across the wrap. */
static void lw_ring_copy(const struct lw_thread *t, uint64_t pos, void *dst, size_t n)
{
    size_t off = (size_t)(pos & (t->sw_size - 1)), first = t->sw_size - off;
    if (first >= n) {
        memcpy(dst, t->sw_data + off, n);
    } else {
        memcpy(dst, t->sw_data + off, first);
        memcpy((uint8_t *)dst + first, t->sw_data, n - first);
    }
}

/* lw_switch_drain: move the ring's records into t's stream as compact
 * SWITCH/LOST records. The guard is held by the caller. */
void lw_switch_drain(struct lw_thread *t)
{
    if (!t->sw_page || t->sw_draining || !t->chunk)
        return;
    t->sw_draining = 1;
    uint64_t head = __atomic_load_n(&t->sw_page->data_head, __ATOMIC_ACQUIRE), tail = t->sw_tail;
    while (tail < head) {
        struct perf_event_header h;
        uint8_t rec[64];
        lw_ring_copy(t, tail, &h, sizeof h);
        if (h.size < sizeof h || h.size > head - tail)
            break; /* cannot happen with a sane kernel; stop rather than loop */
        size_t n = h.size < sizeof rec ? h.size : sizeof rec;
        lw_ring_copy(t, tail, rec, n);
        uint8_t body[2 * LW_VARINT_MAX], *p = body;
        /* make room first: a chunk switch inside lw_writer_meta would leave
         * this record's stamp relative to the previous chunk's base */
        if (t->cur + 1 + 3 * LW_VARINT_MAX > t->limit && !lw_writer_advance(t, 1 + 3 * LW_VARINT_MAX))
            break;
        if (h.type == PERF_RECORD_SWITCH && n >= sizeof h + 16) {
            uint64_t time;
            memcpy(&time, rec + sizeof h + 8, sizeof time); /* after pid, tid */
            unsigned fl = (h.misc & PERF_RECORD_MISC_SWITCH_OUT) ? LW_SW_OUT : 0;
            if (h.misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT)
                fl |= LW_SW_PREEMPT;
            p = lw_enc_switch(p, t->base_mono, fl, time);
            if (lw_writer_meta(t, LW_REC_SWITCH, body, (size_t)(p - body)) != 0)
                break;
        } else if (h.type == PERF_RECORD_LOST && n >= sizeof h + 16) {
            uint64_t lost;
            memcpy(&lost, rec + sizeof h + 8, sizeof lost); /* after id */
            p = lw_enc_count(p, lost);
            if (lw_writer_meta(t, LW_REC_LOST, body, (size_t)(p - body)) != 0)
                break;
        }
        tail += h.size;
    }
    t->sw_tail = tail;
    __atomic_store_n(&t->sw_page->data_tail, tail, __ATOMIC_RELEASE);
    t->sw_draining = 0;
}

/* lw_switch_forget: stop without draining: unmap the ring (a fork child,
 * whose inherited ring watches the parent's thread). */
void lw_switch_forget(struct lw_thread *t)
{
    if (!t->sw_page)
        return;
    real_munmap(t->sw_page, (size_t)sysconf(_SC_PAGESIZE) + t->sw_size);
    t->sw_page = NULL;
}

/* lw_switch_close: drain into t's stream, then stop (thread exit). */
void lw_switch_close(struct lw_thread *t)
{
    lw_switch_drain(t);
    lw_switch_forget(t);
}
