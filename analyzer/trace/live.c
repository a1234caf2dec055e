/* live.c: incremental reading of a trace that is still being written. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trace/grow.h"
#include "trace/live.h"
#include "trace/walk.h"

/* remap: map the whole file again when it grew. 0, or -1 (stat/map failed:
 * the previous mapping is kept). The file only grows; a file that shrank
 * was cut short under us (bad input): l->cut is set, the mapping dropped,
 * and -1 returned; the chunk table and the streams' positions may point
 * past the new end, so nothing is read from the file after that. */
static int remap(struct wr_live *l)
{
    struct stat st;
    if (fstat(l->fd, &st) != 0)
        return -1;
    size_t size = (size_t)st.st_size;
    if (size == l->t.size)
        return 0;
    if (size < l->t.size || l->cut) {
        if (l->t.map)
            munmap((void *)l->t.map, l->t.size);
        l->t.map = NULL;
        l->t.size = 0;
        l->cut = 1;
        return -1;
    }
    if (l->t.map)
        munmap((void *)l->t.map, l->t.size);
    l->t.map = NULL;
    l->t.size = 0;
    if (!size)
        return 0;
    void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, l->fd, 0);
    if (m == MAP_FAILED)
        return -1;
    l->t.map = m;
    l->t.size = size;
    return 0;
}

/* wr_live_pid_alive: 1 when the process that wrote h still runs: its pid
 * exists and (when /proc says) that process started no later than the
 * trace did, so a newer process that got the pid again does not count. */
int wr_live_pid_alive(const struct lw_file_header *h)
{
    if (!h->pid || h->pid >= (1u << 22))
        return 0;
    if (kill((pid_t)h->pid, 0) != 0 && errno == ESRCH)
        return 0;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%u/stat", h->pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno != ENOENT; /* no /proc: trust kill() */
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 1;
    buf[n] = 0;
    const char *p = strrchr(buf, ')'); /* the command may hold spaces and ')' */
    unsigned long long start = 0;
    /* after ')': state is field 3, starttime field 22 (clock ticks since boot) */
    for (int f = 2; p && f < 22; f++)
        p = strchr(p + 1, ' ');
    long hz = sysconf(_SC_CLK_TCK);
    if (!p || sscanf(p + 1, "%llu", &start) != 1 || hz <= 0)
        return 1;
    struct timespec b, m;
    clock_gettime(CLOCK_BOOTTIME, &b);
    clock_gettime(CLOCK_MONOTONIC, &m);
    double boot_minus_mono = (double)(b.tv_sec - m.tv_sec) * 1e9 + (double)(b.tv_nsec - m.tv_nsec);
    double started = (double)start * 1e9 / (double)hz - boot_minus_mono; /* as CLOCK_MONOTONIC */
    /* a tick of rounding and some slack; a reused pid started after the
     * traced process ended, so after the trace's start */
    return started <= (double)h->start_mono_ns + 2e9 / (double)hz + 50e6;
}

/* read_header: copy the header and the control word (fields the writer
 * updates are read once); nothing else reads the header in the mapping. */
static void read_header(struct wr_live *l)
{
    const struct lw_file_header *h = (const void *)l->t.map;
    const struct lw_control *c = (const void *)(l->t.map + LW_CONTROL_OFFSET);
    l->paused = __atomic_load_n(&c->paused, __ATOMIC_ACQUIRE) != 0;
    memcpy(&l->hdr, h, sizeof l->hdr);
    l->hdr.flags = __atomic_load_n(&h->flags, __ATOMIC_ACQUIRE);
    l->hdr.next_chunk = __atomic_load_n(&h->next_chunk, __ATOMIC_ACQUIRE);
    l->hdr.command[sizeof l->hdr.command - 1] = 0;
    l->hdr.exe[sizeof l->hdr.exe - 1] = 0;
    l->hdr.chunk_size = l->t.hdr.chunk_size; /* fixed at open */
    uint64_t fit = (l->t.size - LW_HEADER_SIZE) / l->hdr.chunk_size;
    l->flight = (l->hdr.flags & LW_HF_FLIGHT) != 0;
    l->nchunks = l->hdr.next_chunk < fit && !l->flight ? l->hdr.next_chunk : fit;
    l->closed = (l->hdr.flags & LW_HF_CLOSED) != 0;
}

int wr_live_open(struct wr_live *l, const char *path, char *err, size_t errlen)
{
    int quiet = l->t.quiet;
    memset(l, 0, sizeof *l);
    l->t.quiet = quiet;
    l->t.path = path;
    l->fd = -1;
    int fd = wr_open_regular(path, O_RDONLY, err, errlen);
    if (fd < 0)
        return -1;
    l->fd = fd;
    if (remap(l) != 0) {
        snprintf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
        goto fail;
    }
    if (l->t.size < LW_HEADER_SIZE) {
        snprintf(err, errlen, "%s: not a libwait trace (only %zu bytes)", path, l->t.size);
        goto fail;
    }
    const struct lw_file_header *h = (const void *)l->t.map;
    if (memcmp(h->magic, LW_MAGIC, sizeof LW_MAGIC) != 0) {
        snprintf(err, errlen, "%s: not a libwait trace (bad magic)", path);
        goto fail;
    }
    if (!LW_VERSION_READABLE(h->version) || h->header_size != LW_HEADER_SIZE || h->chunk_size < LW_CHUNK_MIN ||
        h->chunk_size > LW_CHUNK_MAX || (h->chunk_size & (h->chunk_size - 1))) {
        snprintf(err, errlen, "%s: unsupported or corrupt header (version %u, chunk size %u)", path, h->version,
                 h->chunk_size);
        goto fail;
    }
    l->t.hdr.chunk_size = h->chunk_size;
    l->t.hdr.version = h->version; /* fixed at open, as the chunk size: the file may change under us */
    read_header(l);
    l->ns_per_tick = l->hdr.tsc_hz_hint >= 100000000ull && l->hdr.tsc_hz_hint <= 20000000000ull
                         ? 1e9 / (double)l->hdr.tsc_hz_hint
                         : 1.0;
    return 0;
fail:
    wr_live_close(l);
    return -1;
}

void wr_live_close(struct wr_live *l)
{
    struct wr_live_chunk *c, *tc;
    HASH_ITER(hh, l->chunks, c, tc)
    {
        HASH_DEL(l->chunks, c);
        free(c);
    }
    struct wr_live_stream *s, *ts;
    HASH_ITER(hh, l->streams, s, ts)
    {
        HASH_DEL(l->streams, s);
        free(s);
    }
    free(l->unstarted);
    if (l->t.map)
        munmap((void *)l->t.map, l->t.size);
    if (l->fd >= 0)
        close(l->fd);
    memset(l, 0, sizeof *l);
    l->fd = -1;
}

int wr_live_paused(const struct wr_live *l) { return l->paused; }

struct wr_live_stream *wr_live_stream_of(struct wr_live *l, uint32_t id)
{
    struct wr_live_stream *s;
    HASH_FIND(hh, l->streams, &id, sizeof id, s);
    return s;
}

uint64_t wr_live_mono(const struct wr_live *l, const struct wr_live_stream *s, uint64_t tsc)
{
    uint64_t ptsc = s && s->pair_tsc ? s->pair_tsc : l->hdr.start_tsc;
    uint64_t pns = s && s->pair_tsc ? s->pair_ns : l->hdr.start_mono_ns;
    return pns + (uint64_t)wr_live_d2i((double)(int64_t)(tsc - ptsc) * l->ns_per_tick);
}

/* note_pair: a clock pair; refits the rate against the start pair once
 * they are 10 ms or more apart. */
static void note_pair(struct wr_live *l, struct wr_live_stream *s, uint64_t tsc, uint64_t ns)
{
    if (!tsc || !ns)
        return;
    s->pair_tsc = tsc;
    s->pair_ns = ns;
    const struct lw_file_header *h = &l->hdr;
    if (tsc > h->start_tsc && ns > h->start_mono_ns + 10000000)
        l->ns_per_tick = (double)(ns - h->start_mono_ns) / (double)(tsc - h->start_tsc);
}

/* chunk_at: chunk i of the mapping; i < l->nchunks (the caller checks). */
static const uint8_t *chunk_at(const struct wr_live *l, uint64_t i)
{
    return l->t.map + LW_HEADER_SIZE + i * l->hdr.chunk_size;
}

/* look_chunk: index chunk i if its header is published. 1 indexed, 0 not
 * started yet, -1 out of memory. A bad header is warned about and dropped. */
static int look_chunk(struct wr_live *l, uint64_t i)
{
    if (i >= l->nchunks)
        return 0;
    const uint8_t *b = chunk_at(l, i);
    uint32_t magic = __atomic_load_n((const uint32_t *)b, __ATOMIC_ACQUIRE);
    if (magic == 0)
        return 0;
    if (magic != LW_CHUNK_MAGIC) {
        wr_warn(&l->t, "chunk %llu has a bad header; skipped", (unsigned long long)i);
        return 1;
    }
    struct lw_chunk_header ch;
    memcpy(&ch, b, sizeof ch);
    struct wr_live_chunk *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    c->key = (uint64_t)ch.stream << 32 | ch.seq;
    c->index = i;
    struct wr_live_chunk *old;
    HASH_FIND(hh, l->chunks, &c->key, sizeof c->key, old);
    if (old && l->flight) { /* indexed again: the same chunk, or one moved on */
        old->index = i;
        free(c);
        c = NULL;
    } else if (old) {
        wr_warn(&l->t, "thread %u: duplicate chunk %u; skipped", ch.tid, ch.seq);
        free(c);
        return 1;
    }
    if (c)
        HASH_ADD(hh, l->chunks, key, sizeof c->key, c);
    struct wr_live_stream *s = wr_live_stream_of(l, ch.stream);
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return -1;
        s->stream = ch.stream;
        s->tid = ch.tid;
        s->seq = ch.seq; /* the writer starts a stream at seq 0, in a lower index */
        s->meta = l->flight && (ch.flags & LW_CH_META);
        HASH_ADD(hh, l->streams, stream, sizeof s->stream, s);
        l->nstreams++;
    } else if (l->flight && !s->have_chunk && ch.seq < s->seq) {
        s->seq = ch.seq; /* its oldest chunk still there */
    }
    return 1;
}

/* reindex: (flight) every slot may hold another chunk since the last poll:
 * drop the index and take every slot's header again. */
static int reindex(struct wr_live *l)
{
    struct wr_live_chunk *c, *tc;
    HASH_ITER(hh, l->chunks, c, tc)
    {
        HASH_DEL(l->chunks, c);
        free(c);
    }
    l->nunstarted = 0;
    for (uint64_t i = 0; i < l->nchunks; i++)
        if (look_chunk(l, i) < 0)
            return -1;
    l->scanned = l->nchunks;
    return 0;
}

/* next_seq: (flight) the stream's first chunk still indexed after seq, or
 * seq + 1 when there is none (yet). */
static uint32_t next_seq(struct wr_live *l, const struct wr_live_stream *s, uint32_t seq)
{
    uint64_t key = (uint64_t)s->stream << 32 | (seq + 1u);
    struct wr_live_chunk *c, *tc;
    HASH_FIND(hh, l->chunks, &key, sizeof key, c);
    if (c || !l->flight)
        return seq + 1;
    uint32_t best = seq + 1;
    int found = 0;
    HASH_ITER(hh, l->chunks, c, tc)
    {
        uint32_t q = (uint32_t)c->key;
        if (c->key >> 32 == s->stream && q > seq && (!found || q < best))
            best = q, found = 1;
    }
    if (found)
        l->torn += best - seq - 1; /* chunks reused before they were read */
    return best;
}

/* same_chunk: (flight) whether s's chunk still holds what s entered (read
 * after the record it guards, with an acquire fence between). */
static int same_chunk(const struct wr_live *l, const struct wr_live_stream *s, const uint8_t *base)
{
    if (!l->flight)
        return 1;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    const uint64_t *id = (const uint64_t *)base;
    return __atomic_load_n(&id[0], __ATOMIC_RELAXED) == s->ident[0] &&
           __atomic_load_n(&id[1], __ATOMIC_RELAXED) == s->ident[1];
}

/* discover: index chunks claimed since the last poll, and those that were
 * claimed but empty then. */
static int discover(struct wr_live *l)
{
    size_t k = 0;
    for (size_t i = 0; i < l->nunstarted; i++) {
        int r = look_chunk(l, l->unstarted[i]);
        if (r < 0)
            return -1;
        if (r == 0)
            l->unstarted[k++] = l->unstarted[i];
    }
    l->nunstarted = k;
    for (; l->scanned < l->nchunks; l->scanned++) {
        int r = look_chunk(l, l->scanned);
        if (r < 0)
            return -1;
        if (r == 0) {
            if (wr_grow((void **)&l->unstarted, &l->capunstarted, l->nunstarted, sizeof *l->unstarted, 64) != 0)
                return -1;
            l->unstarted[l->nunstarted++] = l->scanned;
        }
    }
    return 0;
}

/* enter_chunk: make seq of s current if it has been claimed and started.
 * 1 entered (fn saw WR_LIVE_CHUNK), 0 not there yet, else fn's value. */
static int enter_chunk(struct wr_live *l, struct wr_live_stream *s, uint32_t seq, wr_event_fn fn, void *ctx)
{
    uint64_t key = (uint64_t)s->stream << 32 | seq;
    struct wr_live_chunk *c;
    HASH_FIND(hh, l->chunks, &key, sizeof key, c);
    if (!c || c->index >= l->nchunks)
        return 0;
    struct lw_chunk_header ch;
    const uint64_t *id = (const uint64_t *)chunk_at(l, c->index);
    s->ident[0] = __atomic_load_n(&id[0], __ATOMIC_ACQUIRE);
    s->ident[1] = __atomic_load_n(&id[1], __ATOMIC_ACQUIRE);
    memcpy(&ch, chunk_at(l, c->index), sizeof ch);
    if (l->flight && ((uint32_t)s->ident[0] != LW_CHUNK_MAGIC || ch.stream != s->stream || ch.seq != seq))
        return 0; /* reused since it was indexed */
    s->seq = seq;
    s->chunk = c->index;
    s->have_chunk = 1;
    s->stuck = 0;
    s->off = sizeof ch;
    s->delta = (struct wr_live_delta){ch.base_tsc, 0, 0};
    s->base_mono = ch.base_mono_ns;
    note_pair(l, s, ch.base_tsc, ch.base_mono_ns);
    struct wr_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = WR_LIVE_CHUNK;
    ev.stream = s->stream;
    ev.tid = s->tid;
    ev.mono = ch.base_mono_ns;
    ev.tsc = ch.base_tsc;
    l->cur = s;
    int r = fn(ctx, &ev);
    return r ? r + 1 : 1;
}

/* live_stamp: the times of a record that the chunk walker leaves to its
 * consumer, as CLOCK_MONOTONIC ns in ev.mono: a THREAD record's stamp, a
 * TIME record's pair (ev.tsc too), a control record's stamp (ev.tsc too).
 * 0 when malformed. */
static int live_stamp(struct wr_live *l, struct wr_live_stream *s, struct wr_event *ev)
{
    const uint8_t *p = ev->body, *e = ev->body + ev->len;
    switch (ev->kind) {
    case LW_REC_THREAD:
        ev->mono = wr_live_mono(l, s, ev->tsc);
        return 1;
    case LW_REC_TIME:
        return lw_dec_time(&p, e, &ev->tsc, &ev->mono);
    case LW_REC_MARK:
    case LW_REC_PAUSE:
    case LW_REC_RESUME:
        if (!lw_dec_stamp(&p, e, &ev->tsc))
            return 0;
        ev->mono = wr_live_mono(l, s, ev->tsc);
        return 1;
    }
    return 1;
}

/* follow: take stream s's records up to horizon. 0, or fn's value + 1. */
static int follow(struct wr_live *l, struct wr_live_stream *s, uint64_t horizon, wr_event_fn fn, void *ctx)
{
    const uint32_t cs = l->hdr.chunk_size;
    for (;;) {
        if (!s->have_chunk || s->stuck) {
            int r = enter_chunk(l, s, s->have_chunk ? next_seq(l, s, s->seq) : s->seq, fn, ctx);
            if (r == 0)
                return 0;
            if (r > 1)
                return r;
        }
        if (s->chunk >= l->nchunks)
            return 0; /* not in the file (any more) */
        const uint8_t *base = chunk_at(l, s->chunk), *end = base + cs;
        const uint8_t *p = base + s->off;
        if (p >= end) {
            wr_warn(&l->t, "thread %u: chunk %u has no end marker", s->tid, s->seq);
            s->stuck = 1;
            continue;
        }
        unsigned kind = __atomic_load_n(p, __ATOMIC_ACQUIRE);
        if (!same_chunk(l, s, base)) { /* reused under us: what was read may be torn */
            l->torn++;
            s->stuck = 1;
            continue;
        }
        if (kind == LW_REC_NONE)
            return 0; /* nothing committed here yet */
        struct wr_live_delta save = s->delta;
        struct wr_cursor c = {.p = p,
                              .end = end,
                              .last_tsc = save.tsc,
                              .last_addr = save.addr,
                              .last_obj = save.obj,
                              .base_mono = s->base_mono,
                              .one_base = LW_VERSION_ONE_BASE(l->t.hdr.version)};
        struct wr_event ev;
        uint64_t t = 0;
        int got = wr_cursor_next(&c, s->stream, s->tid, 0, &ev);
        if (got == WR_NEXT_NONE)
            return 0; /* the kind byte read 0 this time: the chunk's reuse shows at the next look */
        if (got == WR_NEXT_LONG) {
            wr_warn(&l->t, "thread %u: record runs past its chunk; rest of chunk skipped", s->tid);
            s->stuck = 1;
            continue;
        }
        if (got == WR_NEXT_END) {
            s->stuck = 1; /* move on when the next chunk is there */
            int r = enter_chunk(l, s, next_seq(l, s, s->seq), fn, ctx);
            if (r == 0) {
                s->stuck = 0; /* stay on the end marker */
                return 0;
            }
            if (r > 1)
                return r;
            continue;
        }
        s->delta = (struct wr_live_delta){c.last_tsc, c.last_addr, c.last_obj};
        int ok = got == WR_NEXT_RECORD;
        if (lw_func_info_of(kind)) {
            t = wr_live_mono(l, s, ev.tsc + ev.dur);
        } else {
            ok = ok && live_stamp(l, s, &ev);
            t = ev.mono;
            /* no stamp, or (SWITCH) one that is always before the records
             * around it: never held back by a replay's horizon */
            if (kind == LW_REC_LOST || kind == LW_REC_STACK || kind == LW_REC_MODULE || kind == LW_REC_SWITCH)
                t = 0;
        }
        if (!same_chunk(l, s, base)) {
            s->delta = save;
            l->torn++;
            s->stuck = 1;
            continue;
        }
        if (!ok) {
            wr_warn(&l->t, "thread %u: malformed record (kind 0x%02x); rest of chunk skipped", s->tid, kind);
            s->stuck = 1;
            continue;
        }
        if (horizon != UINT64_MAX && t > horizon) {
            s->delta = save; /* not taken: read it again next time */
            return 0;
        }
        if (t > l->last_mono)
            l->last_mono = t;
        if (kind == LW_REC_TIME)
            note_pair(l, s, ev.tsc, ev.mono);
        if (kind == LW_REC_THREAD && (ev.aux & 1))
            s->ended = 1;
        s->off = (uint32_t)(c.p - base);
        l->records++;
        l->cur = s;
        int r = fn(ctx, &ev);
        if (r)
            return r + 1;
    }
}

uint32_t wr_live_header_flags(const struct wr_live *l)
{
    return __atomic_load_n(&((const struct lw_file_header *)l->t.map)->flags, __ATOMIC_ACQUIRE);
}

int wr_live_poll(struct wr_live *l, uint64_t horizon_ns, wr_event_fn fn, void *ctx)
{
    if (l->cut)
        return -1;
    if (remap(l) != 0 && l->cut)
        return -1;
    if (!l->t.map || l->t.size < LW_HEADER_SIZE) {
        wr_warn(&l->t, "cannot read the file any more");
        l->gone = 1;
        l->finished = 1;
        return 0;
    }
    read_header(l);
    if (!l->closed && !l->gone && !wr_live_pid_alive(&l->hdr))
        l->gone = 1;
    int was_done = l->closed || l->gone;
    if ((l->flight ? reindex(l) : discover(l)) != 0)
        return -1;
    uint64_t before = l->records;
    struct wr_live_stream *s, *ts;
    HASH_ITER(hh, l->streams, s, ts)
    {
        int r = follow(l, s, horizon_ns, fn, ctx);
        if (r)
            return r - 1;
    }
    l->last_taken = l->records - before;
    /* exited before this poll began, and nothing left below the horizon */
    if (was_done && horizon_ns == UINT64_MAX && l->last_taken == 0)
        l->finished = 1;
    return 0;
}

/* noop: an event callback that takes everything. */
static int noop(void *ctx, const struct wr_event *ev)
{
    (void)ctx;
    (void)ev;
    return 0;
}

int wr_live_scan_end(const char *path, uint64_t *end)
{
    struct wr_live l;
    char err[256];
    memset(&l, 0, sizeof l);
    l.t.quiet = 1;
    *end = 0;
    if (wr_live_open(&l, path, err, sizeof err) != 0)
        return -1;
    int r = wr_live_poll(&l, UINT64_MAX, noop, NULL);
    *end = l.last_mono;
    wr_live_close(&l);
    return r;
}
