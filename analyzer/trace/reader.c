/* reader.c: trace validation and record decoding. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace/reader.h"
#include "trace/walk.h"
#include "trace/zst.h"

#define WR_MAX_WARNINGS 20

void wr_warn(struct wr_trace *t, const char *fmt, ...)
{
    t->warnings++;
    if (t->quiet || t->warnings > WR_MAX_WARNINGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "waitreport: warning: %s: ", t->path);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (t->warnings == WR_MAX_WARNINGS)
        fprintf(stderr, "waitreport: warning: %s: further warnings suppressed\n", t->path);
}

const struct lw_func_info *wr_funcs[256];

__attribute__((constructor)) static void fill_funcs(void)
{
    for (unsigned k = 0; k < 256; k++)
        wr_funcs[k] = lw_func_info_of(k);
}

static int cmp_chunk(const void *a, const void *b)
{
    const struct wr_chunk_ref *x = a, *y = b;
    if (x->meta != y->meta) /* meta chunks first: the head of the first stream */
        return x->meta ? -1 : 1;
    if (x->stream != y->stream)
        return x->stream < y->stream ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* chunk_at: the bytes of chunk i (caller checked i < nchunks). */
static const uint8_t *chunk_at(const struct wr_trace *t, uint64_t i)
{
    return t->map + LW_HEADER_SIZE + i * t->hdr.chunk_size;
}

/* index_chunks: find valid chunks and group them into streams. */
static int index_chunks(struct wr_trace *t, char *err, size_t errlen)
{
    t->chunks = calloc(t->nchunks ? t->nchunks : 1, sizeof *t->chunks);
    if (!t->chunks) {
        snprintf(err, errlen, "%s: out of memory", t->path);
        return -1;
    }
    for (uint64_t i = 0; i < t->nchunks; i++) {
        struct lw_chunk_header ch;
        memcpy(&ch, chunk_at(t, i), sizeof ch);
        if (ch.magic == 0)
            continue; /* claimed, never started (thread ended first) */
        if (ch.magic != LW_CHUNK_MAGIC) {
            wr_warn(t, "chunk %llu has a bad header; skipped", (unsigned long long)i);
            continue;
        }
        int meta = t->flight && (ch.flags & LW_CH_META);
        t->chunks[t->nused++] = (struct wr_chunk_ref){ch.stream, ch.seq, i, meta};
    }
    qsort(t->chunks, t->nused, sizeof *t->chunks, cmp_chunk);
    t->streams = calloc(t->nused ? t->nused : 1, sizeof *t->streams);
    if (!t->streams) {
        snprintf(err, errlen, "%s: out of memory", t->path);
        return -1;
    }
    size_t nmeta = 0;
    while (nmeta < t->nused && t->chunks[nmeta].meta)
        nmeta++;
    for (size_t i = nmeta; i < t->nused; i++) {
        struct wr_chunk_ref *c = &t->chunks[i];
        struct wr_stream *s = t->nstreams ? &t->streams[t->nstreams - 1] : NULL;
        if (!s || s->stream != c->stream) {
            s = &t->streams[t->nstreams++];
            s->stream = c->stream;
            s->first = i;
            s->count = 0;
            memcpy(&s->tid, chunk_at(t, c->index) + offsetof(struct lw_chunk_header, tid), sizeof s->tid);
        }
        s->count++;
    }
    if (t->nstreams) { /* the meta chunks lead the first stream */
        t->streams[0].first = 0;
        t->streams[0].count += nmeta;
    }
    return 0;
}

/* snapshot: copy the trace into memory chunk by chunk, each like a seqlock
 * read (lw_format.h, struct lw_flight): identity, bytes, fence, identity.
 * A chunk whose identity changed is left zero in the copy (not started),
 * counted in t->torn. Bytes are copied by whole words in address order, so
 * a record whose kind byte is seen was complete (the writer stores the kind
 * last). 0, or -1 when out of memory. */
static int snapshot(struct wr_trace *t, char *err, size_t errlen)
{
    size_t n = LW_HEADER_SIZE + (size_t)t->nchunks * t->hdr.chunk_size;
    uint8_t *c = calloc(1, n);
    if (!c) {
        snprintf(err, errlen, "%s: out of memory", t->path);
        return -1;
    }
    memcpy(c, t->map, LW_HEADER_SIZE);
    for (uint64_t i = 0; i < t->nchunks; i++) {
        const uint64_t *src = (const uint64_t *)chunk_at(t, i);
        uint64_t *dst = (uint64_t *)(c + LW_HEADER_SIZE + i * t->hdr.chunk_size);
        uint64_t id0 = __atomic_load_n(&src[0], __ATOMIC_ACQUIRE); /* magic, stream */
        uint32_t seq0 = __atomic_load_n((const uint32_t *)&src[1], __ATOMIC_ACQUIRE);
        if (!(uint32_t)id0)
            continue;
        for (size_t w = 0; w < t->hdr.chunk_size / 8; w++)
            dst[w] = __atomic_load_n(&src[w], __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&src[0], __ATOMIC_RELAXED) != id0 ||
            __atomic_load_n((const uint32_t *)&src[1], __ATOMIC_RELAXED) != seq0) {
            memset(dst, 0, t->hdr.chunk_size);
            t->torn++;
        }
    }
    if (t->mapped)
        munmap((void *)t->map, t->size);
    t->mapped = 0;
    t->map = t->copy = c;
    t->size = n;
    return 0;
}

static int validate(struct wr_trace *t, char *err, size_t errlen)
{
    if (t->size < LW_HEADER_SIZE) {
        snprintf(err, errlen, "%s: not a libwait trace (only %zu bytes)", t->path, t->size);
        return -1;
    }
    memcpy(&t->hdr, t->map, sizeof t->hdr);
    struct lw_file_header *h = &t->hdr;
    if (memcmp(h->magic, LW_MAGIC, sizeof LW_MAGIC) != 0) {
        snprintf(err, errlen, "%s: not a libwait trace (bad magic)", t->path);
        return -1;
    }
    if (!LW_VERSION_READABLE(h->version)) {
        snprintf(err, errlen, "%s: trace format version %u, this waitreport reads versions %u to %u", t->path,
                 h->version, LW_VERSION_MIN, LW_VERSION);
        return -1;
    }
    if (h->header_size != LW_HEADER_SIZE || h->chunk_size < LW_CHUNK_MIN || h->chunk_size > LW_CHUNK_MAX ||
        (h->chunk_size & (h->chunk_size - 1))) {
        snprintf(err, errlen, "%s: corrupt header (header size %u, chunk size %u)", t->path, h->header_size,
                 h->chunk_size);
        return -1;
    }
    h->command[sizeof h->command - 1] = 0;
    h->exe[sizeof h->exe - 1] = 0;
    uint64_t fit = (t->size - LW_HEADER_SIZE) / h->chunk_size;
    t->nchunks = h->next_chunk;
    t->flight = (h->flags & LW_HF_FLIGHT) != 0;
    if (t->flight) /* next_chunk counts claims; the file holds the slots */
        t->nchunks = fit;
    if (h->flags & LW_HF_STOPPED) {
        wr_warn(t, "recording was stopped early by an error (full disk, file size limit, trace fd taken); reading "
                   "what was written");
        t->incomplete = 1;
    }
    if (t->nchunks > fit) {
        /* claimed but not in the file: truncated, killed while extending, or
         * the claim that failed when recording stopped */
        if (!(h->flags & LW_HF_STOPPED) || t->nchunks > fit + 1)
            wr_warn(t, "file is truncated: %llu chunks claimed, %llu present; reading those",
                    (unsigned long long)t->nchunks, (unsigned long long)fit);
        t->nchunks = fit;
        t->incomplete = 1;
    }
    if ((t->size - LW_HEADER_SIZE) % h->chunk_size)
        t->incomplete = 1;
    if (!(h->flags & LW_HF_CLOSED))
        t->incomplete = 1;
    if (t->flight && !(h->flags & LW_HF_CLOSED) && t->mapped && snapshot(t, err, errlen) != 0)
        return -1;
    return index_chunks(t, err, errlen);
}

int wr_trace_open_mem(struct wr_trace *t, const uint8_t *buf, size_t size, const char *name, char *err, size_t errlen)
{
    int quiet = t->quiet;
    memset(t, 0, sizeof *t);
    t->quiet = quiet;
    t->path = name;
    t->map = buf;
    t->size = size;
    return validate(t, err, errlen);
}

int wr_open_regular(const char *path, int flags, char *err, size_t errlen)
{
    struct stat st;
    int fd = -1;
    if (stat(path, &st) != 0 ||
        (S_ISREG(st.st_mode) && (fd = open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0)) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode) || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        snprintf(err, errlen, "%s: not a regular file", path);
        return -1;
    }
    return fd;
}

int wr_trace_open(struct wr_trace *t, const char *path, char *err, size_t errlen)
{
    int quiet = t->quiet;
    memset(t, 0, sizeof *t);
    t->quiet = quiet;
    t->path = path;
    int fd = wr_open_regular(path, O_RDONLY, err, errlen);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    t->size = (size_t)st.st_size;
    if (t->size) {
        void *m = mmap(NULL, t->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            snprintf(err, errlen, "%s: cannot map: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        t->map = m;
        t->mapped = 1;
    }
    close(fd);
    uint8_t *z = NULL; /* a trace compressed with zstd: read from its decompressed copy (zst.h) */
    size_t zn = 0;
    int bad = wr_zst_is(t->map, t->size) && wr_zst_load(t->map, t->size, path, &z, &zn, err, errlen) != 0;
    if (z) {
        munmap((void *)t->map, t->size);
        t->mapped = 0;
        t->map = t->copy = z;
        t->size = zn;
    }
    if (bad || validate(t, err, errlen) != 0) {
        wr_trace_close(t);
        t->path = path;
        return -1;
    }
    return 0;
}

uint64_t wr_trace_window(const struct wr_trace *t, uint64_t end_ns, uint64_t *start_ns)
{
    uint64_t s0 = t->hdr.start_mono_ns, lost = t->hdr.flight.lost_until_ns;
    uint64_t s = lost > s0 ? lost - s0 : 0;
    *start_ns = s < end_ns ? s : end_ns;
    return end_ns - *start_ns;
}

void wr_trace_close(struct wr_trace *t)
{
    free(t->chunks);
    free(t->streams);
    free(t->copy);
    if (t->mapped)
        munmap((void *)t->map, t->size);
    memset(t, 0, sizeof *t);
}

int wr_trace_chunk_begin(struct wr_trace *t, size_t si, size_t k, struct wr_cursor *cur)
{
    const struct wr_stream *s = &t->streams[si];
    const struct wr_chunk_ref *c = &t->chunks[s->first + k];
    /* a meta chunk, and the stream's first chunk after them, have no
     * predecessor to follow; a flight trace's streams start where reuse
     * left them and lose chunks being reused (struct lw_flight) */
    int follows = k && !c->meta && !t->chunks[s->first + k - 1].meta;
    if (follows && c->seq == t->chunks[s->first + k - 1].seq) {
        wr_warn(t, "thread %u: duplicate chunk %u; skipped", s->tid, c->seq);
        return 0;
    }
    int jump = follows ? c->seq != t->chunks[s->first + k - 1].seq + 1 : !c->meta && c->seq != 0;
    if (jump && !t->flight)
        wr_warn(t, "thread %u: chunk sequence jumps to %u; records between are missing", s->tid, c->seq);
#ifdef MADV_POPULATE_READ
    /* map the whole chunk in one call, not a page fault per few pages
     * (older kernels refuse: then the faults do it) */
    if (t->mapped)
        madvise((void *)chunk_at(t, c->index), t->hdr.chunk_size, MADV_POPULATE_READ);
#endif
    wr_cursor_start(cur, chunk_at(t, c->index), t->hdr.chunk_size, t->hdr.version);
    return 1;
}

void wr_trace_chunk_done(struct wr_trace *t, size_t si, size_t k, int got, const uint8_t *rec, unsigned kind)
{
    const struct wr_stream *s = &t->streams[si];
    const struct wr_chunk_ref *c = &t->chunks[s->first + k];
    switch (got) {
    case WR_NEXT_END:
        break;
    case WR_NEXT_NONE: /* ends in zeros: the writer was still there, or cut off */
        if (k + 1 < s->count && !c->meta)
            wr_warn(t, "thread %u: chunk %u ends early; records may be missing", s->tid, c->seq);
        break;
    case WR_NEXT_LONG:
        wr_warn(t, "thread %u: record at offset %zu runs past its chunk; rest of chunk skipped", s->tid,
                (size_t)(rec - t->map));
        break;
    case WR_NEXT_BAD:
        wr_warn(t, "thread %u: malformed record (kind 0x%02x) at offset %zu; rest of chunk skipped", s->tid, kind,
                (size_t)(rec - t->map));
        break;
    default:
        wr_warn(t, "thread %u: chunk %llu has no end marker", s->tid, (unsigned long long)c->index);
    }
    /* done with this chunk for this pass: give its pages back, so the
     * walk's resident memory stays a chunk per thread, not the trace */
    if (t->mapped)
        madvise((void *)chunk_at(t, c->index), t->hdr.chunk_size, MADV_DONTNEED);
}

int wr_trace_walk_chunk(struct wr_trace *t, size_t si, size_t k, wr_event_fn fn, void *ctx)
{
    return wr_walk_chunk(t, si, k, 0, fn, ctx);
}

int wr_trace_walk(struct wr_trace *t, wr_event_fn fn, void *ctx)
{
    for (size_t i = 0; i < t->nstreams; i++)
        for (size_t k = 0; k < t->streams[i].count; k++) {
            int r = wr_trace_walk_chunk(t, i, k, fn, ctx);
            if (r)
                return r;
        }
    return 0;
}

int wr_decode_call(const struct lw_func_info *fi, const uint8_t *p, const uint8_t *e, uint64_t *last_tsc,
                   uint64_t *last_addr, uint64_t *last_obj, struct wr_event *ev)
{
    struct wr_cursor c = {.last_tsc = *last_tsc, .last_addr = *last_addr, .last_obj = *last_obj};
    int ok = wr_decode_body(fi, 0, p, e, &c, ev);
    *last_tsc = c.last_tsc;
    *last_addr = c.last_addr;
    *last_obj = c.last_obj;
    return ok;
}
